"""What a newcomer reads after `make up`: the update's counts and what now exists on each part of the pair.

The full `pulumi up --diff` goes to a log file; these few lines come from its summary and the stack outputs.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def update_counts(log_text: str) -> list[str]:
    """The `Resources:` block Pulumi prints at the end of an update (e.g. '+ 191 created', '3 unchanged')."""
    lines = log_text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "Resources:"]
    if not starts:
        return []
    out = []
    for line in lines[starts[-1] + 1:]:
        if not line.strip():
            break
        out.append(line.strip())
    return out


def condensed(message: str) -> str:
    """One line for an engine error message: a Python traceback's exception (the lines after its last frame),
    else the message's lines joined."""
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    if lines and lines[0].lstrip().startswith("Traceback (most recent call last)"):
        frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
        rest = lines[frames[-1] + 1:] if frames else lines[1:]
        while rest and rest[0].startswith(" "):  # the frame's source line and its ^^^ markers
            rest = rest[1:]
        lines = rest or lines[-1:]
    return " ".join(line.strip() for line in lines)


def error_blocks(log_text: str) -> list[str]:
    """Each `error:` line of an engine's text output with the lines that continue it (up to a blank line or the
    next `error:`), condensed, in order: what stands before `error:` (a resource's progress line), then the
    message."""
    lines = [line.rstrip() for line in log_text.splitlines()]
    blocks: list[tuple[str, list[str], int]] = []  # (what stands before `error:`, the message's lines, its indent)
    open_block = False
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if "error:" in line:
            head, message = line.split("error:", 1)
            blocks.append((head.strip(), [message], indent))
            open_block = True
        elif open_block and line.strip() and (
                indent > blocks[-1][2] or blocks[-1][1][0].strip().startswith("Traceback")):
            blocks[-1][1].append(line)  # a traceback runs to the blank line after it; other messages are indented
        else:
            open_block = False
    return [f"{head + ' ' if head else ''}error: {condensed(chr(10).join(message))}" for head, message, _ in blocks]


def error_lines(log_text: str, limit: int = 20) -> list[str]:
    """The errors of a failed update from its text output (error_blocks), each once, the first ones first (the
    cause comes before the engine's "update failed"); else the log's tail."""
    errors = error_blocks(log_text)
    if not errors:
        return [line.rstrip() for line in log_text.splitlines() if line.strip()][-limit:]
    return capped(list(dict.fromkeys(errors)), limit)


def capped(lines: list[str], limit: int) -> list[str]:
    return lines if len(lines) <= limit else [*lines[:limit], f"(and {len(lines) - limit} more error lines)"]


def json_events(text: str) -> list[dict[str, Any]]:
    """The JSON documents in `pulumi up|destroy|refresh --json` output (one engine event after the other, any
    indentation; other text between them is passed over)."""
    decoder, index = json.JSONDecoder(), 0
    out: list[dict[str, Any]] = []
    while True:
        start = text.find("{", index)
        if start < 0:
            return out
        try:
            doc, index = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            index = start + 1
            continue
        if isinstance(doc, dict):
            out.append(doc)


def urn_name(urn: str | None) -> str:
    """`urn:pulumi:stack::project::kafka:index/topic:Topic::orders` -> `kafka:index/topic:Topic orders`."""
    parts = (urn or "").split("::")
    return f"{parts[-2].split('$')[-1]} {parts[-1]}" if len(parts) >= 4 else (urn or "")


def engine_failure(stdout: str, stderr: str = "", limit: int = 30, tail: int = 10) -> list[str]:
    """What a failed engine command said about why: from a `--json` event stream, its error diagnostics (the
    resource they name and the message, condensed) and the steps that failed, the first ones first; from text
    output, its `error:` lines; then the last `tail` lines of stderr (where the CLI itself reports)."""
    events = json_events(stdout)
    lines: list[str] = []
    failed: list[str] = []
    for event in events:
        diagnostic = event.get("diagnosticEvent") or {}
        if diagnostic.get("severity") == "error":
            where = urn_name(diagnostic.get("urn"))
            lines.append(f"{where + ': ' if where else ''}{condensed(diagnostic.get('message') or '')}")
        step = (event.get("resOpFailedEvent") or {}).get("metadata")
        if step:
            failed.append(f"{step.get('op')} {urn_name(step.get('urn'))}")
    out = capped(list(dict.fromkeys(lines)), limit) if events else error_lines(stdout, limit)
    if failed:
        out.append(f"failed steps ({len(failed)}): " + ", ".join(failed[:10]) + (", ..." if len(failed) > 10 else ""))
    err = [line.rstrip() for line in stderr.splitlines() if line.strip()][-tail:]
    return out + [f"stderr: {line}" for line in err]


