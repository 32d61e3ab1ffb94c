"""The report as a web page: headless Chromium loads it offline, logs nothing, draws it all.

Chromium (Debian package ``chromium``) is driven through its own command line: ``--dump-dom``
for the rendered DOM, ``--enable-logging=stderr`` for console messages, ``--log-net-log``
for every request the page makes, ``--screenshot`` for a picture. The network is blocked
with a proxy at 127.0.0.1:9 (nothing listens there), so a page that needed it would show it.
Skipped when Chromium is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from report_inputs import external_refs, save, stats_dict, table_counts, write_table

pytest.importorskip("matplotlib")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")

SIZE = 4096
SECTIONS = ["summary", "classes", "weights", "per-image", "objects", "compare"]
PLOTS = ["shares", "weights", "loss-share", "classes-per-image", "pixels-per-image",
         "cooccurrence", "object-counts", "object-sizes", "objects-per-image",
         "compare-pixel-share", "compare-image-share"]


def chromium(tmp_path, url: str, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium offline on ``url`` with a fresh profile."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
           "--proxy-server=127.0.0.1:9", "--enable-logging=stderr", "--v=0", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(tmp_path)})


def page_requests(netlog) -> set[str]:
    """URLs the page itself requested (its network isolation key is the file:// origin)."""
    events = json.loads(netlog.read_text()).get("events", [])
    return {e["params"]["url"] for e in events
            if "url" in e.get("params", {})
            and str(e["params"].get("network_isolation_key", "")).startswith("file://")}


def console_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ":CONSOLE" in ln]


def load(tmp_path, html_path):
    """(rendered DOM, console messages, requests by the page) for one page."""
    netlog = tmp_path / f"{html_path.stem}.netlog.json"
    result = chromium(tmp_path, html_path.as_uri(), "--dump-dom", f"--log-net-log={netlog}")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, console_lines(result.stderr), page_requests(netlog)


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    """A report with every section: table with objects, object stats, a compared split."""
    from click.testing import CliRunner

    from maskstats.cli import cli

    tmp_path = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(7)
    counts, ignored, objs = table_counts(rng, 50, 6, SIZE, absent=(4,), objects=True)
    sha = write_table(tmp_path / "images.csv", counts, ignored, SIZE, objs)
    quant = [[1, 4.0, 30.0, 200.0, 900] if n else None for n in objs.sum(axis=0)]
    doc = stats_dict(counts, ignored, SIZE, table_sha=sha,
                     names=["road", "car", "sky", "person", "pole", "sign"],
                     object_counts=objs.sum(axis=0).tolist(), object_pixels_quantiles=quant)
    stats = save(tmp_path / "train.json", doc)
    v, iv, _ = table_counts(rng, 12, 6, SIZE)
    other = save(tmp_path / "val.json", stats_dict(v, iv, SIZE))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", str(stats), "--per-image",
                                      str(tmp_path / "images.csv"), "--compare", str(other),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_report_renders_offline_with_every_section_and_plot(tmp_path, full_report):
    """Chromium renders every section and plot, logs no console message, requests nothing."""
    html = full_report.read_text()
    assert external_refs(html) == []
    dom, console, requests = load(tmp_path, full_report)
    assert console == []
    assert requests == set()
    assert re.findall(r'<section id="([^"]+)"', dom) == SECTIONS
    for plot in PLOTS:
        fig = re.search(rf'<figure id="plot-{plot}"[^>]*>(.*?)</figure>', dom, re.S)
        assert fig is not None, plot
        assert re.search(r"<svg\b[^>]*>.*?<(path|use|image)\b", fig.group(1), re.S), plot


def test_report_screenshot_shows_the_page(tmp_path, full_report):
    """A screenshot of the report is a picture with content (not blank)."""
    from PIL import Image

    shot = tmp_path / "report.png"
    result = chromium(tmp_path, full_report.as_uri(), f"--screenshot={shot}",
                      "--window-size=1200,2400", "--hide-scrollbars")
    assert result.returncode == 0, result.stderr[-2000:]
    a = np.asarray(Image.open(shot).convert("L"))
    assert a.shape == (2400, 1200)
    assert (a < 128).mean() > 0.01  # text and plots, not a blank page
    assert len(np.unique(a)) > 50


def test_the_checks_catch_a_page_that_uses_the_network(tmp_path):
    """The same checks flag a page with a remote image, a remote font and a console error."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><link rel="stylesheet" '
                   'href="https://fonts.example.org/css?family=X"></head><body><h1>x</h1>'
                   '<img src="http://example.com/x.png"><script>console.error("boom")'
                   "</script></body></html>")
    assert len(external_refs(bad.read_text())) == 2
    dom, console, requests = load(tmp_path, bad)
    assert "<h1>x</h1>" in dom  # rendered despite the blocked network
    assert any("boom" in ln for ln in console)
    assert {"http://example.com/x.png", "https://fonts.example.org/css?family=X"} <= requests
