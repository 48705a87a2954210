"""The topics MM2 makes on one cluster (the twins of the flow into it, MM2's own topics) as two resources per
cluster, whatever the number of topics: a guard the connectors depend on and a reaper that depends on them.

One `MirrorLeftovers` resource per twin (components/providers/mirror_leftovers.py, which stays for the state of
stacks made with it) cost the engine a step per twin on every preview, update and destroy: 2,002 of the 6,024
resources of a 1,000-topic stack. What each of the two removes at each step is decided in
`kaa/mirror/twin_sets.py`; the removal itself is the `MirrorLeftovers` one (`remove`): it reads every connector on
both Connect workers first and keeps any topic a live MM2 connector still copies or uses.

The props are those of `MirrorLeftovers`: `label` (the cluster), `stack`, `kafka` (admin settings, a secret
output), `connects` (the pair's Connect workers) and `topics` (`Leftover.to_props()` each). Nothing is created:
MM2 makes the topics. `label` is in the resource's name, so a change of it is an update, never a replacement (a
replaced guard's delete would remove the twins it hands over).
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from components.providers.mirror_leftovers import remove
from kaa.mirror.mm2_leftovers import Leftover
from kaa.mirror.twin_sets import Role, Step, to_remove

COMPARED = ("label", "stack", "kafka", "connects", "topics")


def _leftovers(props: dict[str, Any]) -> list[Leftover]:
    return [Leftover.from_props(t) for t in props.get("topics") or []]


class _TwinSetProvider(ResourceProvider):
    role: Role

    def _apply(self, step: Step, olds: dict[str, Any], news: dict[str, Any]) -> None:
        remove(news, to_remove(self.role, step, _leftovers(olds), _leftovers(news)))

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._apply("create", {}, props)
        return CreateResult(f"{props['label']}/{self.role}", props)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = [k for k in COMPARED if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changes), replaces=[], delete_before_replace=False)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._apply("update", olds, news)
        return UpdateResult(news)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._apply("delete", props, props)


class TwinGuardProvider(_TwinSetProvider):
    """Before the connectors: its delete (destroy, after them) removes what it holds; its update removes nothing."""

    role: Role = "guard"


class TwinReaperProvider(_TwinSetProvider):
    """After the connectors: its update removes the twins dropped from the spec once they stopped copying them."""

    role: Role = "reaper"
