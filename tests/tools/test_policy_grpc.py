"""The policy pack as the engine starts it: a real process serving gRPC."""
from __future__ import annotations

from pathlib import Path


def test_the_pack_serves_the_engine_over_grpc():
    """`policy/__main__.py` as the engine starts it: prints its port, answers GetAnalyzerInfo with every policy."""
    import subprocess
    import sys

    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    from policy.pack import PACK_NAME, analyzer

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, str(root / "policy" / "__main__.py")], cwd=root / "policy",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int((proc.stdout.readline() if proc.stdout else "").strip() or 0)
        assert port, proc.stderr.read() if proc.stderr else ""
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    names = [p.name for p in info.policies]
    prod_mandatory = analyzer().state.prod_mandatory
    assert info.name == PACK_NAME and len(names) == 8 and prod_mandatory == {"durability", "security"}
    assert set(names) >= prod_mandatory


# --- wildcards, prefixes, DENY and secrets in every client's settings ------------------------------------------
