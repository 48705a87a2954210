"""The failover drill on the TLS pair: K1's broker is killed, the group fails over to K2 over SASL_SSL and back,
nothing acknowledged is lost. Named to sort last: it stops K1's broker for about a minute and leaves the pair
healthy (`LocalPair.up()` restarts it)."""
from __future__ import annotations

import sys
from pathlib import Path

from kaa.failover.drill import run_drill
from kaa.local import LocalPair
from kaa.topology.spec import load_topology

DRILL_TLS_STACK = Path(__file__).parent / "stacks" / "drill-tls.yaml"


def test_a_drill_on_the_tls_pair_loses_nothing(tls_pair: LocalPair) -> None:
    topology = load_topology(DRILL_TLS_STACK, name="drill")
    assert topology.cluster("K1").security.protocol == "SASL_SSL"
    try:
        report = run_drill(tls_pair, topology, log=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        if not tls_pair.is_healthy():
            tls_pair.up()
    assert tls_pair.is_healthy(), "the drill must leave the TLS pair healthy"
    doc = report.as_dict()
    acked = doc["acknowledged"]
    assert doc["lost"] == 0, f"acknowledged records never read: {doc['lost_events']}"
    assert doc["lost_in_k1_log"] == 0, "K1's log lost acknowledged records across a SIGKILL"
    assert acked["K1"] > 100 and acked["K2"] > 100 and acked["K1 after failback"] > 0, acked
    assert doc["read_unique"] >= sum(acked.values())
    assert {p["source"] for p in doc["failover_positions"] if p["topic"] == "K1.drill-orders"} <= {
        "committed", "checkpoint"}
