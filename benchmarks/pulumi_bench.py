"""`pulumi up`, a no-change preview, a one-topic change and `pulumi destroy` of generated stacks, beside the
toolkit's direct batched apply (kaa/direct_apply.py) of the same topology, on a private pair.

For each size (`--topics 100,300,1000`) the drift benchmark's generated topology is used (per topic one producer,
one consumer group and one Avro value subject, mirrored both ways; MM2 runs on the private pair's Connect). For each
engine setting (`--settings default,kaa`: see SETTINGS) a throw-away stack on its own file backend is run through:
  - `pulumi up --yes --skip-preview` (a failed `up` is rerun once and the rerun counted, so a flaky update shows),
  - a no-change `pulumi preview --expect-no-changes`,
  - a one-topic change (one topic's `retention.ms`) applied with `pulumi up --yes --skip-preview`,
  - `pulumi destroy --yes --skip-preview`,
each timed, with the stack's resource count per type, the CPU seconds of the engine (the CLI, the program and the
providers), of the pair's brokers, registries and Connect workers over the step, and where the engine's time went
per resource type (from the engine's event log). The direct apply of the same topology (batched CreateTopics and
CreateAcls, ordered registration, the six connectors) and the benchmark's batched clean-up are timed beside it.

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

from benchmarks.drift_bench import MM2_PASSWORD, engine, own_pair, remove, write_stack  # noqa: E402
from kaa.clients.pair_access import PairAccess  # noqa: E402
from kaa.direct_apply import apply_topology  # noqa: E402
from kaa.local import LocalPair  # noqa: E402
from kaa.pulumi_engine import engine_args  # noqa: E402
from kaa.topology.derive import derive  # noqa: E402
from kaa.topology.spec import load_topology  # noqa: E402

# K1 Kafka at this port, K2 at +1000: away from the shared pair (19092/29092) and the drift benchmark (25092/26092),
# below Linux's ephemeral range.
OWN_PAIR_PORT = 23392
STEPS = ("up", "preview", "change", "destroy")


@dataclass(frozen=True)
class Setting:
    """How the engine is run: environment changes (None unsets a variable) and extra arguments for every command."""
    name: str
    env: dict[str, str | None] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    what: str = ""


SETTINGS = {s.name: s for s in (
    Setting("default", {"PULUMI_SKIP_CHECKPOINTS": None},
            what="Pulumi's defaults, as a user runs the engine: a checkpoint after every step, --parallel 4 per CPU"),
    Setting("no-checkpoints", {"PULUMI_SKIP_CHECKPOINTS": "true"}, what="PULUMI_SKIP_CHECKPOINTS=true only"),
    Setting("parallel-32", {"PULUMI_SKIP_CHECKPOINTS": None}, ("--parallel", "32"), what="--parallel 32 only"),
    Setting("kaa", {}, tuple(engine_args(["up"])[1:]),
            what="what `kaa pulumi` and `kaa quickstart` run with (scripts/pulumi-env.sh's environment, "
            "kaa/pulumi_engine.py's arguments)"),
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
    profile: dict[str, dict[str, float]] = field(default_factory=dict)


def measure(pair: LocalPair, fn: Callable[[], int | None]) -> Measured:
    """Wall time of `fn`, the CPU of our child processes (the engine) and of the pair's services meanwhile."""
    before_pair, before_children = pair_cpu(pair), children_cpu()
    start = time.perf_counter()
    reruns = fn() or 0
    seconds = time.perf_counter() - start
    after = pair_cpu(pair)
    cpu = {"engine": children_cpu() - before_children,
           **{k: after.get(k, 0.0) - before_pair.get(k, 0.0) for k in sorted(after)}}
    return Measured(seconds, {k: round(v, 1) for k, v in cpu.items()}, reruns)


