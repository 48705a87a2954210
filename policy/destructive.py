"""Destructive changes, found before the update: what the stack holds now (its last checkpoint) against what the
preview is about to make it.

The engine gives policies only the new state (resource policies the new inputs, stack policies the new outputs),
never the old one or the planned steps, so the comparison reads the checkpoint itself (`policy/live.py`). Two
questions need the real systems, asked through probes: does a topic about to be deleted hold data, and does a
registry accept a new schema version. A probe that cannot answer counts as the unsafe answer.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kaa.topology.schema_files import same_schema
from policy.checks import Report, num
from policy.context import PolicyContext
from policy.resources import ProviderRes, Res, StackView, SubjectRes, TopicRes, known


class ProbeError(Exception):
    """A live system could not answer (unreachable, refused, timed out)."""


def _no_records(provider: ProviderRes | None, topic: str) -> int:
    raise ProbeError("no probe configured")


def _no_compatibility(subject: SubjectRes, res: Res | None, schema: dict[str, Any]) -> bool:
    raise ProbeError("no probe configured")


@dataclass(frozen=True)
class Probes:
    records: Callable[[ProviderRes | None, str], int] = _no_records
    compatible: Callable[[SubjectRes, Res | None, dict[str, Any]], bool] = _no_compatibility


@dataclass(frozen=True)
class DestructiveArgs:
    view: StackView  # after the update
    old: StackView  # now (the stack's last checkpoint)
    context: PolicyContext = field(default_factory=PolicyContext)
    probes: Probes = field(default_factory=Probes)


ALLOW_HINT = "if this is intended, list {name!r} in the `allow` config of destructive-changes"


def destructive_changes(args: DestructiveArgs, report: Report) -> None:
    """Partition decrease, replication-factor change, deletion (or replacement) of a topic that holds data,
    deletion of a subject and a schema change the registry would refuse or that rewrites registered versions."""
    if not args.context.dry_run:
        return  # stack policies run after the update's steps: only a preview can warn in time
    _topics(args, report)
    _subjects(args, report)


def _topics(args: DestructiveArgs, report: Report) -> None:
    new = {t.urn: t for t in args.view.topics}
    providers = {p.urn: p for p in args.view.providers}
    for old in args.old.topics:
        if old.name in args.context.allow:
            continue
        now = new.get(old.urn)
        if now is None:
            also = [t for t in args.view.topics if t.name == old.name and t.alias == old.alias]
            why = (f"its resource {old.urn.rsplit('::', 1)[-1]} is gone (renamed to {also[0].urn.rsplit('::', 1)[-1]}"
                   " without an alias?), so Pulumi deletes the topic" if also else "it is no longer declared")
            _deletion(old, why, _provider_of(old, providers), args.probes, report)
            continue
        if known(now.name) and now.name != old.name:
            _deletion(old, f"its name changes to {now.name!r}, which replaces it", _provider_of(old, providers),
                      args.probes, report)
            continue
        p_old, p_new = num(old.partitions), num(now.partitions)
        if known(p_new) and isinstance(p_old, int) and isinstance(p_new, int) and p_new < p_old:
            report(f"topic {old.name!r} on {old.alias}: partitions decrease from {p_old} to {p_new}; Kafka cannot "
                   "remove partitions, so the provider replaces the topic and its data is deleted (and keyed "
                   "records change partition); " + ALLOW_HINT.format(name=old.name), now.urn)
        r_old, r_new = num(old.replication_factor), num(now.replication_factor)
        if known(r_new) and isinstance(r_old, int) and isinstance(r_new, int) and r_new != r_old:
            report(f"topic {old.name!r} on {old.alias}: replication factor changes from {r_old} to {r_new}; the "
                   "provider replaces the topic (deleting its data) or moves every partition; change it with a "
                   "planned partition reassignment instead; " + ALLOW_HINT.format(name=old.name), now.urn)


def _provider_of(old: TopicRes, providers: dict[str, ProviderRes]) -> ProviderRes | None:
    """The provider that reaches the topic's cluster now (the same alias), to ask it whether the topic has data."""
    return next((p for p in providers.values() if p.alias == old.alias), None)


def _deletion(old: TopicRes, why: str, provider: ProviderRes | None, probes: Probes, report: Report) -> None:
    try:
        records = probes.records(provider, old.name)
    except ProbeError as exc:
        held = f"could not tell whether it holds data ({exc}), so it is assumed to"
    else:
        if records == 0:
            return
        held = f"it holds {records} record(s)"
    report(f"topic {old.name!r} on {old.alias} (resource {old.urn.rsplit('::', 1)[-1]}) would be deleted: {why}; "
           f"{held}, and deleting a topic deletes its "
           f"data on {old.alias} (MM2 deletes nothing on the other side, whose remote copy goes stale); "
           + ALLOW_HINT.format(name=old.name), old.urn)


def _schemas(value: Any) -> list[dict[str, Any]] | None:
    if not known(value) or not isinstance(value, list | tuple):
        return None
    return [dict(s) for s in value if isinstance(s, dict)]


def _subjects(args: DestructiveArgs, report: Report) -> None:
    # By registry and name: a subject keeps both when its resource changes (one per subject, or its registry's pass)
    new = {(s.label, s.subject): s for s in args.view.subjects}
    resources = {r.urn: r for r in args.view.resources}
    for old in args.old.subjects:
        if old.subject in args.context.allow:
            continue
        now = new.get((old.label, old.subject))
        where = f"subject {old.subject!r} in {old.label}'s registry"
        if now is None:
            report(f"{where} would be deleted with all its versions: records carrying their schema IDs (mirrored "
                   "ones too, MM2 copies IDs as they are) could no longer be decoded; "
                   + ALLOW_HINT.format(name=old.subject), old.urn)
            continue
        before, after = _schemas(old.schemas), _schemas(now.schemas)
        if before is None or after is None:
            continue
        if len(after) < len(before) or not all(_same(a, b) for a, b in zip(before, after, strict=False)):
            first = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if not _same(a, b)),
                         len(after))
            report(f"{where}: registered version {first + 1} is removed or rewritten; the toolkit deletes versions "
                   "the spec no longer lists, so records carrying their IDs become undecodable; add new versions "
                   "after the existing ones instead; " + ALLOW_HINT.format(name=old.subject), now.urn)
            continue
        for index, schema in enumerate(after[len(before):], start=len(before) + 1):
            try:
                accepted = args.probes.compatible(now, resources.get(now.urn), schema)
            except ProbeError as exc:
                report(f"{where}: could not check new version {index} against the registry ({exc}); a change "
                       "that is not compatible would be refused halfway through the update", now.urn)
                continue
            if not accepted:
                level = now.compatibility if known(now.compatibility) and now.compatibility else "registry-default"
                report(f"{where}: new version {index} is not {level}-compatible with the registered versions; the "
                       "registry would refuse it mid-update and consumers of old records could break; make the "
                       "change compatible or add a new subject", now.urn)


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same schema in any text form (a registry hands schemas back re-serialised)."""
    kind = str(a.get("schemaType", "AVRO"))
    return kind == str(b.get("schemaType", "AVRO")) and same_schema(kind, str(a.get("schema", "")),
                                                                       str(b.get("schema", "")))
