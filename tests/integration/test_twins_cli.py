"""`kaa twins` on the real pair: a twin whose source is gone is listed (exit 1), `--yes` deletes it (exit 0).
(That a twin a live connector copies is kept is the pure rule's, tests/unit/test_mm2_leftovers.py.)"""
from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from confluent_kafka.admin import NewTopic

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.local import LocalPair

ROOT = Path(__file__).resolve().parents[2]
NAME = f"it-twins-{uuid.uuid4().hex[:6]}"


def kaa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "kaa"), *args], cwd=ROOT, text=True, capture_output=True,
                          timeout=120)


def test_an_orphaned_twin_is_listed_then_deleted_with_yes(local_pair: LocalPair) -> None:
    k2 = KafkaAdmin(local_pair.client_settings("K2")["kafka"], "K2")
    twin = f"K1.{NAME}"  # MM2's name for a K1 topic that does not exist (any more)
    k2.admin.create_topics([NewTopic(twin, 1, 1)])[twin].result(timeout=30)
    try:
        listed = kaa("twins", "--stack", "local", "--scope", "it-twins-.*")
        assert listed.returncode == 1, listed.stdout + listed.stderr
        assert f"left     K2  {twin}  (twin of {NAME})" in listed.stdout, listed.stdout
        assert "scripts/kaa twins --stack local --yes" in listed.stderr
        assert twin in k2.topics(), "listing must not delete"
        deleted = kaa("twins", "--stack", "local", "--scope", "it-twins-.*", "--yes")
        assert deleted.returncode == 0, deleted.stdout + deleted.stderr
        assert f"delete   K2  {twin}" in deleted.stdout and twin not in k2.topics()
        again = kaa("twins", "--stack", "local", "--scope", "it-twins-.*")
        assert again.returncode == 0 and "nothing of MM2's is left over" in again.stdout
    finally:
        if twin in k2.topics():
            k2.delete_topics([twin])
