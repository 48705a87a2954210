"""The one place that decides what is a secret and how it is kept out of what the toolkit prints.

A key is secret when its name holds one of `SECRET_WORDS` (any case): connector settings, client settings and
config keys alike. Values are hidden three ways, for three readers: `mask` keeps a JAAS line's module and user
and masks its password (drift shows which user a connector logs in as); `hide` replaces the whole value (the
topology diff); `scrub` removes known secret values from rendered text as a second guard.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# `keystore.key`: a PEM keystore's private key; `keystore.certificate`: its chain, masked with it (drift then
# compares the pair as present or absent, and no PEM block fills a report)
SECRET_WORDS = ("password", "secret", "jaas", "token", "credential", "keystore.key", "keystore.certificate")
SECRET_MASK = "***"
HIDDEN = "(hidden)"
_JAAS_PASSWORD = re.compile(r'(password\s*=\s*)("[^"]*"|[^\s;]+)', re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in SECRET_WORDS)


def mask(key: str, value: str | None) -> str | None:
    """A value safe to show: a JAAS line keeps module and user with its password masked; other secret keys
    become *** (present) or stay empty."""
    if value is None or not is_secret_key(key):
        return value
    if key.endswith("jaas.config"):
        masked, count = _JAAS_PASSWORD.subn(lambda m: f'{m.group(1)}"{SECRET_MASK}"', value)
        return masked if count else (SECRET_MASK if value else "")
    return SECRET_MASK if value else ""


def hide(key: str, value: str | None) -> str | None:
    """The value, or `(hidden)` when the key is secret (None stays None: nothing to hide)."""
    return HIDDEN if value is not None and is_secret_key(key) else value


def secret_values(settings: Mapping[str, str]) -> list[str]:
    """The values of the secret keys among `settings` (to scrub them from output)."""
    return [v for k, v in settings.items() if is_secret_key(k)]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret value with *** (a second guard: changes are masked when built)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, SECRET_MASK)
    return text
