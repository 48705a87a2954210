"""Removing what MM2 left on a cluster (twins, its own topics) through the toolkit's clients: shared by the
`MirrorLeftovers` provider, `kaa twins` and the test tiers' clean-up. Which topics are left over is decided in
`kaa/mirror/mm2_leftovers.py`; here they are deleted, never while a live MM2 connector still keeps one."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from kaa.clients.connect_client import ConnectClient
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.errors import KaaError
from kaa.mirror.mm2_leftovers import Leftover, kept_by
from kaa.polling import poll


class LeftoverRecreated(KaaError):
    """A deleted leftover came back: something outside the pair's Connect still writes it."""


def live_connectors(clients: Iterable[ConnectClient]) -> dict[str, dict[str, str]]:
    """Every connector's config on the given Connect workers (name -> config)."""
    out: dict[str, dict[str, str]] = {}
    for client in clients:
        out.update(client.configs())
    return out


def stop_connectors(client: ConnectClient, names: Sequence[str], timeout: float = 60.0) -> None:
    """Delete connectors and wait until Connect no longer knows them (a deleted connector's tasks stop after the
    DELETE answers; until then a source task may still create or write a remote topic)."""
    for name in names:
        client.delete(name)
    left = poll(lambda: [n for n in names if client.status(n) is not None], lambda live: not live, timeout, 0.5)
    if left:
        raise KaaError(f"connectors {', '.join(left)} still on {client.url} {timeout:.0f}s after their deletion")


def remove_leftovers(admin: KafkaAdmin, leftovers: Sequence[Leftover], connectors: dict[str, dict[str, str]],
                     timeout: float = 60.0) -> tuple[list[str], list[tuple[str, str]]]:
    """Delete those of `leftovers` present on `admin`'s cluster that no connector in `connectors` keeps; wait
    until they are gone. Returns the names deleted and (name, connector) of those kept."""
    live = admin.topics()
    kept = [(t.name, keeper) for t in leftovers if t.name in live and (keeper := kept_by(t, connectors))]
    kept_names = {name for name, _ in kept}
    doomed = [t.name for t in leftovers if t.name in live and t.name not in kept_names]
    if doomed:
        admin.delete_topics(doomed)
        after = poll(admin.topics, lambda now: not set(doomed) & set(now), timeout, 1.0)
        if back := sorted(set(doomed) & set(after)):
            raise LeftoverRecreated(f"{', '.join(back)} still on {admin.label} {timeout:.0f}s after their deletion "
                                    "(recreated by an MM2 outside the pair's Connect?)")
    return doomed, kept
