"""The Mermaid picture of every golden diff case renders in a real headless Chromium.

Debian's `chromium` and the `mermaid` npm package come from scripts/setup-tools.sh (cached; nothing is downloaded
at test time). A local page loads mermaid's dist file over file://, renders each diagram with `mermaid.render`
and writes the SVG (or the error) into the DOM, which `chromium --dump-dom` prints. One browser run covers all
cases (a few seconds). The test fails, never skips, when a tool cannot be installed.
"""
from __future__ import annotations

import html
import os
import re
import subprocess
from pathlib import Path

import pytest

from kaa.topodiff.diff_render import render_mermaid
from kaa.topodiff.topology_diff import diff_topologies
from kaa.topology.spec import load_topology
from tests.tools.tool_setup import setup_tool

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "tests" / "golden" / "diff"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "base.yaml").is_file())
CACHE = Path(os.environ.get("KAA_CACHE", Path.home() / ".cache" / "kafka-active-active"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--virtual-time-budget=60000")

# Labels each case's picture must show (node text as mermaid writes it into the SVG).
EXPECTED_LABELS = {
    "additions": ("K1", "K2", "MirrorMaker 2", "+ refunds", "+ K1.refunds", "+ K2.refunds", "~ MM2 K1 → K2"),
    "config-change": ("~ orders", "K1.orders", "~ MM2 K2 → K1"),  # a config key removed: the topic changes
    "destructive": ("~ orders", "- payments", "- K1.payments", "- K2.payments"),
    "renamed-topic": ("- orders", "+ purchases", "- K2.orders", "+ K1.purchases"),
    "schema-evolution": ("customers", "orders", "payments", "MM2 K1 → K2"),
    "stops-mirroring": ("shipments", "- K1.shipments", "~ MM2 K1 → K2"),
}
LEGEND_LABELS = ("Legend", "+ added", "~ changed", "- removed", "unchanged", "remote topic (MM2)")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><script src="{mermaid}"></script></head>
<body>
{sources}
<script>
mermaid.initialize({{startOnLoad: false, securityLevel: "strict"}});
(async () => {{
  const sources = [...document.querySelectorAll("pre.source")];
  for (const [index, source] of sources.entries()) {{
    const out = document.createElement("section");
    out.className = "result";
    out.dataset.case = source.dataset.case;
    try {{
      const {{svg}} = await mermaid.render("diagram" + index, source.textContent);
      out.dataset.status = "rendered";
      out.innerHTML = svg;
    }} catch (error) {{
      out.dataset.status = "failed";
      out.textContent = String(error && error.message || error);
    }}
    document.body.appendChild(out);
  }}
  document.body.dataset.finished = "yes";
}})();
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def mermaid_js() -> Path:
    setup_tool("mermaid")
    dist = CACHE / "node" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
    if not dist.is_file():
        pytest.fail(f"scripts/setup-tools.sh mermaid ran but {dist} is missing")
    return dist


@pytest.fixture(scope="module")
def chromium() -> Path:
    setup_tool("chromium")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"scripts/setup-tools.sh chromium ran but {CHROMIUM} is missing")
    return CHROMIUM


def picture(case: str) -> str:
    folder = CASES_DIR / case
    base = load_topology(folder / "base.yaml", name=case)
    head = load_topology(folder / "head.yaml", name=case)
    return render_mermaid(diff_topologies(base, head, case))


def render_in_browser(chromium: Path, mermaid_js: Path, diagrams: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """Each diagram's rendered result section (its outer HTML), keyed by name."""
    sources = "\n".join(f'<pre class="source" data-case="{name}">{html.escape(text)}</pre>'
                        for name, text in diagrams.items())
    page = tmp_path / "diagrams.html"
    page.write_text(PAGE.format(mermaid=mermaid_js.as_uri(), sources=sources), encoding="utf-8")
    done = subprocess.run([str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                           page.as_uri()], capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, f"chromium failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
    dom = done.stdout
    assert 'data-finished="yes"' in dom, f"the page did not finish rendering:\n{dom[-2000:]}"
    found = {}
    for match in re.finditer(r'<section class="result" data-case="([^"]+)"(.*?)</section>', dom, re.DOTALL):
        found[match.group(1)] = match.group(0)
    return found


def visible_text(section: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", section))


BROKEN = 'flowchart TB\n  n0["x" -->\n'  # proves the harness reports a diagram mermaid cannot parse


def test_every_case_renders_as_svg_with_its_labels(chromium: Path, mermaid_js: Path, tmp_path: Path) -> None:
    assert set(EXPECTED_LABELS) == set(CASES), "add the new golden case's labels to EXPECTED_LABELS"
    diagrams = {**{case: picture(case) for case in CASES}, "broken": BROKEN}
    results = render_in_browser(chromium, mermaid_js, diagrams, tmp_path)
    assert set(results) == set(diagrams)
    assert 'data-status="failed"' in results.pop("broken")
    for case, section in results.items():
        text = visible_text(section)
        assert 'data-status="rendered"' in section, f"{case}: mermaid failed: {text[:500]}"
        assert "<svg" in section, case
        for bad in ("Syntax error", "Parse error", "error in text"):
            assert bad not in text, f"{case}: {bad}"
        for label in (*EXPECTED_LABELS[case], *LEGEND_LABELS):
            assert label in text, f"{case}: label {label!r} missing from the rendered SVG"
        for css in ("added", "changed", "removed", "unchanged"):
            assert f".{css}" in section, f"{case}: classDef {css} missing from the SVG styles"
