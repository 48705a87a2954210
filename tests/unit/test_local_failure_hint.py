"""`kaa local up` names the cause and the one fix when a broker is up but refuses every SCRAM login."""
from __future__ import annotations

from pathlib import Path

from kaa.local.local_pair import LocalPair, failure_hint

REFUSED = ("[2026-12-01 21:30:35,185] INFO [SocketServer listenerType=BROKER, nodeId=1] Failed authentication with "
           "/127.0.0.1 (Authentication failed during authentication due to invalid credentials with SASL mechanism "
           "SCRAM-SHA-512) (org.apache.kafka.common.network.Selector)")


def test_a_broker_refusing_scram_logins_gets_the_cause_and_the_wipe_command(tmp_path: Path) -> None:
    hint = failure_hint("kafka", ["started", REFUSED], tmp_path)
    assert hint is not None and "refuses the local users' SCRAM logins" in hint
    assert f"`scripts/kaa local down --wipe` (state {tmp_path}), then `make up`" in hint
    assert "docs/local-pair-scram.md" in hint


def test_other_failures_and_other_services_get_no_hint(tmp_path: Path) -> None:
    assert failure_hint("kafka", ["java.net.BindException: Address already in use"], tmp_path) is None
    assert failure_hint("connect", [REFUSED], tmp_path) is None


def test_the_start_failure_message_carries_the_hint(tmp_path: Path) -> None:
    pair = LocalPair(tmp_path, progress=None)
    service = next(s for s in pair.services(("kafka",), ("K1",)))
    service.log_file.parent.mkdir(parents=True)
    service.log_file.write_text(f"booting\n{REFUSED}\n")
    message = str(pair._failure(service, "not healthy after 120 s"))
    assert message.startswith("K1 kafka (port 19092) not healthy after 120 s.")
    assert message.rstrip().endswith("then `make up`.")
