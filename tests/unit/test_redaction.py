"""One secret detector: the topology diff, drift and the pair-access view hide the same keys."""
from __future__ import annotations

import pytest

from kaa.clients.pair_access import ClusterAccess
from kaa.redaction import HIDDEN, SECRET_MASK, hide, is_secret_key, mask, scrub, secret_values

SECRET_KEYS = ("sasl.password", "ssl.key.password", "target.cluster.sasl.jaas.config", "client.secret",
               "oauth.token.endpoint", "basic.auth.credentials.source", "SASL.PASSWORD")
PLAIN_KEYS = ("sasl.username", "bootstrap.servers", "tasks.max", "security.protocol")


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_every_consumer_hides_a_secret_key(key: str) -> None:
    assert is_secret_key(key)
    assert hide(key, "s3cr3t-value") == HIDDEN
    assert mask(key, "s3cr3t-value") == SECRET_MASK
    assert ClusterAccess({key: "s3cr3t-value"}, "", "").redacted()["kafka"] == {key: SECRET_MASK}
    assert secret_values({key: "s3cr3t-value", "tasks.max": "1"}) == ["s3cr3t-value"]


@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_plain_keys_are_shown(key: str) -> None:
    assert not is_secret_key(key)
    assert hide(key, "v") == "v" and mask(key, "v") == "v"
    assert ClusterAccess({key: "v"}, "", "").redacted()["kafka"] == {key: "v"}


def test_absent_values_stay_absent() -> None:
    assert hide("sasl.password", None) is None and mask("sasl.password", None) is None
    assert mask("sasl.password", "") == ""


def test_scrub_replaces_longest_first_and_skips_short_values() -> None:
    assert scrub("pw=abcdef and abcd and ab", ["abcd", "abcdef", "ab", ""]) == "pw=*** and *** and ab"
