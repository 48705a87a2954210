"""The pack's policies: names, descriptions and levels over the plain checks (`policy.checks`,
`policy.destructive`). `analyzer()` builds the pack `__main__.py` serves and the tests call."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationPolicy

from policy import checks
from policy.context import PolicyContext
from policy.destructive import DestructiveArgs, destructive_changes
from policy.engine import ALLOW_SCHEMA, Check, KaaAnalyzer, PackState
from policy.engine import stack_policy as policy_over
from policy.live import LIVE_PROBES, StateUnavailable, current_state
from policy.resources import Res, build_view

PACK_NAME = "kafka-active-active"
PACK_VERSION = "0.1.0"  # the engine uses PulumiPolicy.yaml's version; this one is only a fallback


def over_view(check: Callable[[checks.CheckArgs, ReportViolation], None]) -> Check:
    def run(resources: list[Res], context: PolicyContext, report: ReportViolation) -> None:
        check(checks.CheckArgs(build_view(resources, context.aliases), context), report)

    return run


def destructive(state: PackState) -> Check:
    def run(resources: list[Res], context: PolicyContext, report: ReportViolation) -> None:
        if context.dry_run:
            _destructive(state, resources, context, report)

    return run


def _destructive(state: PackState, resources: list[Res], context: PolicyContext, report: ReportViolation) -> None:
    try:
        old = current_state(state.info)
    except StateUnavailable as exc:
        report(f"could not read the stack's current state ({exc}), so destructive changes were not checked; "
               "run the preview where `pulumi stack export` works for this stack", None)
        return
    destructive_changes(DestructiveArgs(build_view(resources, context.aliases), build_view(old, context.aliases),
                                        context, LIVE_PROBES), report)


def policies(state: PackState) -> list[StackValidationPolicy]:
    stack_policy = partial(policy_over, state)
    return [
        stack_policy("topic-prefixes", "No local topic named like a remote topic (<alias><sep>...) or like an "
                     "MM2/Connect/registry internal topic; remote topics are never Pulumi resources.",
                     over_view(checks.prefixes)),
        stack_policy("cluster-parity", "Both clusters hold the same topics (partitions, replication factor, config) "
                     "and ACLs (modulo the alias of remote topics); both registries the same subjects, versions "
                     "and compatibility.", over_view(checks.parity)),
        stack_policy("mirroring", "Both MM2 flows exist, use DefaultReplicationPolicy with one separator, run on "
                     "their target's Connect, exclude internal topics and cover every local topic not opted out.",
                     over_view(checks.mirroring)),
        stack_policy("consumer-access", "Consumers of a mirrored topic can read its remote twin on each cluster; "
                     "producers never get WRITE on remote topics.", over_view(checks.consumers)),
        stack_policy("durability", "Replication factor >= 3, 2 <= min.insync.replicas < replication factor, no "
                     "unclean leader election, MM2 producers with acks=all and idempotence (mandatory in prod).",
                     over_view(checks.durability), EnforcementLevel.ADVISORY, prod_mandatory=True),
        stack_policy("security", "No wildcard principal or wildcard grant from any host, no plaintext listener or "
                     "REST API, producers never auto-register schemas (mandatory in prod).",
                     over_view(checks.security), EnforcementLevel.ADVISORY, prod_mandatory=True),
        stack_policy("secret-credentials", "Passwords reach Pulumi only as secrets.",
                     over_view(checks.secret_credentials)),
        stack_policy("destructive-changes", "No partition decrease, replication-factor change, deletion of a topic "
                     "that holds data, subject deletion or incompatible schema change (checked in preview against "
                     "the stack's current state).", destructive(state), config_schema=ALLOW_SCHEMA),
    ]


def analyzer() -> KaaAnalyzer:
    """A fresh pack: its own state, its policies over that state, the analyzer the engine talks to."""
    state = PackState()
    return KaaAnalyzer(PACK_NAME, PACK_VERSION, policies(state), state)
