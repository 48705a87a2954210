"""The topics MM2 creates for a stack (remote twins, heartbeats, checkpoints, offset syncs) as a Pulumi resource,
so they go when the stack stops needing them instead of outliving it.

The previous layout (one resource per twin): today's program declares a guard and a reaper per cluster instead
(components/providers/mirror_twin_sets.py), which reuse `remove`. This module stays, with its delete unchanged,
for the state of stacks made with it: `pulumi up` of the new program deletes those resources while the stack's
connectors run, so the delete keeps every twin (tests/e2e/test_mirror_upgrade.py); a no-op delete would leave
the twins behind when such a stack is destroyed without an `up` first, or when the upgrade also drops a topic.

Nothing is created: MM2 makes the topics. The state is the list of topics (`kaa.mirror.mm2_leftovers.Leftover`)
and how to reach their cluster (admin settings, a secret output) and the pair's Connect workers. The component
makes the flow's connectors depend on this resource, so Pulumi deletes the connectors first and this resource
after them (on `destroy`), and updates the connectors before it deletes a dropped twin's resource (deletes run
after every update). Before deleting a topic it reads every MM2 connector on both Connect workers: a topic one
still copies or uses (another stack's flow with the same aliases, or this stack's own not yet stopped) is kept,
since MM2 would recreate it or needs it. `scripts/kaa twins --stack <stack>` lists what is left, `--yes` deletes.
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from kaa.clients.connect_client import ConnectClient
from kaa.clients.http_tls import HttpTls
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.errors import KaaError
from kaa.leftover_removal import LeftoverRecreated, live_connectors, remove_leftovers
from kaa.mirror.mm2_leftovers import Leftover

REPLACE_KEYS = ("label",)


def _names(props: dict[str, Any]) -> list[str]:
    return [t["name"] for t in props.get("topics") or []]


def remove(props: dict[str, Any], leftovers: list[Leftover]) -> list[str]:
    """Delete those of `leftovers` no live MM2 connector keeps; returns the names deleted."""
    if not leftovers:
        return []
    clients = [ConnectClient(c["url"], (c["auth"]["username"], c["auth"]["password"]) if c.get("auth") else None,
                             tls=HttpTls(ca_file=c.get("ca") or ""))
               for c in props.get("connects") or []]
    command = f"`scripts/kaa twins --stack {props.get('stack')} --yes`"
    try:
        connectors = live_connectors(clients)
    except KaaError as exc:
        raise KaaError(f"cannot tell whether MM2 still copies into {', '.join(t.name for t in leftovers)} on "
                       f"{props['label']}: {exc}; keeping them. Once Connect answers, run {command}, or retry") from exc
    try:
        deleted, _ = remove_leftovers(KafkaAdmin(props["kafka"], props["label"]), leftovers, connectors,
                                      float(props.get("timeout", 60)))
    except LeftoverRecreated as exc:
        raise KaaError(f"{exc}; stop that MM2, then run {command}") from exc
    return deleted


class LeftoverTopicsProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        first = _names(props)[0] if _names(props) else "none"
        return CreateResult(f"{props['label']}/{first}", props)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in REPLACE_KEYS if olds.get(k) != news.get(k)]
        changes = replaces + [k for k in ("topics", "kafka", "connects", "stack") if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changes), replaces=replaces, delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        kept = set(_names(news))
        dropped = [Leftover.from_props(t) for t in olds.get("topics") or [] if t["name"] not in kept]
        remove(news, dropped)
        return UpdateResult(news)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        remove(props, [Leftover.from_props(t) for t in props.get("topics") or []])
