"""`kaa quickstart`: the README's main command on the embedded default.

Starts the local K1/K2 pair, runs `pulumi up --stack local` through the engine (its full output goes to a log
file, or to the terminal with --verbose), then shows the pair working: an Avro record produced to `orders` on
each side is read from the other side's remote topic and decoded with the other side's registry (same schema
IDs). It prints one line per phase, what now exists on K1, K2, the registries and Connect, and where to look next.
When the local stack's state lists topics, subjects or connectors the pair no longer has (after
`kaa local down --wipe`), it says so and runs `pulumi refresh` before the update.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Message, Producer

from kaa.acl_layout import CHECKED_ENV, migrate_acl_layout, summary
from kaa.cli.cmd_migrate import stack_runner
from kaa.clients.kafka_admin import KafkaAdmin
from kaa.clients.pair_access import PairAccess
from kaa.errors import KaaError
from kaa.local import LocalPair
from kaa.local.runtime import cache_dir
from kaa.polling import poll
from kaa.pulumi_engine import (
    LOCAL_STACK,
    RACE_RERUN,
    ROOT,
    engine_env,
    race_rerun_note,
    run_pulumi,
    with_local_passphrase,
)
from kaa.schemas.wire_format import decode_avro, encode_avro, schema_id_of
from kaa.state_check import Lister, divergence_message, missing_resources, tracked_resources
from kaa.up_summary import connection_race_only, error_lines, outputs_summary, update_counts

# The local pair's fixed credentials (local defaults, set as Pulumi config secrets of the local stack).
LOCAL_CREDENTIALS = {"adminUsername": "admin", "adminPassword": "admin-secret", "mm2Password": "mm2-local-secret"}


def _first_with_key(consumer: Consumer, key: bytes, timeout: float) -> Message | None:
    """The first record with `key` the consumer receives within `timeout` seconds."""
    def ours() -> Message | None:
        msg = consumer.poll(1.0)
        return msg if msg is not None and not msg.error() and msg.key() == key else None

    return poll(ours, lambda msg: msg is not None, timeout, 0)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "quickstart",
        help="start the local pair, pulumi up --stack local, and show replication both ways",
        description=__doc__,
        epilog="Exit codes: 0 the pair replicates both ways, 2 a part failed (the message says which).",
    )
    p.add_argument("--skip-up", action="store_true", help="do not run pulumi up (only show replication)")
    p.add_argument("--verbose", action="store_true",
                   help="print the full `pulumi up --diff` here instead of only to the log file")
    p.set_defaults(func=run)


def ensure_stack(env: dict[str, str]) -> None:
    run_pulumi(["stack", "select", "--create", LOCAL_STACK, "--non-interactive"], env, capture=True)
    current = run_pulumi(["config", "--stack", LOCAL_STACK, "--json"], env, capture=True).stdout
    if "kafka-active-active:credentials" in json.loads(current or "{}"):
        return
    for alias in ("K1", "K2"):
        for key, value in LOCAL_CREDENTIALS.items():
            secret = ["--secret"] if "Password" in key else ["--plaintext"]
            run_pulumi(["config", "set", "--stack", LOCAL_STACK, "--path", f"credentials.{alias}.{key}", *secret,
                        value], env, capture=True)


def show_replication(pair: LocalPair) -> None:
    access = local_access(pair)
    for source, target in (("K1", "K2"), ("K2", "K1")):
        src, tgt = access[source], access[target]
        src_registry = src.registry_client(alias=source)
        latest = src_registry.version("orders-value", "latest")
        order_id = str(uuid.uuid4())
        order: dict[str, object] = {"order_id": order_id, "customer_id": f"c-{source}", "amount_cents": 4200,
                 "currency": "EUR"}
        producer = Producer({**src.kafka, "acks": "all", "enable.idempotence": True})
        producer.produce("orders", key=order_id.encode(), value=encode_avro(latest.id, latest.schema, order),
                         headers=[("origin", source.encode())])
        producer.flush(30)
        print(f"    produced order {order_id} to orders on {source} (schema ID {latest.id})")
        remote = f"{source}.orders"
        consumer = Consumer({**tgt.kafka, "group.id": f"kaa-quickstart-{uuid.uuid4()}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([remote])
        found = _first_with_key(consumer, order_id.encode(), 90)
        consumer.close()
        if found is None:
            raise KaaError(f"order {order_id} did not reach {remote} on {target} within 90s; "
                           f"check `kaa local logs --service connect --cluster {target}`")
        payload = found.value() or b""
        schema_id = schema_id_of(payload)
        schema = tgt.registry_client(alias=target).schema_by_id(schema_id)
        if schema is None:
            raise KaaError(f"{target}'s registry has no schema with ID {schema_id}: the registries are out of step")
        decoded = decode_avro(payload, schema)
        print(f"    read it from {remote} on {target}, decoded with {target}'s registry (ID {schema_id}): {decoded}")


def local_access(pair: LocalPair) -> PairAccess:
    """How the local pair is reached (its admin, registry and Connect credentials and CA), without probing it."""
    return PairAccess.from_status({"clusters": {a: pair.client_settings(a) for a in pair.aliases}}, {})


def pair_lister(pair: LocalPair) -> Lister:
    """What exists on the local pair, per kind and place (bootstrap servers or URL); None for other places."""
    by_servers = {pair.cluster(a).bootstrap_servers: a for a in pair.aliases}

    def live(kind: str, place: str) -> set[str] | None:
        access = local_access(pair)
        if kind == "topic":
            alias = by_servers.get(place)
            return set(KafkaAdmin(access[alias].kafka, alias).topics()) if alias else None
        urls = {(s.schema_registry if kind == "subject" else s.connect).rstrip("/"): s
                for s in access.clusters.values()}
        side = urls.get(place.rstrip("/"))
        if side is None:
            return None
        return set(side.registry_client().subjects()) if kind == "subject" else set(side.connect_client().connectors())

    return live


def reconcile_state(stack: str, env: dict[str, str], live: Lister, log: Path, verbose: bool,
                    cwd: Path = ROOT) -> str | None:
    """Compare the stack's state with what `live` finds; when things are gone, say so and `pulumi refresh`.

    Returns the divergence line (None when state and pair agree). The update that follows recreates what the
    refresh dropped from the state.
    """
    exported = run_pulumi(["stack", "export", "--stack", stack], env, cwd=cwd, capture=True).stdout
    tracked = tracked_resources(json.loads(exported or "{}"))
    divergence = divergence_message(stack, tracked, missing_resources(tracked, live))
    if divergence:
        print(f"      {divergence}; running `pulumi refresh` first so the update recreates them", flush=True)
        pulumi_logged(["refresh", "--stack", stack, "--yes", "--non-interactive", "--skip-preview"], env, log,
                      verbose, cwd)
    return divergence


def log_path() -> Path:
    path = cache_dir() / "logs" / "quickstart-pulumi-up.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def pulumi_logged(args: list[str], env: dict[str, str], log: Path, verbose: bool, cwd: Path = ROOT) -> str:
    """Run pulumi, appending its output to `log` (and to the terminal with --verbose); its output on success. A
    command that failed only for the kafka provider's connection race is run once more (kaa/pulumi_engine.py)."""
    for attempt in (1, 2):
        result = run_pulumi(args, env, cwd=cwd, capture=True, check=False)
        text = (result.stdout or "") + (result.stderr or "")
        with log.open("a") as handle:
            handle.write(f"$ pulumi {' '.join(args)}\n{text}\n")
        if verbose:
            print(text)
        if attempt == 2 or result.returncode == 0 or args[0] not in RACE_RERUN or not connection_race_only(text):
            break
        print(f"      {race_rerun_note(args[0])}", flush=True)
    if result.returncode != 0:
        raise KaaError(f"pulumi {args[0]} failed (exit {result.returncode}); full output in {log}:\n  "
                       + "\n  ".join(error_lines(text)))
    return text


