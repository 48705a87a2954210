"""What a newcomer reads after `make up`: the update's counts and what now exists on each part of the pair.

The full `pulumi up --diff` goes to a log file; these few lines come from its summary and the stack outputs.
"""
from __future__ import annotations

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


def error_lines(log_text: str, limit: int = 20) -> list[str]:
    """The lines of a failed update that say what failed (Pulumi's `error:` lines), else the log's tail."""
    lines = [line.rstrip() for line in log_text.splitlines()]
    errors = [line.strip() for line in lines if "error:" in line]
    return (errors or [line for line in lines if line.strip()])[-limit:]


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
