"""The kafka-active-active CrossGuard policy pack: `pulumi preview --policy-pack policy` (docs/policies.md).

The engine starts this folder with the project's virtualenv (PulumiPolicy.yaml); the policies live in
`policy.pack`, the checks in `policy.checks` and `policy.destructive`.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: `components`, `kaa` and `policy`

from policy.engine import serve  # noqa: E402
from policy.pack import analyzer  # noqa: E402

serve(analyzer())