def phase(number: int, text: str) -> float:
    print(f"[{number}/4] {text}", flush=True)
    return time.monotonic()


def done(began: float, text: str = "") -> None:
    print(f"      done in {time.monotonic() - began:.1f} s{': ' + text if text else ''}", flush=True)


def run(args: argparse.Namespace) -> int:
    began = phase(1, "local pair: starting K1 and K2 (Kafka broker, Connect worker, schema registry each)")
    pair = LocalPair(progress=sys.stderr)
    pair.up()
    done(began, f"state in {pair.state_dir}")
    began = phase(2, "Pulumi engine and the local stack")
    env = with_local_passphrase(engine_env(), LOCAL_STACK)
    ensure_stack(env)
    cli = shutil.which("pulumi", path=env.get("PATH"))
    where = Path(cli).resolve() if cli else "pulumi"
    done(began, f"pulumi {run_pulumi(['version'], env, capture=True).stdout.strip()} ({where})")
    log = log_path()
    if not args.skip_up:
        began = phase(3, f"pulumi up --stack local (full diff in {log})")
        log.write_text("")
        migrated = migrate_acl_layout(stack_runner(env, LOCAL_STACK))
        env = {**env, CHECKED_ENV: LOCAL_STACK}  # migrated: the program need not read the state again
        if migrated:
            print(f"      {summary(LOCAL_STACK, migrated)}", flush=True)
        reconcile_state(LOCAL_STACK, env, pair_lister(pair), log, args.verbose)
        up = ["up", "--stack", LOCAL_STACK, "--yes", "--non-interactive", "--skip-preview", "--diff"]
        # No blind rerun: a failure is reported with its error lines (what was applied stays in the state, so a
        # rerun after the fix converges). ACL sets wait for their bindings to be listed, so a loaded pair no
        # longer fails the update for an ACL that exists.
        text = pulumi_logged(up, env, log, args.verbose)
        done(began, "; ".join(update_counts(text)))
    began = phase(4, "replication both ways: an Avro record produced on each side, read on the other")
    show_replication(pair)
    done(began)
    outputs = run_pulumi(["stack", "output", "--stack", LOCAL_STACK, "--json"], env, capture=True).stdout
    print("\nWhat the local stack holds now:")
    for line in outputs_summary(json.loads(outputs or "{}")):
        print(f"  {line}")
    print(f"""
Where to look next (from {ROOT}):
  scripts/kaa local status                          the six services, their ports and health
  scripts/kaa drift --stack local                   K1, K2, both registries and Connect against stacks/local.yaml
  scripts/kaa pulumi preview --stack local --diff   after editing stacks/base.yaml
  scripts/kaa local logs --service connect          MirrorMaker 2's logs
  {log}   the full pulumi up output""")
    return 0
