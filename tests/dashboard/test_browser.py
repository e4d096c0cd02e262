"""End to end: the real Streamlit server over a folder of runs, loaded in headless Chromium,
every page opened by its own URL (``/fairness?run=...``) as a shared link opens it.

Screenshots of every page go to ``$NNAUDIT_SCREENSHOTS`` when set (docs/images), else to a
temporary folder.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from nnaudit.dashboards import server_command
from dashboard_run_folder import CORRUPT, RUN_A, RUN_B

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
# page -> (URL path, its heading); the Runs page is the home page
PAGES = {"runs": ("", "Runs"), "fairness": ("fairness", "Fairness"),
         "generalization": ("generalization", "Generalization"),
         "interpretability": ("interpretability", "Interpretability"),
         "robustness": ("robustness", "Robustness"), "energy": ("energy", "Energy"),
         "compare": ("compare", "Compare")}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(runs_dir):
    port = free_port()
    proc = subprocess.Popen(server_command(runs_dir, port, address="127.0.0.1", headless=True),
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"streamlit did not start: {proc.stdout.read().decode()}") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def chromium(url: str, profile: Path, *extra: str) -> str:
    result = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,1000",
         "--virtual-time-budget=30000", *extra, url],
        capture_output=True, text=True, timeout=180)
    return result.stdout


def rendered(url: str, profile: Path, heading: str, attempts: int = 8) -> str:
    """The page's DOM once the app has drawn its heading. Chromium's virtual time runs ahead of
    a cold server (its first script run imports pandas, altair, ...), so load again after a
    real pause."""
    for _ in range(attempts):
        dom = chromium(url, profile, "--dump-dom")
        if RUN_A in dom and re.search(rf'data-testid="stHeading"[^>]*>(?:\s*<[^>]+>)*\s*{heading}\s*<', dom):
            break
        time.sleep(5)
    return dom


def test_every_page_opens_by_its_url_in_chromium(server, tmp_path):
    shots = Path(os.environ.get("NNAUDIT_SCREENSHOTS", tmp_path / "shots"))
    shots.mkdir(parents=True, exist_ok=True)
    for page, (path, heading) in PAGES.items():
        runs = f"run={RUN_A}&run={RUN_B}" if page == "compare" else f"run={RUN_A}"
        url = f"{server}/{path}?{runs}"
        dom = rendered(url, tmp_path / f"profile-{page}", heading)
        assert re.search(rf'data-testid="stHeading"[^>]*>(?:\s*<[^>]+>)*\s*{heading}\s*<', dom), page
        assert RUN_A in dom, f"{page}: the selected run is not on the page"
        assert "Traceback" not in dom and 'data-testid="stException"' not in dom, page
        if page == "runs":
            assert CORRUPT in dom  # the broken run's notice
            assert "Test accuracy" in dom and "81.2%" in dom
        shot = shots / f"dashboard-{page}.png"
        for attempt in range(4):  # a blank page on a busy machine: take it again
            shot.unlink(missing_ok=True)
            chromium(url, tmp_path / f"profile-{page}-shot{attempt}", f"--screenshot={shot}")
            if shot.exists() and shot.stat().st_size > 30_000:
                break
        assert shot.stat().st_size > 30_000, f"{page}: blank screenshot"
