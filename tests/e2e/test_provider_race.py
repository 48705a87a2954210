"""`kaa pulumi up` with the real engine, when the kafka provider loses its connection race (docs/pulumi.md,
"A race in the kafka provider"): the failed update is run once more and the stack ends complete.

The race is made certain by a test-only build of the kafka plugin (tests/e2e/race_plugin: sarama with a 300 ms
sleep in Broker.Open's gap), installed in a private PULUMI_HOME that `scripts/kaa pulumi` uses (KAA_PULUMI_HOME,
scripts/pulumi-env.sh). Only the first plugin process started with KAA_TEST_RACE_MARKER, which creates that
file, sleeps: the engine starts one process per cluster's provider, so the first `up` loses the race on one
cluster's topic steps, and the rerun (new processes, the file exists) has none. The stack has its own topic
names, connector prefix and MM2 principal, so it shares the pair with the rest; it is destroyed at the end, also
when a step failed. The unit tier checks the rerun's logic on recorded streams (tests/unit/test_pulumi_race_rerun.py).
"""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaa.clients.kafka_admin import KafkaAdmin
from kaa.local import LocalPair
from kaa.pulumi_engine import ROOT, race_rerun_note
from kaa.topology.derive import derive
from kaa.topology.spec import load_topology
from kaa.up_summary import CONNECTION_RACE
from tests.e2e.pulumi_stack import PulumiStack, remove_remote_twins

BUILD = Path(__file__).parent / "race_plugin" / "build.sh"
# the plugin version the program's SDK asks for, as scripts/setup-pulumi.sh (and build.sh) name it
_PINNED = re.search(r"(?m)^KAFKA_VERSION=(\S+)", (ROOT / "scripts" / "setup-pulumi.sh").read_text())
assert _PINNED, "scripts/setup-pulumi.sh has no KAFKA_VERSION= line"
KAFKA_VERSION = _PINNED[1]
PREFIX = "e2e-race-"
TOPICS = [f"{PREFIX}{n}" for n in ("a", "b", "c", "d", "e")]  # several topic steps per cluster, started together
NAME = "e2e-race"


def _small_spec(doc: dict[str, Any]) -> None:
    doc["topics"] = {name: {"partitions": 1} for name in TOPICS}
    doc["mirror"] = {**doc["mirror"], "name_prefix": "e2e-race-mm2", "principal": "User:e2e-race-mm2"}


