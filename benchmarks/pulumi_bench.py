"""`pulumi up`, a no-change preview, a refresh, a one-topic change and `pulumi destroy` of generated stacks, beside
the toolkit's direct batched apply (kaa/direct_apply.py) of the same topology, on a private pair.

For each size (`--topics 100,300,1000`) the drift benchmark's generated topology is used (per topic one producer,
one consumer group and one Avro value subject, mirrored both ways; MM2 runs on the private pair's Connect). For each
engine setting (`--settings default,kaa`: see SETTINGS) a throw-away stack on its own file backend is run through:
  - `pulumi up --yes --skip-preview`,
  - a no-change `pulumi preview --expect-no-changes`,
  - `pulumi refresh --yes --skip-preview` (reads every resource),
  - a one-topic change (one topic's `retention.ms`) applied with `pulumi up --yes --skip-preview`,
  - `pulumi destroy --yes --skip-preview`,
each timed, with the machine's load average as it began and ended, the stack's resource count per type, the CPU
seconds of the engine (the CLI, the program and the providers), of the pair's brokers, registries and Connect
workers over the step, and where the engine's time went per resource type (from the engine's event log). A step
that fails is reported as failed with the engine's error lines (its error diagnostics and failed steps from the
`--json` events, the end of its stderr), in the table, the log and the JSON, and the setting's remaining steps are
skipped; nothing is rerun unless `--rerun-failed` is given, and then the first attempt's error is kept and shown.
The direct apply of the same topology (batched CreateTopics and CreateAcls, ordered registration, the six
connectors) and the benchmark's batched clean-up are timed beside it.

The private pair runs on its own ports with its own state (never the shared pair, never the `local` stack) and is
wiped afterwards. The machine's cores are shared: the CPU seconds say how much of the wall time was ours.

    .venv/bin/python -m benchmarks pulumi --topics 100,300 --settings default,kaa
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_stack import MM2_PASSWORD, BenchStack, StepFailed  # noqa: E402
from benchmarks.drift_bench import engine, keep_pair_logs, own_pair, remove, write_stack  # noqa: E402
from kaa.clients.pair_access import PairAccess  # noqa: E402
from kaa.direct_apply import apply_topology  # noqa: E402
from kaa.local import LocalPair  # noqa: E402
from kaa.pulumi_engine import engine_args  # noqa: E402
from kaa.topology.derive import derive  # noqa: E402
from kaa.topology.spec import load_topology  # noqa: E402
from kaa.up_summary import json_events  # noqa: E402

# K1 Kafka at this port, K2 at +1000: away from the shared pair (19092/29092) and the drift benchmark (25092/26092),
# below Linux's ephemeral range.
OWN_PAIR_PORT = 23392
STEPS = ("up", "preview", "refresh", "change", "destroy")


@dataclass(frozen=True)
class Setting:
    """How the engine is run: environment changes (None unsets a variable) and extra arguments for every command,
    or, with `projects`, the arguments kaa/pulumi_engine.py gives each command."""
    name: str
    env: dict[str, str | None] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    what: str = ""
    projects: bool = False

    def args_for(self, command: str) -> tuple[str, ...]:
        return tuple(engine_args([command])[1:]) if self.projects else self.args


SETTINGS = {s.name: s for s in (
    Setting("default", {"PULUMI_SKIP_CHECKPOINTS": None},
            what="Pulumi's defaults, as a user runs the engine: a checkpoint after every step, --parallel 4 per CPU"),
    Setting("no-checkpoints", {"PULUMI_SKIP_CHECKPOINTS": "true"}, what="PULUMI_SKIP_CHECKPOINTS=true only"),
    Setting("parallel-32", {"PULUMI_SKIP_CHECKPOINTS": None}, ("--parallel", "32"), what="--parallel 32 only"),
    Setting("kaa", {}, projects=True,
            what="what `kaa pulumi` and `kaa quickstart` run with (scripts/pulumi-env.sh's environment, "
            "kaa/pulumi_engine.py's --parallel per command)"),
    *(Setting(f"kaa-p{n}", {}, ("--parallel", str(n)),
              what=f"scripts/pulumi-env.sh's environment, --parallel {n} for every command")
      for n in (16, 32, 64, 128, 256)),
)}


# --- pure parts ---------------------------------------------------------------------------------------------------

def change_one_topic(stack_file: Path) -> str:
    """Rewrite the generated stack with the first topic's `retention.ms` changed; return that topic's name."""
    doc = yaml.safe_load(stack_file.read_text(encoding="utf-8"))
    name = sorted(doc["topics"])[0]
    config = doc["topics"][name].setdefault("config", {})
    config["retention.ms"] = str(int(config.get("retention.ms", "86400000")) + 1000)
    stack_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return name


def expected_counts(stack_file: Path) -> dict[str, int]:
    """What the topology asks for on both clusters: topics, ACL bindings, subjects (both registries), connectors."""
    state = derive(load_topology(stack_file, name=stack_file.stem))
    return {"topics": sum(len(s.topics) for s in state.values()),
            "acls": sum(len(s.acls) for s in state.values()),
            "subjects": sum(len(s.subjects) for s in state.values()),
            "connectors": sum(len(s.connectors) for s in state.values())}


def resource_counts(exported: dict[str, Any]) -> dict[str, int]:
    """Resources per type in a `pulumi stack export` document (the stack itself and providers left out)."""
    types = Counter(r["type"] for r in exported.get("deployment", {}).get("resources") or []
                    if r["type"] != "pulumi:pulumi:Stack" and not r["type"].startswith("pulumi:providers:"))
    return dict(sorted(types.items()))


def growth(rows: Sequence[dict[str, Any]], key: str) -> list[tuple[int, int, float]]:
    """(from size, to size, growth per doubling) of `key` between consecutive sizes of `rows` (sorted by size):
    a step of x4 topics that took x5 the time grows 5 ** (1 / log2(4)) = x2.24 per doubling."""
    import math
    out = []
    ordered = sorted((r for r in rows if r.get(key)), key=lambda r: r["topics"])
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        doublings = math.log2(cur["topics"] / prev["topics"])
        if doublings > 0:
            out.append((prev["topics"], cur["topics"], (cur[key] / prev[key]) ** (1 / doublings)))
    return out


def ratio(a: float | None, b: float | None) -> str:
    return "-" if not a or not b else f"{a / b:.0f}x" if a / b >= 10 else f"{a / b:.1f}x"


def event_profile(events: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per resource type in an engine event log: how many steps, the seconds from its first step's start to its
    last step's end (its span of the update), and the summed step durations (time spent in its provider calls,
    overlapping when steps run in parallel); components, providers and the stack left out. Event timestamps are
    whole seconds."""
    started: dict[str, tuple[str, int]] = {}
    out: dict[str, dict[str, float]] = {}
    for event in events:
        pre, done = event.get("resourcePreEvent"), event.get("resOutputsEvent") or event.get("resOpFailedEvent")
        stamp = int(event.get("timestamp") or 0)
        if pre:
            meta = pre["metadata"]
            if meta.get("op") != "same" and not meta["type"].startswith(("kafka-aa:index:", "pulumi:")):
                started[meta["urn"]] = (meta["type"], stamp)
        elif done and "metadata" in done and done["metadata"]["urn"] in started:
            kind, began = started.pop(done["metadata"]["urn"])
            row = out.setdefault(kind, {"steps": 0, "first": began, "last": stamp, "busy_s": 0.0})
            row["steps"] += 1
            row["first"], row["last"] = min(row["first"], began), max(row["last"], stamp)
            row["busy_s"] += stamp - began
    return {k: {"steps": v["steps"], "span_s": v["last"] - v["first"], "busy_s": v["busy_s"]}
            for k, v in sorted(out.items())}


