"""The failover drill on the local pair (K1 lost, its consumers moved to K2 and back), with the toolkit's own
failover code.

Its own topology (`tests/integration/stacks/drill.yaml`) is applied, then: numbered, keyed records are produced
on both clusters (acks=all) and consumed as group `drill-app` on K1; K1's broker is killed (SIGKILL, nothing
else is touched); the group fails over to K2 (`failover_moves.failover`) while K2 keeps producing; K1 is restarted,
its backlog replicates and is read on K2; the group fails back to K1 (`failover_moves.failback`, seeking by time).
Measured: records acknowledged but never read (lost), records read twice (duplicates), records acknowledged
on K1 but not yet in `K1.drill-orders` on K2 at the cut (RPO), time from the cut until the group reads again on
K2 (RTO). The topology is removed at the end and K1 is always brought back.
"""
from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kaa.clients import kafka_groups as kg
from kaa.clients.connect_client import ConnectClient
from kaa.clients.http_request import request
from kaa.clients.kafka_admin import KafkaAdmin, KafkaAdminError
from kaa.clients.pair_access import PairAccess
from kaa.direct_apply import apply_topology
from kaa.errors import ConnectError, KaaError, LocalPairError
from kaa.failover import failover_moves as fo
from kaa.failover.drill_clients import NumberedProducer, RecordingConsumer
from kaa.failover.failover_plan import latest_checkpoints, subscription
from kaa.failover.failover_status import Side, now_ms, status
from kaa.leftover_removal import live_connectors, remove_leftovers, stop_connectors
from kaa.local import LocalPair
from kaa.local.process import signal_if_ours, tracked_pid, wait_gone
from kaa.mirror.mm2_leftovers import mm2_topics
from kaa.mirror.mm2_records import decode_checkpoint
from kaa.polling import retry_on, wait_until
from kaa.topology import naming
from kaa.topology.derive import derive
from kaa.topology.model import Topology
from kaa.topology.spec import load_topology

REPO_ROOT = Path(__file__).resolve().parents[2]
DRILL_STACK = REPO_ROOT / "tests" / "integration" / "stacks" / "drill.yaml"
MM2_PASSWORD = "drill-mm2-secret"  # local pair only
APP_USERS = {"drill-app": "drill-app-secret", "drill-producer": "drill-producer-secret"}
GROUP_PREFIX = "drill-app"  # each drill uses drill-app-<epoch s>: MM2's compacted checkpoints outlive a drill
TOPIC = "drill-orders"


@dataclass(frozen=True)
class DrillSettings:
    rate: float = 50.0  # records/s of each producer
    warmup_s: float = 12.0  # production and consumption on K1 before the cut
    outage_s: float = 12.0  # from the cut until K1 is restarted
    margin_s: float = 5.0  # `failover --margin`: covers this pair's replication and consumer lag several times
    after_failback: int = 50  # records produced on K1 once the group is back
    probe_timeout_s: float = 2.0  # how long K1 gets to answer before it counts as lost
    wait_s: float = 60.0  # bound of each wait for replication or consumption


