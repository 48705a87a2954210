"""Drift as values: a `Change` per difference, each kind knowing how to describe itself, and the renderers
(human table, JSON, markdown) over the list. Nothing here ever holds a secret: `drift.py` masks before it builds
a change, and the CLI scrubs known secret values from the rendered text as a second guard."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

MISSING, EXTRA, DIFFERS = "+", "-", "~"
ACTIONS = (MISSING, DIFFERS, EXTRA)
LEGEND = "+ missing (in the spec, not live)   ~ differs   - extra (live, not in the spec)"
PARTS = ("topics", "remote topics", "acls", "schemas", "mirror")


@dataclass(frozen=True)
class Change:
    """One difference. `before` is what the spec (or the reference side) wants, `after` what is live;
    `cluster` is the alias it was seen on (None when it is between the two sides, like schema ID parity)."""

    kind: str
    name: str
    action: str
    before: Any = None
    after: Any = None
    cluster: str | None = None

    @property
    def part(self) -> str:
        return KINDS[self.kind].part

    def describe(self) -> str:
        return KINDS[self.kind].describe(self)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "part": self.part, "detail": self.describe()}


@dataclass(frozen=True)
class FlowLag:
    """Replication lag of one flow: source end offsets minus remote end offsets, summed over partitions."""

    source: str
    target: str
    topics: int
    records: int
    worst_topic: str | None = None
    worst_records: int = 0

    @property
    def flow(self) -> str:
        return f"{self.source}->{self.target}"


@dataclass(frozen=True)
class Unreachable:
    part: str  # e.g. "Kafka cluster K2", "schema registry of K1"
    message: str


@dataclass(frozen=True)
class Report:
    stack: str
    aliases: tuple[str, ...]
    changes: tuple[Change, ...]
    unreachable: tuple[Unreachable, ...] = ()
    lag: tuple[FlowLag, ...] | None = None
    notes: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 drift, 2 a part could not be read (even when drift was found elsewhere)."""
        return 2 if self.unreachable else 1 if self.changes else 0

    def counts(self) -> dict[str, int]:
        return {a: sum(1 for c in self.changes if c.action == a) for a in ACTIONS}


# --- kinds: each describes its own changes ---------------------------------------------------------------------

def _show(value: Any) -> str:
    return "unset" if value is None else str(value)


def _pairs(before: Mapping[str, Any], after: Mapping[str, Any], want: str, have: str) -> str:
    keys = sorted(set(before) | set(after))
    return "; ".join(f"{k}: {want} {_show(before.get(k))}, {have} {_show(after.get(k))}" for k in keys)


def _presence(missing: str, extra: str) -> Callable[[Change], str]:
    return lambda c: missing.format(c=c) if c.action == MISSING else extra.format(c=c)


def _spec_live(c: Change) -> str:
    return f"spec {_show(c.before)}, live {_show(c.after)}"


def _topic(c: Change) -> str:
    if c.action == MISSING:
        spec = c.before or {}
        return f"missing (spec: {spec.get('partitions')} partitions, replication factor " \
               f"{spec.get('replication_factor')})"
    return "not in the spec"


def _versions(c: Change) -> str:
    spec = ", ".join(f"v{i + 1} {p}" for i, p in enumerate(c.before or [])) or "none"
    live = ", ".join(f"v{v['version']} id {v['id']} " + (v["schema"] or "not in the spec") for v in c.after or [])
    return f"spec [{spec}], live [{live or 'none'}]"


def _ids(c: Change) -> str:
    (first, ids1), (second, ids2) = next(iter(c.before.items())), next(iter(c.after.items()))
    diffs = ", ".join(f"{v}: {first} {ids1[v]} vs {second} {ids2[v]}" for v in ids1)
    return f"schema IDs differ between the registries ({diffs}); consumers of mirrored topics decode wrongly"


def _state(c: Change) -> str:
    live = c.after or {}
    tasks = ", ".join(f"{i} {s}" for i, s in enumerate(live.get("tasks", []))) or "none"
    return f"{live.get('connector')} with tasks [{tasks}], want {c.before} with every task {c.before}"


def _lag(c: Change) -> str:
    return f"{c.after} records behind, more than --max-lag {c.before}"