# --- measuring ----------------------------------------------------------------------------------------------------

def pair_cpu(pair: LocalPair) -> dict[str, float]:
    """CPU seconds used so far by the pair's processes, per service kind (kafka, registry, connect)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for status in pair.status():
        if status.pid is None:
            continue
        try:
            fields = Path(f"/proc/{status.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[status.service] = out.get(status.service, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Measured:
    seconds: float
    cpu: dict[str, float]
    reruns: int = 0
    load: tuple[float, float] = (0.0, 0.0)  # the machine's 1-minute load average when the step began and ended


def measure(pair: LocalPair, fn: Callable[[], int | None]) -> Measured:
    """Wall time of `fn`, the CPU of our child processes (the engine) and of the pair's services meanwhile."""
    before_pair, before_children, load = pair_cpu(pair), children_cpu(), os.getloadavg()[0]
    start = time.perf_counter()
    reruns = fn() or 0
    seconds = time.perf_counter() - start
    after = pair_cpu(pair)
    cpu = {"engine": children_cpu() - before_children,
           **{k: after.get(k, 0.0) - before_pair.get(k, 0.0) for k in sorted(after)}}
    return Measured(seconds, {k: round(v, 1) for k, v in cpu.items()}, reruns,
                    (round(load, 1), round(os.getloadavg()[0], 1)))


