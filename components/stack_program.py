"""Glue between the Pulumi program and the pure model: which stack file a Pulumi stack uses."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pulumi

from kaa.acl_layout import CHECKED_ENV, refusal
from kaa.clients.pair_access import PairAccess
from kaa.clients.reachability import unreachable_parts
from kaa.errors import SpecError
from kaa.redaction import scrub
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

ROOT = Path(__file__).resolve().parent.parent


def stack_topology(stack: str, config: pulumi.Config) -> Topology:
    """`stacks/<stack>.yaml`, or the file named by the `stackFile` config key (relative to the project).

    An invalid spec, or a cluster, registry or Connect worker that does not answer its authenticated call (a
    metadata request, GET /subjects, GET /connectors with the stack's credentials and CA), stops the program
    before any resource is declared (so nothing changes), with one line per problem. Config
    `skipReachabilityCheck: true` turns the reachability check off (e.g. a preview from a machine without access).
    """
    file = ROOT / (config.get("stackFile") or f"stacks/{stack}.yaml")
    try:
        topology = load_topology(file, name=stack)
    except SpecError as exc:
        raise pulumi.RunError("invalid topology:\n" + "\n".join(exc.problems)) from None
    if not config.get_bool("skipReachabilityCheck"):
        # the same credentials the resources use (config `credentials`, a secret object read in plain here,
        # never printed), each overridable by its KAA_<ALIAS>_* environment variable
        access = PairAccess.from_config(topology, config.get_object("credentials") or {})
        problems = [scrub(line, access.secrets()) for line in unreachable_parts(topology, access)]
        if problems:
            raise pulumi.RunError("parts of the pair cannot be reached:\n" + "\n".join(problems))
    return topology


def refuse_old_acl_layout() -> None:
    """Stop before any resource is declared when the stack's state still holds one ACL resource per binding
    (`start_acl_layout_check` then its `result`, one after the other)."""
    start_acl_layout_check().result()


class AclLayoutCheck:
    """The state read of `start_acl_layout_check`, running in a thread until `result` is asked for."""

    def __init__(self, stack: str, name: str | None) -> None:
        self.stack, self.outcome = stack, ("clean", "")
        self.thread = threading.Thread(target=self._read, args=(name,), name="acl-layout-check", daemon=True)
        if name is not None:
            self.thread.start()

    def _read(self, name: str) -> None:
        cli = shutil.which("pulumi")
        if not cli:
            self.outcome = ("unread", "no pulumi on PATH")
            return
        try:
            done = subprocess.run([cli, "stack", "export", "--stack", name], capture_output=True, text=True,
                                  timeout=300)
            if done.returncode != 0:
                self.outcome = ("unread", (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])
                return
            message = refusal(json.loads(done.stdout or "{}"), self.stack)
            self.outcome = ("refused", message) if message else ("clean", "")
        except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
            self.outcome = ("unread", f"{type(exc).__name__}: {exc}")

    def result(self) -> None:
        """Waits for the read; raises the refusal, or warns where the state could not be read."""
        if self.thread.ident is not None:  # started
            self.thread.join()
        kind, detail = self.outcome
        if kind == "refused":
            raise pulumi.RunError(detail)
        if kind == "unread":
            pulumi.log.warn(f"could not read stack {self.stack}'s state to check for per-binding ACL resources "
                            f"({detail}); if it was made before ACL sets, run `scripts/kaa migrate --stack "
                            f"{self.stack}` once before `pulumi up`")


def start_acl_layout_check() -> AclLayoutCheck:
    """Starts reading the stack's state, to stop before any resource is declared when it still holds one ACL
    resource per binding: call `result()` before declaring anything.

    The program declares ACL sets; run on such a state, Pulumi would create the sets (adopting the live bindings)
    and then delete every old resource, and with it its binding. `kaa pulumi up` migrates first (and says so
    through `KAA_ACL_LAYOUT_CHECKED`: nothing is read); a user's own `pulumi` gets one line naming `kaa migrate`
    instead. The state is read with the engine that runs the program (`pulumi stack export`, no secrets
    decrypted), in a thread, so that it overlaps the topology's loading and the reachability check (about 3 s of
    a 1,000-topic stack's 10 MB state); where it cannot be read, a warning says what to run rather than blocking
    every update.
    """
    stack = pulumi.get_stack()
    if os.environ.get(CHECKED_ENV) == stack:
        return AclLayoutCheck(stack, None)
    return AclLayoutCheck(stack, f"{pulumi.get_organization()}/{pulumi.get_project()}/{stack}")