@dataclass(frozen=True)
class Kind:
    name: str
    part: str
    describe: Callable[[Change], str]


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("topic", "topics", _topic),
    Kind("partitions", "topics", _spec_live),
    Kind("replication-factor", "topics", _spec_live),
    Kind("topic-config", "topics", lambda c: _pairs(c.before, c.after, "spec", "live")),
    Kind("remote-topic", "remote topics", _presence(
        "missing: MM2's mirror of {c.before}", "unexpected: no mirrored topic of the spec has this name")),
    Kind("remote-partitions", "remote topics", lambda c: f"source {c.before}, remote {c.after}"),
    Kind("remote-replication-factor", "remote topics", lambda c: f"mirror setting {c.before}, remote {c.after}"),
    Kind("remote-config", "remote topics", lambda c: _pairs(c.before, c.after, "source", "remote")),
    Kind("cycle-topic", "remote topics",
         lambda c: "cycle: a record mirrored back or twice (DefaultReplicationPolicy stops at one hop)"),
    Kind("acl", "acls", _presence("missing", "not derived from the spec")),
    Kind("subject", "schemas", _presence("missing in {c.cluster}'s registry",
                                         "in {c.cluster}'s registry only, not in the spec")),
    Kind("schema-versions", "schemas", _versions),
    Kind("schema-id", "schemas", _ids),
    Kind("compatibility", "schemas", _spec_live),
    Kind("connector", "mirror", _presence("missing on {c.cluster}'s Connect",
                                          "not derived for {c.cluster}'s Connect")),
    Kind("connector-state", "mirror", _state),
    Kind("connector-config", "mirror", lambda c: _pairs(c.before, c.after, "want", "live")),
    Kind("replication-lag", "mirror", _lag),
)}


def sort_key(c: Change) -> tuple[int, int, str, int, str]:
    kinds = list(KINDS)
    return (PARTS.index(c.part), kinds.index(c.kind), c.cluster or "", ACTIONS.index(c.action), c.name)


# --- renderers -------------------------------------------------------------------------------------------------

def _summary(report: Report) -> str:
    counts = report.counts()
    if not report.changes:
        state = "no drift"
    else:
        state = f"{len(report.changes)} change(s): " + ", ".join(f"{a}{counts[a]}" for a in ACTIONS)
    return f"drift of stack {report.stack} ({' and '.join(report.aliases)}): {state}"


def _rows(report: Report) -> list[tuple[str, str, str, str, str]]:
    return [(c.action, c.kind, c.cluster or "both", c.name, c.describe()) for c in report.changes]


def render_table(report: Report) -> str:
    lines = [_summary(report)]
    rows = _rows(report)
    if rows:
        header = ("", "KIND", "CLUSTER", "NAME", "DETAIL")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        for row in [header, *rows]:
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
        lines.append(LEGEND)
    lines += _lag_lines(report)
    lines += [f"UNREACHABLE {u.part}: {u.message}" for u in report.unreachable]
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def _lag_lines(report: Report) -> list[str]:
    if report.lag is None:
        return []
    out = ["replication lag (end offsets of source topics minus remote topics):"]
    for f in report.lag:
        worst = f", worst {f.worst_topic} {f.worst_records}" if f.worst_topic and f.worst_records else ""
        out.append(f"  {f.flow}: {f.records} records over {f.topics} topics{worst}")
    return out


def _md(cell: str) -> str:
    return cell.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    status = "❌ unreachable" if report.unreachable else "⚠️ drift" if report.changes else "✅ clean"
    summary = _summary(report)
    lines = [f"### Drift: stack `{report.stack}` {status}", "", summary[:1].upper() + summary[1:], ""]
    if report.unreachable:
        lines += [f"- **unreachable** {_md(u.part)}: {_md(u.message)}" for u in report.unreachable] + [""]
    if report.changes:
        lines += ["| | kind | cluster | name | detail |", "|---|---|---|---|---|"]
        lines += [f"| `{a}` | {k} | {cl} | `{_md(n)}` | {_md(d)} |" for a, k, cl, n, d in _rows(report)]
        lines += ["", f"Legend: {LEGEND}", ""]
    if report.lag is not None:
        lines += ["| flow | topics | records behind | worst topic |", "|---|---|---|---|"]
        lines += [f"| {f.flow} | {f.topics} | {f.records} | {f.worst_topic or ''} {f.worst_records or ''} |"
                  for f in report.lag] + [""]
    lines += [f"_{_md(n)}_" for n in report.notes]
    return "\n".join(lines).rstrip() + "\n"


def render_json(report: Report) -> str:
    doc = {
        "stack": report.stack,
        "clusters": list(report.aliases),
        "clean": report.exit_code == 0,
        "exit_code": report.exit_code,
        "counts": report.counts(),
        "changes": [c.to_json() for c in report.changes],
        "unreachable": [asdict(u) for u in report.unreachable],
        "lag": None if report.lag is None else [{**asdict(f), "flow": f.flow} for f in report.lag],
        "notes": list(report.notes),
        "timings_seconds": {k: round(v, 3) for k, v in report.timings.items()},
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


RENDERERS: dict[str, Callable[[Report], str]] = {"table": render_table, "json": render_json,
                                                 "markdown": render_markdown}