class EngineStack:
    """A throw-away stack of this project on its own file backend, run with one engine setting."""

    def __init__(self, env: dict[str, str], stack_file: Path, workdir: Path, setting: Setting,
                 log: Callable[[str], None]):
        (workdir / "state").mkdir(parents=True, exist_ok=True)
        self.workdir, self.setting, self.log = workdir, setting, log
        self.name = f"{stack_file.stem}-{setting.name}"
        self.config_file = workdir / f"Pulumi.{self.name}.yaml"
        self.env = {**env, "PULUMI_BACKEND_URL": f"file://{workdir / 'state'}", "PULUMI_CONFIG_PASSPHRASE": "bench"}
        self.env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        for key, value in setting.env.items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value
        self.stack_file = stack_file

    def run(self, *args: str, timeout: float = 4 * 3600) -> subprocess.CompletedProcess[str]:
        config = ["--config-file", str(self.config_file)] if args[0] != "stack" else []
        cmd = ["pulumi", *args, "--stack", self.name, *config, "--non-interactive"]
        done = subprocess.run(cmd, cwd=ROOT, env=self.env, text=True, capture_output=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"pulumi {args[0]} failed ({done.returncode}):\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done

    def init(self) -> None:
        subprocess.run(["pulumi", "stack", "init", self.name, "--non-interactive"], cwd=ROOT, env=self.env,
                       capture_output=True, check=False)
        self.run("config", "set", "stackFile", str(self.stack_file))
        for alias in ("K1", "K2"):
            for key, value in (("adminUsername", "admin"), ("adminPassword", "admin-secret"),
                               ("mm2Password", MM2_PASSWORD)):
                self.run("config", "set", "--path", f"credentials.{alias}.{key}",
                         "--secret" if "Password" in key else "--plaintext", value)

    def apply(self, command: str, profile: dict[str, dict[str, float]]) -> int:
        """`pulumi up|destroy --yes --skip-preview` with the setting's arguments; once more if it fails (counted).
        `--json` streams the engine's events, from which the profile per resource type is taken."""
        for attempt in (0, 1):
            try:
                done = self.run(command, "--yes", "--skip-preview", "--json", *self.setting.args)
                profile.update(event_profile(json_stream(done.stdout)))
                return attempt
            except RuntimeError as exc:
                if attempt:
                    raise
                self.log(f"{self.name}: pulumi {command} failed, running it once more: {str(exc)[-400:]}")
        raise AssertionError("unreachable")

    def preview_no_change(self) -> None:
        self.run("preview", "--expect-no-changes", *self.setting.args)

    def resources(self) -> dict[str, int]:
        return resource_counts(json.loads(self.run("stack", "export").stdout))

    def forget(self) -> None:
        subprocess.run(["pulumi", "stack", "rm", self.name, "--force", "--yes", "--non-interactive"], cwd=ROOT,
                       env=self.env, capture_output=True, check=False)


def json_stream(text: str) -> list[dict[str, Any]]:
    """The JSON documents of `pulumi up --json` output (one engine event after the other, any indentation)."""
    decoder, out, index = json.JSONDecoder(), [], 0
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


def bench_engine(pair: LocalPair, access: PairAccess, env: dict[str, str], stack_file: Path, setting: Setting,
                 workdir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    topology = load_topology(stack_file, name=stack_file.stem)
    stack = EngineStack(env, stack_file, workdir, setting, log)
    row: dict[str, Any] = {"setting": setting.name}
    remove(topology, access)
    original = stack_file.read_text(encoding="utf-8")
    try:
        stack.init()
        profiles: dict[str, dict[str, dict[str, float]]] = {s: {} for s in STEPS}
        steps: dict[str, Callable[[], int | None]] = {
            "up": lambda: stack.apply("up", profiles["up"]),
            "preview": stack.preview_no_change,
            "change": lambda: (change_one_topic(stack_file), stack.apply("up", profiles["change"]))[1],
            "destroy": lambda: stack.apply("destroy", profiles["destroy"]),
        }
        for step, fn in steps.items():
            log(f"{stack.name}: {step}")
            measured = measure(pair, fn)
            measured.profile = profiles[step]
            row[step] = measured.__dict__
            log(f"{stack.name}: {step} {measured.seconds:.1f}s, CPU {measured.cpu}"
                + (f", {measured.reruns} rerun" if measured.reruns else ""))
            if step == "up":
                row["resources"] = stack.resources()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        row["error"] = f"{type(exc).__name__}: {str(exc)[-1500:]}"
        log(f"{stack.name} failed: {row['error']}")
        try:
            stack.run("destroy", "--yes", "--skip-preview", *setting.args)
        except (RuntimeError, subprocess.TimeoutExpired) as again:
            log(f"{stack.name}: destroy after the failure failed too: {str(again)[-300:]}")
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
    """One dict per (size, setting) with the step seconds at top level, for tables and growth."""
    out = []
    for r in rows:
        for engine_row in r["engine"]:
            item = {"topics": r["topics"], "setting": engine_row["setting"], "expected": r["expected"],
                    "resources": sum((engine_row.get("resources") or {}).values()),
                    "direct_s": (r.get("direct") or {}).get("apply", {}).get("seconds"),
                    "direct_remove_s": (r.get("direct") or {}).get("remove", {}).get("seconds"),
                    "error": engine_row.get("error")}
            for step in STEPS:
                if step in engine_row:
                    item[f"{step}_s"] = engine_row[step]["seconds"]
                    item[f"{step}_reruns"] = engine_row[step]["reruns"]
            out.append(item)
    return out


def render(rows: Sequence[dict[str, Any]], note: str = "") -> str:
    items = flat(rows)
    head = ("topics", "setting", "Kafka topics + ACL bindings", "subjects", "engine resources", "`pulumi up` s",
            "no-change preview s", "one-topic change s", "`pulumi destroy` s", "direct apply s",
            "up / direct", "direct clean-up s", "destroy / clean-up")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for i in items:
        def sec(step: str, i: dict[str, Any] = i) -> str:
            if f"{step}_s" not in i:
                return "failed" if i["error"] else "-"
            return f"{i[f'{step}_s']:.1f}" + (" (1 rerun)" if i.get(f"{step}_reruns") else "")
        exp = i["expected"]
        lines.append("| " + " | ".join([
            str(i["topics"]), i["setting"], f"{exp['topics'] + exp['acls']:,} ({exp['topics']} + {exp['acls']:,})",
            str(exp["subjects"]), f"{i['resources']:,}", sec("up"), sec("preview"), sec("change"), sec("destroy"),
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
            for step in ("up", "destroy"):
                profile = (engine_row.get(step) or {}).get("profile") or {}
                if profile:
                    parts = ", ".join(f"{k.split(':')[-1]} {v['steps']:.0f} steps over {v['span_s']:.0f}s"
                                      for k, v in profile.items())
                    out += f"profile {r['topics']} topics, {engine_row['setting']}, {step}: {parts}\n"
                cpu = (engine_row.get(step) or {}).get("cpu")
                if cpu:
                    out += (f"CPU s {r['topics']} topics, {engine_row['setting']}, {step}: "
                            + ", ".join(f"{k} {v}" for k, v in cpu.items()) + "\n")
            if engine_row.get("error"):
                out += f"failed: {r['topics']} topics, {engine_row['setting']}: {engine_row['error'][-600:]}\n"
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
    args = parser.parse_args(argv)
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
                                                  workdir / f"pulumi{size}-{setting.name}", log))
            rows.append(row)
            if args.json:  # after every size, so a long run that is stopped keeps what it measured
                Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    finally:
        if any(e.get("error") for r in rows for e in r["engine"]):
            kept = Path(tempfile.mkdtemp(prefix="kaa-pulumi-bench-logs-"))
            for log_file in (workdir / "pair").glob("*/*/*.log*"):
                shutil.copy(log_file, kept / f"{log_file.parent.parent.name}-{log_file.name}")
            log(f"the private pair's logs are kept in {kept}")
        log("stopping and wiping the private pair")
        pair.down(wipe=True)
        shutil.rmtree(workdir, ignore_errors=True)
    print(render(rows, f"{os.cpu_count()} cores shared with other users of this machine: wall times include "
                       "waiting for the CPU; the CPU seconds say how much was ours"), end="")
    return 1 if any(e.get("error") for r in rows for e in r["engine"]) else 0


if __name__ == "__main__":
    sys.exit(main())
