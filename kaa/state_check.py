"""Does a stack's Pulumi state still describe the real pair?

`kaa local down --wipe` deletes the pair's data but not the local stack's state, so a later `pulumi up` sees
nothing to do and the pair stays empty. Before an update the quickstart lists what the state says exists (topics,
subjects, connectors) and asks the pair whether it does; when something is gone it says so and refreshes first.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TOPIC_TYPE = "kafka:index/topic:Topic"
PROVIDER_TYPE = "pulumi:providers:kafka"
# Dynamic resources' types as the components declare them (`Resource, module="kafka-aa", name=...`).
SUBJECT_TYPE = "pulumi-python:dynamic/kafka-aa:SchemaSubject"  # one per subject: stacks made before the pass owned them
SUBJECT_SET_TYPE = "pulumi-python:dynamic/kafka-aa:SchemaRegistrationPass"  # every subject of one registry
CONNECTOR_TYPE = "pulumi-python:dynamic/kafka-aa:MirrorConnector"


@dataclass(frozen=True, order=True)
class Tracked:
    """One thing the state says exists: its kind, where it lives (bootstrap servers or a URL) and its name."""

    kind: str  # topic | subject | connector
    place: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name} at {self.place}"


def _servers(value: Any) -> str:
    """A kafka provider's bootstrapServers as the state holds them (a list, or a JSON-encoded list) -> 'a,b'."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value or "")


def tracked_resources(document: Mapping[str, Any]) -> list[Tracked]:
    """`pulumi stack export` -> the topics, schema subjects and connectors the state says exist."""
    entries = [e for e in (document.get("deployment") or {}).get("resources") or [] if not e.get("delete")]
    servers = {}
    for entry in entries:
        if entry.get("type") == PROVIDER_TYPE:
            props = entry.get("inputs") or entry.get("outputs") or {}
            servers[f"{entry['urn']}::{entry.get('id', '')}"] = _servers(props.get("bootstrapServers"))
    out = []
    for entry in entries:
        props = entry.get("outputs") or entry.get("inputs") or {}
        if entry.get("type") == TOPIC_TYPE and props.get("name"):
            out.append(Tracked("topic", servers.get(entry.get("provider", ""), ""), str(props["name"])))
        elif entry.get("type") == SUBJECT_TYPE and props.get("subject") and props.get("url"):
            out.append(Tracked("subject", str(props["url"]), str(props["subject"])))
        elif entry.get("type") == SUBJECT_SET_TYPE and props.get("url"):
            out += [Tracked("subject", str(props["url"]), str(s["subject"])) for s in props.get("subjects") or []
                    if isinstance(s, dict) and s.get("subject")]
        elif entry.get("type") == CONNECTOR_TYPE and props.get("name") and props.get("url"):
            out.append(Tracked("connector", str(props["url"]), str(props["name"])))
    return sorted(out)


# (kind, place) -> the names that exist there, or None when this check cannot reach that place.
Lister = Callable[[str, str], "set[str] | None"]


def missing_resources(tracked: Sequence[Tracked], live: Lister) -> list[Tracked]:
    """The tracked resources that the pair does not have (places the lister cannot answer for are skipped)."""
    cache: dict[tuple[str, str], set[str] | None] = {}
    gone = []
    for res in tracked:
        key = (res.kind, res.place)
        if key not in cache:
            cache[key] = live(*key)
        names = cache[key]
        if names is not None and res.name not in names:
            gone.append(res)
    return gone


def divergence_message(stack: str, tracked: Sequence[Tracked], gone: Sequence[Tracked]) -> str | None:
    """One line when the state lists things the pair lacks (None when they agree): what, how many, and why."""
    if not gone:
        return None
    kinds = ", ".join(f"{sum(1 for g in gone if g.kind == k)} {k}s" for k in ("topic", "subject", "connector")
                      if any(g.kind == k for g in gone))
    return (f"the {stack} stack's Pulumi state lists {len(tracked)} topics, subjects and connectors, but {len(gone)} "
            f"of them are gone from the pair ({kinds}; e.g. {gone[0]}): the pair was wiped or changed out of band")