@dataclass
class DrillReport:
    lost: int = 0
    duplicates: int = 0
    rpo_records: int = 0
    rto_seconds: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)
    timeline: list[tuple[float, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"lost": self.lost, "duplicates": self.duplicates, "rpo_records": self.rpo_records,
                "rto_seconds": round(self.rto_seconds, 2), **self.figures,
                "timeline": [{"t": round(t, 2), "event": e} for t, e in self.timeline]}


Observer = Callable[[str, "Drill"], None]  # called at "failover", "failback" and "end" (see Drill.run)


class Drill:
    def __init__(self, pair: LocalPair, topology: Topology, settings: DrillSettings,
                 log: Callable[[str], None] | None = None, observe: Observer | None = None):
        self.group = f"{GROUP_PREFIX}-{int(time.time())}"
        self.pair, self.topology, self.s = pair, with_group(topology, self.group), settings
        self.log = log or (lambda _line: None)
        self.observe = observe or (lambda _stage, _drill: None)
        self.access = PairAccess.from_status(pair.status_document(), {a: MM2_PASSWORD for a in topology.aliases})
        self.report = DrillReport()
        self.started = time.monotonic()
        self.sep = topology.mirror.separator
        self.k1, self.k2 = topology.aliases
        self.producers: list[NumberedProducer] = []
        self.consumers: list[RecordingConsumer] = []

    # --- helpers ----------------------------------------------------------------------------------------------
    def mark(self, event: str) -> float:
        now = time.monotonic()
        self.report.timeline.append((now - self.started, event))
        self.log(f"[{now - self.started:6.1f}s] {event}")
        return now

    def admin(self, alias: str) -> KafkaAdmin:
        return KafkaAdmin({**self.access[alias].kafka, "log_level": "0"}, alias, 15.0)

    def app(self, alias: str, user: str) -> dict[str, str]:
        return {**self.access[alias].kafka, "sasl.username": user, "sasl.password": APP_USERS[user]}

    def producer(self, alias: str, phase: str, limit: int | None = None) -> NumberedProducer:
        p = NumberedProducer(f"{alias}-{phase}", self.app(alias, "drill-producer"), TOPIC, self.s.rate, limit)
        p.start()
        self.producers.append(p)
        return p

    def consumer(self, name: str, alias: str) -> RecordingConsumer:
        c = RecordingConsumer(name, self.app(alias, "drill-app"), self.group,
                              subscription(self.topology.other(alias).alias, [TOPIC], self.sep))
        c.start()
        self.consumers.append(c)
        return c

    def stop_clients(self) -> None:
        for p in self.producers:
            p.halt()
        for c in self.consumers:
            c.crash()

    def wait(self, check: Callable[[], bool], what: str, timeout: float | None = None) -> bool:
        if wait_until(check, timeout or self.s.wait_s, 0.5):
            return True
        self.mark(f"gave up waiting for {what}")
        return False

    def ends(self, alias: str, topic: str) -> dict[tuple[str, int], int]:
        admin = self.admin(alias)
        return kg.end_offsets(admin, {topic: admin.topics()[topic].partitions})

    def events_in(self, alias: str, topic: str) -> set[str]:
        admin = self.admin(alias)
        records = kg.read_topic(admin, self.access[alias].kafka, topic, admin.topics()[topic].partitions, 30.0)
        return {bytes(r.value or b"").decode() for r in records}

    # --- set-up and tear-down ---------------------------------------------------------------------------------
    def apply(self) -> None:
        remove(self.topology, self.access)
        for alias in self.topology.aliases:
            admin = self.admin(alias)
            for user, password in APP_USERS.items():
                admin.upsert_scram_user(user, password)
        # a topic just created may not be in every metadata cache yet
        retry_on(lambda e: isinstance(e, KafkaAdminError) and "UNKNOWN_TOPIC_OR_PART" in str(e), 3, 1.0)(
            apply_topology, self.topology, self.access)
        self.mark("drill topology applied (topics, ACLs, six MM2 connectors RUNNING)")

    def kill_k1(self) -> None:
        service = self.pair.services(("kafka",), (self.k1,))[0]
        pid = tracked_pid(service.pid_file, service.marker)
        if pid is None or not signal_if_ours(pid, service.marker, signal.SIGKILL):
            raise LocalPairError(f"{service.key} is not running under {self.pair.state_dir}: nothing to kill")
        if wait_gone([pid], 10.0):
            raise LocalPairError(f"{service.key} (pid {pid}) survived SIGKILL for 10 s")

    def k1_running(self) -> bool:
        service = self.pair.services(("kafka",), (self.k1,))[0]
        return tracked_pid(service.pid_file, service.marker) is not None

    # --- the drill --------------------------------------------------------------------------------------------
    def run(self) -> DrillReport:
        s, k1, k2 = self.s, self.k1, self.k2
        remote_k1 = naming.remote_topic(k1, TOPIC, self.sep)
        figures = self.report.figures
        figures["settings"] = {"rate_per_producer": s.rate, "warmup_s": s.warmup_s, "outage_s": s.outage_s,
                               "margin_s": s.margin_s, "offset_lag_max": self.topology.mirror.offset_lag_max,
                               "emit_checkpoints_interval_s": self.topology.mirror.emit_checkpoints_interval_seconds}
        self.apply()
        drill_start_ms = now_ms()

        # 1. normal operation: both sides produce, the group consumes on K1
        p1, p2 = self.producer(k1, "a"), self.producer(k2, "a")
        c1 = self.consumer("c1", k1)
        self.mark(f"producing {s.rate:.0f}/s on {k1} and {k2}; group {self.group} consumes on {k1}")
        time.sleep(s.warmup_s)
        self.wait(lambda: self._checkpointed(k1, k2, drill_start_ms), f"checkpoints of {self.group} on {k2}", 30)
        before = status(self.topology, self.access, [(k1, k2)], [self.group])
        figures["status_before_cut"] = {"ready": before.exit_code == 0, "reasons": before.reasons(before.flows[0]),
                                        "lag": before.flows[0].lag,
                                        "heartbeat_age_s": before.flows[0].heartbeat_age_s}

        # 2. the cut
        cut = self.mark(f"cut: SIGKILL {k1}'s broker")
        self.kill_k1()
        # the application on K1 dies with it: no more records, no more commits (neither blocks the failover)
        flushing = threading.Thread(target=p1.finish, args=(8.0,), daemon=True)
        flushing.start()
        threading.Thread(target=c1.crash, daemon=True).start()

        # 3. failover with the toolkit, the group resumes on K2
        result = fo.failover(self.topology, self.access, k1, k2, [self.group], since_ms=None, margin_s=s.margin_s,
                             probe_timeout=s.probe_timeout_s)
        moved = self.mark(f"failover {k1}->{k2} done ({result.source_state.split(':')[0]})")
        self.observe("failover", self)  # the group's translated positions on K2, before it reads there
        c2 = self.consumer("c2", k2)
        self.wait(lambda: c2.first_at is not None, f"{self.group} reading on {k2}")
        self.report.rto_seconds = (c2.first_at or time.monotonic()) - cut
        self.mark(f"{self.group} reads on {k2}: RTO {self.report.rto_seconds:.1f} s")
        figures["failover_seconds"] = round(moved - cut, 2)
        figures["failover_positions"] = [p.as_dict() for p in result.groups[0].plans]

        # 4. RPO: what K1 acknowledged that is not on K2 while K1 is down
        flushing.join(10)
        acked1 = set(p1.acked)
        on_k2_at_cut = self.events_in(k2, remote_k1)
        self.report.rpo_records = len(acked1 - on_k2_at_cut)
        self.mark(f"RPO: {self.report.rpo_records} of {len(acked1)} acknowledged {k1} records not on {k2}")

        # 5. K1 comes back; its backlog replicates and is read on K2
        time.sleep(max(0.0, s.outage_s - (time.monotonic() - cut)))
        restart = self.mark(f"restarting {k1}'s broker (LocalPair.up)")
        self.pair.up()
        back, back_ms = self.mark(f"{k1} healthy again"), now_ms()
        figures["k1_restart_seconds"] = round(back - restart, 2)
        figures["connectors_healed"] = heal_connectors(self.topology, self.access)
        self.wait(lambda: all(self.ends(k2, remote_k1).get((remote_k1, p), 0) >= end
                              for (_, p), end in self.ends(k1, TOPIC).items()), f"{k1}'s backlog on {k2}")
        figures["backlog_replicated_seconds"] = round(self.mark(f"backlog of {k1} replicated to {k2}") - back, 2)
        figures["lost_in_k1_log"] = len(acked1 - self.events_in(k1, TOPIC))
        self.wait(lambda: acked1 <= c1.events() | c2.events(), f"{self.group} to read {k1}'s backlog on {k2}")
        # K1's Connect worker stopped its tasks when K1 went away and restarts them now; the restarted K2->K1
        # checkpoint task translates only offsets committed after its start: keep consuming on K2 until it has
        # checkpointed the group (what `kaa failover status --from K2 --to K1` shows)
        self.wait(lambda: self._checkpointed(k2, k1, back_ms), f"{k2}->{k1} checkpoints of {self.group}", 45)
        self.mark(f"{k2}->{k1} checkpoints of {self.group} current")
        c2.stop()
        self.mark(f"{self.group} stopped on {k2} (read {len(c2.seen)} records there)")
        # the member the cut left behind on K1 is restored with K1's group state until its session times out
        admin1 = self.admin(k1)
        self.wait(lambda: kg.group_state(admin1, self.group)[1] == 0, f"the stale member on {k1} to expire", 30)
        self.mark(f"{self.group} empty on {k1}")

        # 6. failback with the toolkit: K1 again, K2 keeps producing
        self.observe("failback", self)  # K1 back, the group's positions there untouched since the cut
        back_result = fo.failback(self.topology, self.access, k2, k1, [self.group], seek_by_time=True,
                                  failover_record=result.as_dict(), wait_s=30.0)
        self.mark(f"failback {k2}->{k1} done (seek by time)")
        figures["failback_positions"] = [p.as_dict() for p in back_result.groups[0].plans]
        figures["failback_notes"] = back_result.groups[0].notes
        figures["failback_reread_without_seek"] = back_result.details["reread_without_seek"]
        c3 = self.consumer("c3", k1)
        p3 = self.producer(k1, "b", limit=s.after_failback)
        self.wait(lambda: c3.first_at is not None, f"{self.group} reading on {k1} again")
        p3.join(s.after_failback / s.rate + 15)
        p3.finish(10.0)
        p2.finish(10.0)
        self.mark(f"producers stopped; {self.group} reads on {k1} again")

        acked = acked1 | p2.acked | p3.acked
        consumers = (c1, c2, c3)
        self.wait(lambda: acked <= set().union(*(c.events() for c in consumers)), f"{self.group} to read every record")
        c3.stop()
        self.mark("drained")
        self.observe("end", self)  # everything still in place
        self._count(acked, consumers, {k1: p1, k2: p2, f"{k1} after failback": p3})
        return self.report

    def _checkpointed(self, source: str, target: str, since_ms: int) -> bool:
        """Every partition of `<source>.drill-orders` on `target` has a checkpoint of the group written since
        `since_ms`."""
        side = Side.probe(self.access, target, 15.0)
        topic = naming.checkpoints_topic(source, self.sep)
        count = side.partitions([topic]).get(topic)
        if count is None:
            return False
        fresh = [decode_checkpoint(r.key, r.value) for r in kg.read_topic(side.admin, side.settings, topic, count, 15.0)
                 if r.timestamp_ms >= since_ms and r.key is not None and r.value is not None]
        covered = latest_checkpoints(fresh, self.group).get(self.group, {})
        return len(covered) >= self.admin(source).topics()[TOPIC].partitions

    def _count(self, acked: set[str], consumers: Iterable[RecordingConsumer],
               producers: dict[str, NumberedProducer]) -> None:
        """Lost and duplicate records. The consumers ran one after the other (K1, K2, K1 again), so a record
        read again is a duplicate of the phase whose consumer read it again."""
        seen: set[str] = set()
        read = 0
        by_phase: dict[str, Counter[str]] = {}
        for phase, consumer in zip(("before_cut", "failover", "failback"), consumers, strict=True):
            by_phase[phase] = Counter()
            for record in consumer.seen:
                read += 1
                if record.event in seen:
                    by_phase[phase][record.topic] += 1
                seen.add(record.event)
        unacked = set().union(*(p.failed for p in producers.values())) - acked
        self.report.lost = len(acked - seen)
        self.report.duplicates = read - len(seen)
        self.report.figures.update({
            "acknowledged": {name: len(p.acked) for name, p in producers.items()},
            "unacknowledged": len(unacked),
            "unacknowledged_but_read": len(unacked & seen),
            "read": read,
            "read_unique": len(seen),
            "duplicates_at_failover": sum(by_phase["failover"].values()),
            "duplicates_at_failback": sum(by_phase["failback"].values()),
            "duplicates_by_phase_and_topic": {phase: dict(c) for phase, c in by_phase.items()},
            "lost_events": sorted(acked - seen)[:20],
            "total_seconds": round(time.monotonic() - self.started, 1),
        })


def with_group(topology: Topology, group: str) -> Topology:
    """The drill topology with its consumers in `group`."""
    topics = tuple(replace(t, consumers=tuple(replace(c, group=group) for c in t.consumers)) for t in topology.topics)
    return replace(topology, topics=topics)


def heal_connectors(topology: Topology, access: PairAccess) -> list[str]:
    """Restart this topology's connectors whose tasks failed while K1 was away; returns their names."""
    healed = []
    for alias, state in derive(topology).items():
        client = access[alias].connect_client()
        for connector in state.connectors:
            status = client.status(connector.name) or {}
            states = [status.get("connector", {}).get("state")] + [t.get("state") for t in status.get("tasks", [])]
            if "FAILED" in states:
                request(client.session, "POST",
                        f"{client.url}/connectors/{connector.name}/restart?includeTasks=true&onlyFailed=true",
                        "Kafka Connect", ConnectError, client.timeout)
                healed.append(connector.name)
    return healed


def remove(topology: Topology, access: PairAccess) -> None:
    """Delete what the drill applied: connectors (with their stored source offsets, so a later drill starts
    at the new topics' beginning), topics and MM2's remote copies, MM2's own topics when no other connector uses
    them, ACLs, and the drill's groups."""
    state = derive(topology)
    clients = [access[alias].connect_client() for alias in topology.aliases]
    for alias, client in zip(topology.aliases, clients, strict=True):
        for connector in state[alias].connectors:
            _delete_connector(client, connector.name)
        stop_connectors(client, [c.name for c in state[alias].connectors])
    others = live_connectors(clients)
    principals = {topology.mirror.principal} | {p for t in topology.topics for p in t.producers} | {
        c.principal for t in topology.topics for c in t.consumers}
    for alias in topology.aliases:
        admin = KafkaAdmin({**access[alias].kafka, "log_level": "0"}, alias)
        ours = {t.name for t in topology.topics} | {r.name for r in state[alias].remote_topics
                                                      if r.source_topic != "heartbeats"}
        admin.delete_topics(sorted(ours & set(admin.topics())))
        admin.delete_acls([a for a in admin.acls() if a.principal in principals])
        kg.delete_groups(admin, [g for g in kg.group_ids(admin) if g.startswith(GROUP_PREFIX)])
        # deletion is asynchronous; the check runs within this iteration
        wait_until(lambda: not ours & set(admin.topics()), 30, 0.5)  # noqa: B023
        remove_leftovers(admin, mm2_topics(topology, alias), others)


def _delete_connector(client: ConnectClient, name: str) -> None:
    if client.status(name) is None:
        return
    base = f"{client.url}/connectors/{name}"
    try:
        request(client.session, "PUT", f"{base}/stop", "Kafka Connect", ConnectError, client.timeout)
        wait_until(lambda: (client.status(name) or {}).get("connector", {}).get("state") == "STOPPED", 20, 0.5)
        request(client.session, "DELETE", f"{base}/offsets", "Kafka Connect", ConnectError, client.timeout,
                ok_missing=True)
    except ConnectError:
        pass  # an older worker without KIP-875: deleting the connector is still right
    client.delete(name)


def run_drill(pair: LocalPair | None = None, topology: Topology | None = None,
              settings: DrillSettings | None = None, log: Callable[[str], None] | None = None,
              observe: Observer | None = None) -> DrillReport:
    """Run the whole drill; K1's broker is restarted and the drill topology removed whatever happens. `observe`
    lets a caller look at the clusters at three stages (tests check the drill with their own reads)."""
    pair = pair or LocalPair(progress=None)
    # A Connect worker answers /health late while it rebalances (after connectors come or go): wait a little.
    if not wait_until(pair.is_healthy, 90, 2):
        raise LocalPairError("the local pair is not healthy: start it with `kaa local up` first")
    drill = Drill(pair, topology or load_topology(DRILL_STACK, name="drill"), settings or DrillSettings(), log,
                  observe)
    try:
        return drill.run()
    finally:
        drill.stop_clients()
        try:
            if not drill.k1_running():
                drill.mark(f"restarting {drill.k1}'s broker after a failed drill")
                pair.up()
        finally:
            try:
                remove(drill.topology, drill.access)
                drill.mark("drill topology removed")
            except KaaError as exc:
                drill.mark(f"could not remove the drill topology: {exc}")
