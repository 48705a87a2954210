"""Renderers over a `TopologyDiff`: plain text, JSON, markdown (for a PR comment) and a Mermaid picture.

Each change words itself (`Change.describe`); these functions only lay the words out. Nothing here can show a
secret: the model holds none, and connector settings named like one are already `(hidden)` in the changes.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from kaa.mirror.mm2_settings import all_connectors
from kaa.topodiff.topology_diff import ADD, CHANGE, KINDS, MIRROR, REGISTRIES, REMOVE, SYMBOLS, Change, TopologyDiff
from kaa.topology import naming
from kaa.topology.model import Topology

FORMATS = ("text", "json", "markdown")
LEGEND = "`+` added · `~` changed · `-` removed"
STATUS_CLASS = {ADD: "added", CHANGE: "changed", REMOVE: "removed"}
CLASS_DEFS = (
    "classDef added fill:#dafbe1,stroke:#1a7f37,color:#0f5323,stroke-width:2px",
    "classDef changed fill:#fff8c5,stroke:#9a6700,color:#4d2d00,stroke-width:2px",
    "classDef removed fill:#ffebe9,stroke:#cf222e,color:#82071e,stroke-width:2px,stroke-dasharray:5 3",
    "classDef unchanged fill:#f6f8fa,stroke:#8c959f,color:#24292f",
)


def _title(diff: TopologyDiff) -> str:
    return f"stack {diff.stack}: {diff.base_label} → {diff.head_label}"


def _group_title(diff: TopologyDiff, group: str) -> str:
    if group == REGISTRIES:
        return f"Schema registries ({' and '.join(diff.aliases)})"
    if group == MIRROR:
        return "Mirroring (MirrorMaker 2)"
    return f"Cluster {group}"


def _totals(diff: TopologyDiff) -> str:
    totals = diff.totals()
    return "  ".join(f"{SYMBOLS[a]}{totals[a]}" for a in (ADD, CHANGE, REMOVE))


# --- text --------------------------------------------------------------------------------------------------------

def render_text(diff: TopologyDiff) -> str:
    lines = [f"Topology diff of {_title(diff)}"]
    if not diff.changes:
        return "\n".join(lines + ["No change."]) + "\n"
    lines.append(f"{len(diff.changes)} changes ({_totals(diff)}), {len(diff.risky)} risky")
    if diff.risky:
        lines += ["", "Risky changes:"]
        lines += [f"  ! {c.symbol} [{c.cluster}] {c.describe()}\n      {c.risk}" for c in diff.risky]
    for group, changes in diff.groups():
        lines += ["", f"{_group_title(diff, group)}:"]
        lines += [f"  {c.symbol} {c.describe()}" + ("  (risky)" if c.risk else "") for c in changes]
    return "\n".join(lines) + "\n"


# --- JSON --------------------------------------------------------------------------------------------------------

def render_json(diff: TopologyDiff) -> str:
    document = {
        "stack": diff.stack,
        "base": diff.base_label,
        "head": diff.head_label,
        "summary": {"changes": len(diff.changes), "risky": len(diff.risky), **diff.totals(), "by_kind": diff.counts()},
        "changes": [c.as_dict() for c in diff.changes],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- markdown ----------------------------------------------------------------------------------------------------

def _code(text: str) -> str:
    return f"`{text}`"


def _md_line(change: Change) -> str:
    warn = " ⚠️" if change.risk else ""
    return f"- `{change.symbol}`{warn} {change.describe(_code)}"


def render_markdown(diff: TopologyDiff) -> str:
    title = f"stack {_code(diff.stack)}: {_code(diff.base_label)} → {_code(diff.head_label)}"
    out = [f"### Topology diff of {title}", ""]
    if not diff.changes:
        out += ["No change to topics, ACLs, schemas or mirroring.", ""]
        out += _diagram_section(diff)
        return "\n".join(out)
    risky = len(diff.risky)
    totals = diff.totals()
    counted = " · ".join(f"`{SYMBOLS[a]}` {totals[a]}" for a in (ADD, CHANGE, REMOVE))
    headline = f"**{len(diff.changes)} changes** ({counted})"
    headline += f", **⚠️ {risky} risky**" if risky else ", none risky"
    out += [headline, "", f"Legend: {LEGEND}", ""]
    out += ["| kind | `+` | `~` | `-` |", "| --- | ---: | ---: | ---: |"]
    for kind, counts in diff.counts().items():
        out.append(f"| {KINDS[kind].title} | {counts[ADD]} | {counts[CHANGE]} | {counts[REMOVE]} |")
    out.append("")
    if risky:
        out += ["#### ⚠️ Risky changes", ""]
        for c in diff.risky:
            out.append(f"- `{c.symbol}` **{_group_title(diff, c.cluster)}**: {c.describe(_code)}  ")
            out.append(f"  _{c.risk}_")
        out.append("")
    for group, changes in diff.groups():
        out += [f"#### {_group_title(diff, group)}", ""]
        out += [_md_line(c) for c in changes]
        out.append("")
    out += _diagram_section(diff)
    return "\n".join(out)


def _diagram_section(diff: TopologyDiff) -> list[str]:
    return ["#### The pair", "", "```mermaid", render_mermaid(diff).rstrip("\n"), "```", ""]


# --- Mermaid -----------------------------------------------------------------------------------------------------

class _Picture:
    """Nodes of the pair (local and remote topics per cluster, one node per MM2 flow) and their status."""

    def __init__(self, diff: TopologyDiff):
        self.diff = diff
        self.ids: dict[tuple[str, str, str], str] = {}
        self.status: dict[tuple[str, str, str], str] = {}
        flow_of = {c.name: (c.source, c.target)
                   for t in (diff.base, diff.head) if t is not None for c in all_connectors(t)}
        for change in diff.changes:
            for element, cluster, name, action in change.marks():
                if element == "connector" and name in flow_of:
                    self.mark(("flow", *flow_of[name]), action)
                elif element == "mirror":
                    for source, target in self.flows():
                        self.mark(("flow", source, target), action)
                elif element in ("topic", "remote"):
                    self.mark((element, cluster, name), action)

    def mark(self, key: tuple[str, str, str], action: str) -> None:
        """A node added and changed stays added; removed wins over both (the element goes away)."""
        current = self.status.get(key)
        if current is None or action == REMOVE or (action == ADD and current == CHANGE):
            self.status[key] = action

    def node_id(self, key: tuple[str, str, str]) -> str:
        return self.ids.setdefault(key, f"n{len(self.ids)}")

    def flows(self) -> list[tuple[str, str]]:
        aliases = self.diff.aliases
        return [(aliases[0], aliases[1]), (aliases[1], aliases[0])] if len(aliases) == 2 else []

    def label(self, key: tuple[str, str, str], text: str) -> str:
        status = self.status.get(key)
        prefix = f"{SYMBOLS[status]} " if status else ""
        return f"{prefix}{text}"

    def css(self, key: tuple[str, str, str]) -> str:
        status = self.status.get(key)
        return STATUS_CLASS[status] if status else "unchanged"


def _topics(topology: Topology | None) -> dict[str, bool]:
    return {t.name: t.mirror for t in topology.topics} if topology else {}


LEGEND_NODES = (
    '  subgraph legend["Legend"]',
    "    direction LR",
    '    lg0["+ added"]:::added ~~~ lg1["~ changed"]:::changed ~~~ lg2["- removed"]:::removed',
    '    lg2 ~~~ lg3["unchanged"]:::unchanged ~~~ lg4(["remote topic (MM2)"]):::unchanged',
    "  end",
)


def render_mermaid(diff: TopologyDiff) -> str:
    """A `flowchart` of the pair: K1 and K2 with local and remote topics, the two MM2 flows, changes coloured.

    The layout engine places top-level subgraphs right to left in the order declared, so declaring the legend,
    the second cluster, the flows and then the first cluster draws K1 | MirrorMaker 2 | K2, the flows crossing.
    """
    picture = _Picture(diff)
    before, after = _topics(diff.base), _topics(diff.head)
    names = sorted(before.keys() | after.keys())
    mirrored = [n for n in names if before.get(n) or after.get(n)]
    either = diff.head or diff.base
    sep = either.mirror.separator if either else "."
    aliases = diff.aliases[:2]
    clusters: dict[str, list[str]] = {}
    for index, alias in enumerate(aliases):
        other = aliases[1 - index] if len(aliases) == 2 else alias
        block = [f'  subgraph c{index}["{alias}"]', "    direction TB"]
        for name in names:
            key = ("topic", alias, name)
            block.append(f'    {picture.node_id(key)}["{picture.label(key, name)}"]:::{picture.css(key)}')
        for name in mirrored:
            key = ("remote", alias, naming.remote_topic(other, name, sep))
            block.append(f'    {picture.node_id(key)}(["{picture.label(key, key[2])}"]):::{picture.css(key)}')
        clusters[alias] = [*block, "  end"]
    flows = ['  subgraph mm2["MirrorMaker 2"]', "    direction LR"]
    edges: list[str] = []
    for source, target in picture.flows():
        key = ("flow", source, target)
        flow = picture.node_id(key)
        flows.append(f'    {flow}{{{{"{picture.label(key, f"MM2 {source} → {target}")}"}}}}:::{picture.css(key)}')
        for name in mirrored:
            local = picture.node_id(("topic", source, name))
            remote = picture.node_id(("remote", target, naming.remote_topic(source, name, sep)))
            arrow = "-->" if after.get(name) else "-.->"
            edges += [f"  {local} {arrow} {flow}", f"  {flow} {arrow} {remote}"]
    flows.append("  end")
    lines = ["flowchart TB", *LEGEND_NODES]
    for alias in reversed(aliases[1:]):
        lines += clusters[alias]
    if picture.flows():
        lines += flows
    for alias in aliases[:1]:
        lines += clusters[alias]
    lines += edges
    lines += [f"  {d}" for d in CLASS_DEFS]
    return "\n".join(lines) + "\n"


RENDERERS: dict[str, Callable[[TopologyDiff], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