class EngineStack(BenchStack):
    """A throw-away stack of this project (benchmarks/bench_stack.py), run with one engine setting. A failed
    command raises StepFailed with the engine's error lines; with `rerun_failed` a failed `up`/`destroy` is run
    once more and the first attempt's error kept in the step's figures."""

    def __init__(self, env: dict[str, str], stack_file: Path, workdir: Path, setting: Setting,
                 log: Callable[[str], None], keep: Path | None = None, rerun_failed: bool = False):
        super().__init__(env, stack_file, workdir, f"{stack_file.stem}-{setting.name}", setting.env, keep)
        self.setting, self.log, self.rerun_failed = setting, log, rerun_failed

    def apply(self, command: str, info: dict[str, Any]) -> int:
        """`pulumi up|destroy --yes --skip-preview --json` with the setting's arguments; the profile per resource
        type comes from the engine's events. Returns the reruns (0, or 1 with `rerun_failed`)."""
        for attempt in (0, 1):
            try:
                done = self.run(command, "--yes", "--skip-preview", "--json", *self.setting.args_for(command))
                info["profile"] = event_profile(json_events(done.stdout))
                return attempt
            except StepFailed as exc:
                if attempt or not self.rerun_failed:
                    raise
                info["first_attempt"] = {"seconds": round(exc.seconds, 1), "exit": exc.returncode, "error": exc.lines}
                self.log(f"{self.name}: {exc}\n{self.name}: running `pulumi {command}` once more (--rerun-failed)")
        raise AssertionError("unreachable")

    def preview_no_change(self, info: dict[str, Any]) -> None:
        self.run("preview", "--expect-no-changes", *self.setting.args_for("preview"))

    def refresh(self, info: dict[str, Any]) -> None:
        self.run("refresh", "--yes", "--skip-preview", *self.setting.args_for("refresh"))

    def resources(self) -> dict[str, int]:
        return resource_counts(json.loads(self.run("stack", "export").stdout))