# The kafka provider (terraform-provider-kafka under pulumi-kafka 3.12.3, with IBM/sarama) asks sarama for the
# controller broker on every topic step, and sarama's Broker.Open marks the broker opened before it takes the lock
# its connection is made under. A step that starts in that gap, beside the one opening the connection, finds the
# broker unconnected and fails at once, before it sends anything (docs/pulumi.md, "A race in the kafka provider").
CONNECTION_RACE = "kafka: broker not connected"
# What the engine adds on the stack itself after a step failed; nothing of the program's own.
ENGINE_AFTERMATH = ("update failed", "preview failed", "destroy failed", "refresh failed",
                    "Resource monitor has terminated")


def _race_or_aftermath(urn_type: str, messages: list[str]) -> bool:
    if urn_type in ("pulumi:pulumi:Stack", ""):  # the stack, or the engine's own diagnostic (no URN)
        return all(m.strip().startswith(ENGINE_AFTERMATH) for m in messages)
    return any(CONNECTION_RACE in m for m in messages)


def connection_race_only(output: str) -> bool:
    """Whether a failed engine command failed only for the kafka provider's connection race: at least one step
    failed, and each resource with an error has the race among its errors (the stack itself only the engine's
    aftermath). `output` is a `--json` event stream or event log, or the CLI's text output with its
    `Diagnostics:` section. Anything else (a program error, a refused request, an unreachable cluster, no
    diagnostics at all) is not the race."""
    events = [e for e in json_events(output) if "sequence" in e]  # engine events, not a `{}` in a text diff
    by_resource: dict[str, list[str]] = {}
    if events:
        failed = set()
        for event in events:
            diagnostic = event.get("diagnosticEvent") or {}
            if diagnostic.get("severity") == "error":
                by_resource.setdefault(diagnostic.get("urn") or "", []).append(diagnostic.get("message") or "")
            step = (event.get("resOpFailedEvent") or {}).get("metadata")
            if step:
                failed.add(step.get("urn") or "")
        steps = {urn: messages for urn, messages in by_resource.items()
                 if urn and "::pulumi:pulumi:Stack::" not in urn}
        return (bool(steps) and failed <= set(steps)
                and all(_race_or_aftermath(urn_name(urn).split(" ")[0], m) for urn, m in by_resource.items()))
    lines = output.splitlines()
    heads = [i for i, line in enumerate(lines) if line.strip() == "Diagnostics:"]
    if not heads:  # `--diff` output: the errors on stderr, without the resource they belong to
        messages = [block.split("error:", 1)[1] for block in error_blocks(output)]
        return (any(CONNECTION_RACE in m for m in messages)
                and all(CONNECTION_RACE in m or m.strip().startswith(ENGINE_AFTERMATH) for m in messages))
    blocks: list[tuple[str, list[str]]] = []  # (resource type, its `error:` messages)
    for line in lines[heads[-1] + 1:]:
        if line.strip() and not line.startswith(" "):  # `Resources:` or whatever follows the section
            break
        if line.startswith("  ") and line[2] != " " and line.rstrip().endswith("):"):
            blocks.append((line.strip().split(" (", 1)[0], []))  # `  kafka:index:Topic (pair-K2-orders):`
        elif blocks and line.strip().startswith("error:"):
            blocks[-1][1].append(line.strip()[len("error:"):])
    failing = [(kind, errors) for kind, errors in blocks if errors]
    return (any(kind != "pulumi:pulumi:Stack" for kind, _ in failing)
            and all(_race_or_aftermath(kind, errors) for kind, errors in failing))


def outputs_summary(outputs: Mapping[str, Any]) -> list[str]:
    """The stack outputs (`pair`, `schema_ids`, `connectors`) -> one line per cluster, registry and Connect."""
    clusters = (outputs.get("pair") or {}).get("clusters") or {}
    schema_ids = outputs.get("schema_ids") or {}
    states = outputs.get("connectors") or {}
    out = []
    for alias, cluster in clusters.items():
        topics, remote = cluster.get("topics") or [], cluster.get("remote_topics") or []
        out.append(f"{alias}: {len(topics)} topics ({', '.join(topics)}), {cluster.get('acls', 0)} ACLs; "
                   f"MM2 mirrors them to the other cluster and fills {len(remote)} remote topics here "
                   f"({', '.join(remote)})")
    for alias, subjects in schema_ids.items():
        ids = ", ".join(f"{subject} {list(v)}" for subject, v in sorted((subjects or {}).items()))
        out.append(f"{alias} registry: {len(subjects or {})} subjects, schema IDs {ids or '-'}")
    for alias, cluster in clusters.items():
        names = cluster.get("connectors") or []
        running = sum(1 for n in names if states.get(n) == "RUNNING")
        out.append(f"{alias} Connect: {len(names)} MM2 connectors, {running} RUNNING ({', '.join(names)})")
    return out
