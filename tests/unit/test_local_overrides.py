"""The local pair writes each broker's properties with the overrides given for its alias (and only for it)."""
from __future__ import annotations

from pathlib import Path

from kaa.local import LocalPair


def read_properties(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_broker_overrides_reach_only_their_broker(tmp_path: Path) -> None:
    extra = {"listeners": "CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093,BENCH://127.0.0.1:19097",
             "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT,BENCH:SASL_PLAINTEXT"}
    pair = LocalPair(tmp_path, progress=None, broker_overrides={"K1": extra})
    brokers = pair.services(("kafka",))
    for service in brokers:  # already formatted: _prepare only writes the config
        service.data_dir.mkdir(parents=True)
        (service.data_dir / "meta.properties").write_text("formatted\n")
    pair._prepare(brokers, "java")
    k1, k2 = (read_properties(s.config_file) for s in brokers)
    assert k1["listeners"] == extra["listeners"]
    assert k1["listener.security.protocol.map"].endswith("BENCH:SASL_PLAINTEXT")
    assert "BENCH" not in k2["listeners"] and k2["listeners"].startswith("CLIENT://")
    assert k1["authorizer.class.name"] == k2["authorizer.class.name"]  # the rest is generated as before


def test_full_jit_keeps_the_optimising_compiler(tmp_path: Path) -> None:
    from kaa.local.configs import C1_ONLY

    default_pair, full_pair = LocalPair(tmp_path, progress=None), LocalPair(tmp_path, progress=None, full_jit=True)
    for service in default_pair.services():
        default, full = default_pair.command(service, "java"), full_pair.command(service, "java")
        assert C1_ONLY in default and C1_ONLY not in full
        assert [a for a in default if a != C1_ONLY] == full  # nothing else changes


def test_heaps_replace_the_default_maximum_heap_of_their_service(tmp_path: Path) -> None:
    from kaa.local.configs import HEAP

    pair = LocalPair(tmp_path, progress=None, heaps={"kafka": "1536m"})
    for service in pair.services():
        want = "1536m" if service.name == "kafka" else HEAP[service.name]
        assert [a for a in pair.command(service, "java") if a.startswith("-Xmx")] == [f"-Xmx{want}"]
