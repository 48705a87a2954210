"""scripts/pulumi-env.sh, sourced by bash as users do: no intermediate checkpoints unless the user chose otherwise."""
from __future__ import annotations

import os
import subprocess

from kaa.pulumi_engine import ROOT


def sourced(extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_SKIP_CHECKPOINTS"} | extra
    done = subprocess.run(["bash", "-c", f'. "{ROOT}/scripts/pulumi-env.sh" 2>/dev/null; '
                                         'printf %s "$PULUMI_SKIP_CHECKPOINTS"'],
                          env=env, capture_output=True, text=True, check=True)
    return done.stdout


def test_pulumi_env_skips_intermediate_checkpoints_unless_the_user_set_it() -> None:
    assert sourced({}) == "true"
    assert sourced({"PULUMI_SKIP_CHECKPOINTS": "false"}) == "false"