@pytest.fixture(scope="module")
def race_plugin() -> Path:
    """The test-only kafka plugin (built once, cached under $KAA_CACHE/pulumi; `make setup` builds it)."""
    done = subprocess.run([str(BUILD)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        pytest.fail(f"the test-only kafka plugin could not be built ({BUILD.relative_to(ROOT)}, exit "
                    f"{done.returncode}):\n{done.stderr[-3000:]}", pytrace=False)
    return Path(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def stack(engine: dict[str, str], local_pair: LocalPair, race_plugin: Path) -> Iterator[PulumiStack]:
    with tempfile.TemporaryDirectory(prefix="kaa-e2e-race-") as tmp:
        home = Path(tmp) / "pulumi-home"
        env = {**engine, "PULUMI_HOME": str(home), "KAA_PULUMI_HOME": str(home)}
        installed = subprocess.run(["pulumi", "plugin", "install", "resource", "kafka", KAFKA_VERSION,
                                    "--file", str(race_plugin)], env=env, capture_output=True, text=True)
        assert installed.returncode == 0, f"pulumi plugin install of {race_plugin} failed:\n{installed.stderr}"
        s = PulumiStack(Path(tmp), env, name=NAME)
        s.edit_spec(_small_spec)
        s.init()
        try:
            yield s
        finally:  # leave the pair as found even when a step failed: the names are this module's own
            destroyed = s.run("destroy", "--yes", "--skip-preview", check=False)
            remove_remote_twins(local_pair, s)
            for alias in ("K1", "K2"):
                admin = KafkaAdmin(local_pair.client_settings(alias)["kafka"], alias)
                mine = [t for t in admin.topics() if t.split(".", 1)[-1].startswith(PREFIX)]
                if mine:
                    admin.delete_topics(mine)
            assert destroyed.returncode == 0, f"destroy of {NAME} failed:\n{destroyed.stdout[-3000:]}"


def _state_topics(stack: PulumiStack) -> set[str]:
    """The names of the kafka topics the stack's state holds."""
    deployment = json.loads(stack.run("stack", "export").stdout)["deployment"]
    return {r["urn"].split("::")[-1] for r in deployment.get("resources") or []
            if r["type"] == "kafka:index/topic:Topic"}


def kaa_pulumi_with_the_race(stack: PulumiStack, command: str, header: str, marker: Path) -> None:
    """`scripts/kaa pulumi COMMAND` as a user types it, with the plugin's race armed (KAA_TEST_RACE_MARKER):
    checks that the first attempt lost the race, that kaa said it ran the command once more, and that the one
    rerun succeeded without the race. Each attempt's output starts with `HEADER (STACK):`."""
    env = {**stack.env, "KAA_TEST_RACE_MARKER": str(marker)}
    # the stack's config file lives beside the linked project, not in the repo (kaa pulumi runs in the repo)
    done = subprocess.run([str(ROOT / "scripts" / "kaa"), "pulumi", command, "--stack", NAME, "--yes",
                           "--skip-preview", "--config-file", str(stack.config_file)], env=env, text=True,
                          capture_output=True, timeout=1200)
    shown = f"stdout:\n{done.stdout[-6000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert marker.is_file(), f"no plugin process armed the race (KAA_TEST_RACE_MARKER was not created):\n{shown}"
    attempts = done.stdout.split(f"{header} ({NAME}):")[1:]
    assert attempts and CONNECTION_RACE in attempts[0], f"the first `pulumi {command}` did not hit the race:\n{shown}"
    assert f"kaa: {race_rerun_note(command)}" in done.stderr, f"kaa pulumi did not run {command} once more:\n{shown}"
    assert done.stderr.count("once more") == 1 and len(attempts) == 2, f"not exactly one rerun:\n{shown}"
    assert CONNECTION_RACE not in attempts[1], f"the rerun hit the race too:\n{shown}"
    assert done.returncode == 0, f"kaa pulumi {command} exited {done.returncode} after the rerun:\n{shown}"
    print(shown)  # shown with -rP: what the user saw


def test_an_up_that_lost_the_race_is_run_once_more_and_completes(stack, local_pair, tmp_path):
    kaa_pulumi_with_the_race(stack, "up", "Updating", tmp_path / "race-armed")

    expected = {alias: {t.name for t in cluster.topics}
                for alias, cluster in derive(load_topology(stack.spec_file, name=NAME)).items()}
    assert all(set(TOPICS) <= names for names in expected.values()), expected
    for alias, names in expected.items():
        live = set(KafkaAdmin(local_pair.client_settings(alias)["kafka"], alias).topics())
        assert names <= live, f"missing on {alias} after the rerun: {sorted(names - live)}"
    held = _state_topics(stack)
    missing = {f"pair-{alias}-topic-{name}" for alias, names in expected.items() for name in names} - held
    assert not missing, f"the state lacks {sorted(missing)} (holds {sorted(held)})"


def test_a_destroy_that_lost_the_race_is_run_once_more_and_leaves_nothing(stack, local_pair, tmp_path):
    assert _state_topics(stack), "nothing to destroy: the up test did not leave the stack's topics"
    kaa_pulumi_with_the_race(stack, "destroy", "Destroying", tmp_path / "race-armed")
    for alias in ("K1", "K2"):
        live = KafkaAdmin(local_pair.client_settings(alias)["kafka"], alias).topics()
        left = [t for t in live if t.split(".", 1)[-1].startswith(PREFIX)]
        assert not left, f"left on {alias} after the destroy: {left}"
    assert not _state_topics(stack), "the state still holds topics after the destroy"
