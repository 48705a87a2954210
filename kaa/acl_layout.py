"""Upgrade a stack's state from one Pulumi resource per ACL binding to ACL sets without touching a live ACL.

Until ACL sets, each cluster's ACLs were `kafka:index/acl:Acl` resources, one per binding. A program that declares
sets instead makes Pulumi create the sets (which adopt the live bindings: CreateAcls of an existing binding is a
no-op) and then delete every old resource, which deletes its binding: the ACLs would be gone right after the
update. So before the first update with sets, the old resources leave the state (and only the state):
`pulumi stack export`, drop the old resources and every reference to them, `pulumi stack import`. The live
bindings stay where they are, and the update's sets adopt them. `kaa migrate`, `kaa pulumi up` and
`kaa quickstart` do this; users with their own Pulumi run `kaa migrate --stack <stack>` once before `pulumi up`,
and the program refuses to run on a state that still holds them (`refusal`), so a forgotten migration stops the
update before anything changes instead of deleting the bindings.

Only the components' own ACL resources (children of a `KafkaCluster`) are dropped; other `Acl` resources a
program declares stay managed as before.
"""
from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

OLD_ACL_TYPE = "kafka:index/acl:Acl"
CLUSTER_TYPE = "kafka-aa:index:KafkaCluster"

# Set by `kaa pulumi up` and `kaa quickstart` to the stack's name once they migrated it, so the program need not
# read the state again.
CHECKED_ENV = "KAA_ACL_LAYOUT_CHECKED"

# Runs `pulumi ARGS` for the stack in question and returns its stdout (raising when pulumi fails).
Runner = Callable[[Sequence[str]], str]


def old_layout_acls(document: Mapping[str, Any]) -> list[str]:
    """URNs of the per-binding ACL resources the components declared (children of a KafkaCluster)."""
    entries = (document.get("deployment") or {}).get("resources") or []
    return [e["urn"] for e in entries if e.get("type") == OLD_ACL_TYPE and f"{CLUSTER_TYPE}${OLD_ACL_TYPE}::" in
            str(e.get("urn", ""))]


def without_resources(document: Mapping[str, Any], urns: Sequence[str]) -> dict[str, Any]:
    """A copy of an exported state without `urns` and without any reference to them."""
    gone = set(urns)
    out = copy.deepcopy(dict(document))
    deployment = out.get("deployment") or {}
    kept = []
    for entry in deployment.get("resources") or []:
        if entry.get("urn") in gone:
            continue
        if entry.get("dependencies"):
            entry["dependencies"] = [u for u in entry["dependencies"] if u not in gone]
        for key, deps in list((entry.get("propertyDependencies") or {}).items()):
            entry["propertyDependencies"][key] = [u for u in deps if u not in gone]
        if entry.get("deletedWith") in gone:
            del entry["deletedWith"]
        kept.append(entry)
    deployment["resources"] = kept
    if deployment.get("pending_operations"):
        deployment["pending_operations"] = [op for op in deployment["pending_operations"]
                                            if (op.get("resource") or {}).get("urn") not in gone]
    return out


def migrate_acl_layout(run: Runner, dry_run: bool = False) -> list[str]:
    """Drop the old per-binding ACL resources from the stack's state (never from the cluster); their URNs."""
    document = json.loads(run(["stack", "export"]) or "{}")
    urns = old_layout_acls(document)
    if urns and not dry_run:
        with tempfile.TemporaryDirectory(prefix="kaa-migrate-") as tmp:
            path = Path(tmp) / "state.json"
            path.write_text(json.dumps(without_resources(document, urns)), encoding="utf-8")
            run(["stack", "import", "--file", str(path)])
    return urns


def summary(stack: str | None, urns: Sequence[str], dry_run: bool = False) -> str:
    name = f"stack {stack}" if stack else "the selected stack"
    if not urns:
        return f"{name}: no per-binding ACL resources in the state; nothing to migrate"
    verb = "would remove" if dry_run else "removed"
    return (f"{name}: {verb} {len(urns)} per-binding ACL resources (kafka:index/acl:Acl) from the state only; the "
            "live ACLs stay, and the next `pulumi up` adopts them into one ACL set per principal and cluster")


def refusal(document: Mapping[str, Any], stack: str) -> str | None:
    """Why the program must not run on this exported state (it still holds per-binding ACL resources), or None."""
    urns = old_layout_acls(document)
    if not urns:
        return None
    return (f"stack {stack}: the state still holds {len(urns)} per-binding ACL resources ({OLD_ACL_TYPE}); this "
            "version keeps each principal's ACLs in one set per cluster, and an update now would delete those "
            f"bindings from the clusters right after creating the sets. Run `scripts/kaa migrate --stack {stack}` "
            "once (it moves them out of the state only; no ACL is touched), then `pulumi up` again "
            "(`scripts/kaa pulumi up` does both)")