def bench_engine(pair: LocalPair, access: PairAccess, env: dict[str, str], stack_file: Path, setting: Setting,
                 workdir: Path, log: Callable[[str], None], keep: Path | None = None,
                 rerun_failed: bool = False) -> dict[str, Any]:
    """Each step timed, one after the other; a failed step is recorded with its error lines and ends the
    setting's run (the steps after it are listed as skipped), then the stack is destroyed untimed."""
    topology = load_topology(stack_file, name=stack_file.stem)
    stack = EngineStack(env, stack_file, workdir, setting, log, keep, rerun_failed)
    row: dict[str, Any] = {"setting": setting.name}
    remove(topology, access)
    original = stack_file.read_text(encoding="utf-8")
    steps: dict[str, Callable[[dict[str, Any]], int | None]] = {
        "up": lambda info: stack.apply("up", info),
        "preview": stack.preview_no_change,
        "refresh": stack.refresh,
        "change": lambda info: (change_one_topic(stack_file), stack.apply("up", info))[1],
        "destroy": lambda info: stack.apply("destroy", info),
    }
    try:
        try:
            stack.init()
        except StepFailed as exc:
            row["error"] = f"stack init: {exc}"
            log(f"{stack.name}: {row['error']}")
            return row
        for step, fn in steps.items():
            log(f"{stack.name}: {step}")
            info: dict[str, Any] = {}
            try:
                measured = measure(pair, lambda fn=fn, info=info: fn(info))  # type: ignore[misc]
            except (StepFailed, subprocess.TimeoutExpired) as exc:
                lines = exc.lines if isinstance(exc, StepFailed) else [f"timed out after {exc.timeout:.0f}s"]
                seconds = exc.seconds if isinstance(exc, StepFailed) else float(exc.timeout)
                row[step] = {"failed": True, "seconds": round(seconds, 1), "load": os.getloadavg()[0],
                             "error": lines, **info}
                row["error"] = f"{step}: " + (lines[0] if lines else "failed")
                row["skipped"] = list(steps)[list(steps).index(step) + 1:]
                log(f"{stack.name}: {step} FAILED after {seconds:.0f}s:\n  " + "\n  ".join(lines)
                    + (f"\n{stack.name}: skipping {', '.join(row['skipped'])}" if row["skipped"] else ""))
                break
            row[step] = {**measured.__dict__, **info}
            log(f"{stack.name}: {step} {measured.seconds:.1f}s, load {measured.load[0]}-{measured.load[1]}, "
                f"CPU {measured.cpu}" + (f", {measured.reruns} rerun" if measured.reruns else ""))
            if step == "up":
                row["resources"] = stack.resources()
        if row.get("error") and row["error"].split(":")[0] != "destroy":
            try:  # untimed: the next setting starts from an empty pair
                stack.run("destroy", "--yes", "--skip-preview", "--json", *setting.args_for("destroy"))
            except (StepFailed, subprocess.TimeoutExpired) as again:
                log(f"{stack.name}: destroy after the failure failed too: {again}")
    finally:
        stack_file.write_text(original, encoding="utf-8")
        stack.forget()
        remove(topology, access)
    return row


