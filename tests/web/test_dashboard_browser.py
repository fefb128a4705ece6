"""The dashboard in a real browser: Debian's Chromium driven by Playwright against the app served
by uvicorn on 127.0.0.1, on the world of ``test_pages``.

An officer signs in, confirms a detection from the review page (htmx posting with the CSRF
token), moves a case one state on, downloads the case's evidence package (verified offline),
reads a notice and switches to English. Along the way the browser must report no script error
and no refused Content-Security-Policy, and must ask nothing of any other host. Screenshots of
the main pages are kept under ``$JIANWANG_TEST_ARTEFACTS`` (default ``.data/test-artefacts/``).

Playwright never downloads a browser here: without Chromium the test is skipped, saying so.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import ConsoleMessage, Page, Request, sync_playwright

from enforcement_world import CAPTURED_AT
from jianwang.config import Settings
from jianwang.db import create_db_engine, session_factory, transaction
from jianwang.db.models import Case, CaseState, Detection, DetectionStatus
from jianwang.evidence.verify import verify_package
from jianwang.monitoring.browser import BrowserUnavailableError, find_browser
from jianwang.web.app import create_app
from web.test_pages import PASSWORD, Seeded, seed_world

ROOT = Path(__file__).resolve().parents[2]


def _chromium() -> str | None:
    try:
        return find_browser(Settings())
    except BrowserUnavailableError:
        return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (apt-get install chromium; Playwright never downloads one)",
)


def artefact_dir() -> Path:
    """Where the screenshots go: ``$JIANWANG_TEST_ARTEFACTS`` or ``.data/test-artefacts/``."""
    base = os.environ.get("JIANWANG_TEST_ARTEFACTS")
    folder = (Path(base) if base else ROOT / ".data" / "test-artefacts") / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Served:
    """The app on a port, and the world behind it."""

    url: str
    world: Seeded


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The seeded world's dashboard served by uvicorn in a thread, on a socket bound first (so
    no other process can take the port between choosing and listening)."""
    world = seed_world(tmp_path / "data")
    app = create_app(world.settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", world)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _db(world: Seeded) -> tuple[DetectionStatus, CaseState]:
    engine = create_db_engine(world.settings.db_url)
    try:
        with transaction(session_factory(engine)) as s:
            return (
                s.get_one(Detection, world.review).status,
                s.get_one(Case, world.gd_case).state,
            )
    finally:
        engine.dispose()


def _period() -> tuple[date, date]:
    """A period holding the world's captures (1 March 2026) and today's notices and cases."""
    today = datetime.now(UTC).date()
    return min(CAPTURED_AT.date(), today) - timedelta(days=31), max(CAPTURED_AT.date(), today)


def _shot(page: Page, name: str) -> Path:
    path = artefact_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_officer_reviews_moves_a_case_and_takes_its_evidence(
    served: Served, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    problems: list[str] = []
    foreign: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    def on_request(request: Request) -> None:
        if not request.url.startswith((served.url, "data:", "about:")):
            foreign.append(request.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            chromium_sandbox=os.geteuid() != 0,  # Chromium's sandbox cannot start as root
            args=["--disable-dev-shm-usage"],
        )
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 800}, accept_downloads=True
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("request", on_request)
            page.on(
                "response",
                lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )

            # Signing in: the login page in Chinese, then the dashboard with its charts.
            page.goto(served.url + "/")
            assert page.url.startswith(served.url + "/login")
            page.fill("input[name=username]", "officer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit].primary")
            page.wait_for_url(served.url + "/")
            assert page.inner_text("#to-review") == "2"
            start, end = _period()
            page.fill("input[name=from]", start.isoformat())
            page.fill("input[name=to]", end.isoformat())
            page.click("form.period button[type=submit]")
            page.wait_for_url(f"{served.url}/?from={start.isoformat()}&to={end.isoformat()}")
            assert page.locator(".chart svg").count() == 3
            assert page.locator(".chart svg rect").count() > 3  # bars, not "no data"
            _shot(page, "dashboard")

            # Review: the queue, the detection side by side, confirm through htmx.
            page.click("a[href='/review']")
            page.click(f"a[href='/review/{served.world.review}']")
            page.wait_for_url(f"{served.url}/review/{served.world.review}")
            stills = page.locator(".pair img")
            assert stills.count() == 6
            page.wait_for_function(
                "() => [...document.querySelectorAll('.pair img, .screenshot img')]"
                ".every(img => img.complete && img.naturalWidth > 0)"
            )
            _shot(page, "review")
            page.click("#confirm")
            page.wait_for_selector("#decision-status")
            assert page.inner_text("#decision-status") == "确认侵权"
            assert page.url.endswith(f"/review/{served.world.review}")  # swapped in place
            assert _db(served.world)[0] is DetectionStatus.CONFIRMED

            # The case: one state on, then its evidence package.
            page.goto(f"{served.url}/cases/{served.world.gd_case}")
            step = page.locator("form.step[data-state='screening']")
            step.locator("textarea[name=reason]").fill("线索核实：确有侵权")
            step.locator("button[type=submit]").click()
            page.wait_for_url(f"{served.url}/cases/{served.world.gd_case}?moved=screening")
            assert page.inner_text("#case-state") == "初查"
            assert page.locator("form.step[data-state='filed']").count() == 1
            assert _db(served.world)[1] is CaseState.SCREENING
            _shot(page, "case")
            with page.expect_download() as download_info:
                page.click("#case-evidence")
            package = tmp_path / download_info.value.suggested_filename
            download_info.value.save_as(package)
            assert package.suffix == ".zip"
            report = verify_package(package)
            assert report.ok, report.problems

            # Notices, and one notice's document.
            page.goto(served.url + "/notices")
            assert page.locator("#notices tbody tr").count() == 2
            _shot(page, "notices")
            page.click(f"a[href='/notices/{served.world.gd_notice}']")
            frame = page.frame_locator("iframe.document")
            frame.locator("body").wait_for()
            assert "Film A" in frame.locator("body").inner_text()
            _shot(page, "notice")

            # English, kept for the user, then signing out.
            page.click("button[name=locale][value=en]")
            page.wait_for_selector("html[lang=en]")
            assert page.locator("h1").first.inner_text().startswith("Notice #")
            page.goto(f"{served.url}/?from={start.isoformat()}&to={end.isoformat()}")
            assert page.locator("nav.main a[aria-current=page]").inner_text() == "Dashboard"
            _shot(page, "dashboard-en")
            page.goto(f"{served.url}/review/{served.world.audio}")
            assert page.locator("audio[controls]").count() == 2
            _shot(page, "review-en")
            page.goto(f"{served.url}/cases/{served.world.gd_case}")
            _shot(page, "case-en")
            page.goto(served.url + "/notices")
            _shot(page, "notices-en")
            page.click("#sign-out")
            page.wait_for_url(served.url + "/login")
            page.goto(served.url + "/cases")
            assert page.url.startswith(served.url + "/login")
        finally:
            browser.close()

    assert not problems, problems
    assert not foreign, foreign