def bench_direct(pair: LocalPair, access: PairAccess, stack_file: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """The same topology through kaa/direct_apply.py (batched), then the benchmark's batched clean-up."""
    topology = load_topology(stack_file, name=stack_file.stem)
    remove(topology, access)
    applied = measure(pair, lambda: (apply_topology(topology, access), 0)[1])
    log(f"{stack_file.stem}: direct apply {applied.seconds:.1f}s, CPU {applied.cpu}")
    again = measure(pair, lambda: (apply_topology(topology, access), 0)[1])
    log(f"{stack_file.stem}: direct apply, nothing to change {again.seconds:.1f}s")
    removed = measure(pair, lambda: (remove(topology, access), 0)[1])
    log(f"{stack_file.stem}: direct clean-up {removed.seconds:.1f}s")
    return {"apply": applied.__dict__, "again": again.__dict__, "remove": removed.__dict__}


# --- the table ----------------------------------------------------------------------------------------------------

def flat(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per (size, setting) with the seconds of each step that passed at top level (`<step>_s`, for
    tables and growth) and the state of each step (`<step>_cell`: its seconds, failed or skipped)."""
    out = []
    for r in rows:
        for engine_row in r["engine"]:
            item = {"topics": r["topics"], "setting": engine_row["setting"], "expected": r["expected"],
                    "resources": sum((engine_row.get("resources") or {}).values()),
                    "direct_s": (r.get("direct") or {}).get("apply", {}).get("seconds"),
                    "direct_remove_s": (r.get("direct") or {}).get("remove", {}).get("seconds"),
                    "error": engine_row.get("error")}
            for step in STEPS:
                done = engine_row.get(step)
                if done is None:
                    item[f"{step}_cell"] = "skipped" if step in engine_row.get("skipped", ()) else "-"
                elif done.get("failed"):
                    item[f"{step}_cell"] = f"failed after {done['seconds']:.0f}"
                else:
                    item[f"{step}_s"] = done["seconds"]
                    item[f"{step}_cell"] = f"{done['seconds']:.1f}" + (
                        f" ({done['reruns']} rerun: first attempt failed)" if done.get("reruns") else "")
            out.append(item)
    return out


def render(rows: Sequence[dict[str, Any]], note: str = "") -> str:
    """The table, the growth per doubling, and per (size, setting): the machine's load during each step, the
    profile and CPU of `up` and `destroy`, the error lines of a failed step and of a rerun's first attempt."""
    items = flat(rows)
    head = ("topics", "setting", "Kafka topics + ACL bindings", "subjects", "engine resources", "`pulumi up` s",
            "no-change preview s", "refresh s", "one-topic change s", "`pulumi destroy` s", "direct apply s",
            "up / direct", "direct clean-up s", "destroy / clean-up")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for i in items:
        exp = i["expected"]
        lines.append("| " + " | ".join([
            str(i["topics"]), i["setting"], f"{exp['topics'] + exp['acls']:,} ({exp['topics']} + {exp['acls']:,})",
            str(exp["subjects"]), f"{i['resources']:,}", *(i[f"{step}_cell"] for step in STEPS),
            "-" if i["direct_s"] is None else f"{i['direct_s']:.1f}", ratio(i.get("up_s"), i["direct_s"]),
            "-" if i["direct_remove_s"] is None else f"{i['direct_remove_s']:.1f}",
            ratio(i.get("destroy_s"), i["direct_remove_s"])]) + " |")
    out = "\n".join(lines) + "\n"
    for setting in dict.fromkeys(i["setting"] for i in items):
        same = [i for i in items if i["setting"] == setting]
        for step in (*STEPS, "direct"):
            for a, b, per in growth(same, f"{step}_s"):
                out += f"growth per doubling, {setting}, {step}, {a} -> {b} topics: x{per:.2f}\n"
    for r in rows:
        for engine_row in r["engine"]:
            where = f"{r['topics']} topics, {engine_row['setting']}"
            loads = [f"{step} {engine_row[step]['load'][0]}-{engine_row[step]['load'][1]}" for step in STEPS
                     if isinstance((engine_row.get(step) or {}).get("load"), (list, tuple))]
            if loads:
                out += f"load average {where}: {', '.join(loads)}\n"
            for step in ("up", "destroy"):
                profile = (engine_row.get(step) or {}).get("profile") or {}
                if profile:
                    parts = ", ".join(f"{k.split(':')[-1]} {v['steps']:.0f} steps over {v['span_s']:.0f}s"
                                      for k, v in profile.items())
                    out += f"profile {where}, {step}: {parts}\n"
                cpu = (engine_row.get(step) or {}).get("cpu")
                if cpu:
                    out += f"CPU s {where}, {step}: " + ", ".join(f"{k} {v}" for k, v in cpu.items()) + "\n"
            for step in STEPS:
                done = engine_row.get(step) or {}
                first = done.get("first_attempt")
                if first:
                    out += (f"rerun {where}, {step}: the first attempt failed after {first['seconds']:.0f}s (exit "
                            f"{first['exit']}):\n" + "".join(f"  {line}\n" for line in first["error"]))
                if done.get("failed"):
                    out += (f"failed {where}, {step} after {done['seconds']:.0f}s"
                            + (f" (skipped: {', '.join(engine_row['skipped'])})" if engine_row.get("skipped") else "")
                            + ":\n" + "".join(f"  {line}\n" for line in done["error"]))
            if engine_row.get("error") and not any((engine_row.get(s) or {}).get("failed") for s in STEPS):
                out += f"failed {where}: {engine_row['error']}\n"
    return out + (f"\nnote: {note}\n" if note else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks pulumi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", default="100,300,1000", help="comma-separated sizes (default 100,300,1000)")
    parser.add_argument("--settings", default="default,kaa",
                        help="comma-separated engine settings to compare side by side: "
                        + "; ".join(f"{s.name}: {s.what}" for s in SETTINGS.values()))
    parser.add_argument("--port", type=int, default=OWN_PAIR_PORT,
                        help=f"K1 Kafka port of the private pair (default {OWN_PAIR_PORT}; K2 at PORT+1000)")
    parser.add_argument("--no-direct", action="store_true", help="skip the direct apply (its columns show -)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures to FILE")
    parser.add_argument("--rerun-failed", action="store_true",
                        help="run a failed `up` or `destroy` once more and time both attempts together (the first "
                        "attempt's error is kept); by default a failed step is reported with its error and the "
                        "setting's remaining steps are skipped")
    parser.add_argument("--keep-logs", metavar="DIR", type=Path,
                        help="keep every engine command's output and the private pair's service logs in DIR")
    args = parser.parse_args(argv)
    if args.keep_logs:
        args.keep_logs.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.topics.split(",") if s.strip()]
    unknown = [s for s in args.settings.split(",") if s.strip() and s.strip() not in SETTINGS]
    if unknown:
        print(f"pulumi bench: --settings: unknown {', '.join(unknown)}; choose from {', '.join(SETTINGS)}",
              file=sys.stderr)
        return 2
    settings = [SETTINGS[s.strip()] for s in args.settings.split(",") if s.strip()]

    def log(message: str) -> None:
        print(f"[pulumi-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the private pair on the way out
    env = engine()
    if env is None:
        print("pulumi bench: the pinned engine is not built (scripts/setup.sh pulumi)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="kaa-pulumi-bench-"))
    log(f"starting a private pair on ports {args.port} and {args.port + 1000} in {workdir}")
    pair, local_stack = own_pair(workdir, args.port)
    access = PairAccess.from_status(pair.status_document(), {"K1": MM2_PASSWORD, "K2": MM2_PASSWORD})
    rows: list[dict[str, Any]] = []
    try:
        for size in sizes:
            stack_file = write_stack(workdir / f"bench{size}", size, local_stack)
            row: dict[str, Any] = {"topics": size, "expected": expected_counts(stack_file), "engine": []}
            row["direct"] = None if args.no_direct else bench_direct(pair, access, stack_file, log)
            for setting in settings:
                row["engine"].append(bench_engine(pair, access, env, stack_file, setting,
                                                  workdir / f"pulumi{size}-{setting.name}", log, args.keep_logs,
                                                  args.rerun_failed))
            rows.append(row)
            if args.json:  # after every size, so a long run that is stopped keeps what it measured
                Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    finally:
        if args.keep_logs or any(e.get("error") for r in rows for e in r["engine"]):
            kept = keep_pair_logs(workdir, "kaa-pulumi-bench-logs-", args.keep_logs)
            log(f"the private pair's logs are kept in {kept}")
        log("stopping and wiping the private pair")
        pair.down(wipe=True)
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(rows, f"{os.cpu_count()} cores shared with other users of this machine: wall times include "
                       "waiting for the CPU; the CPU seconds say how much was ours"), end="")
    return 1 if any(e.get("error") for r in rows for e in r["engine"]) else 0


if __name__ == "__main__":
    sys.exit(main())
