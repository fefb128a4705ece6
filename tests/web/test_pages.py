"""The dashboard in-process: signing in (cookies, throttling, origin), CSRF on every form,
the language switch, and each page for each role: shown in scope, refused out of it.

The world is ``enforcement_world``'s (two provinces, three rights holders, pirate sites and
platforms, a user of every role) with passwords, plus what a sweep and the enforcement steps
would have left: captures with their page, exchange and screenshot, detections with stills and
audio excerpts at their timecodes (real JPEG, PNG and WAV files in the content store, each in
the ledger), a case in each province and takedown notices. ``tests/web/test_browser.py`` drives
the same world in Chromium through :func:`seed_world`.
"""

from __future__ import annotations

import io
import math
import re
import struct
import wave
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from enforcement_world import build_world, detect
from jianwang.catalog.accounts import find_user, set_password
from jianwang.catalog.actors import Actor, actor_for
from jianwang.config import Mode, Settings
from jianwang.content import ContentStore
from jianwang.db import create_db_engine, session_factory, transaction
from jianwang.db.models import (
    AllowRule,
    Capture,
    Case,
    CaseState,
    Detection,
    DetectionStatus,
    LedgerEntry,
    Notice,
    NoticeKind,
    NoticeStatus,
    Role,
    Site,
    User,
)
from jianwang.enforcement.cases import assign_officers, open_case
from jianwang.enforcement.notices import draft_takedown_notices, send_notice
from jianwang.evidence import ledger
from jianwang.evidence.artefacts import add_artefact
from jianwang.evidence.verify import verify_package
from jianwang.reports.reach import sees_notice
from jianwang.web.app import create_app
from jianwang.web.i18n import ENUM_PREFIXES, LOCALES, MESSAGES, t

PASSWORD = "dashboard password 1"
T = TypeVar("T")
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "jianwang" / "web" / "templates"


# --- the world -----------------------------------------------------------------------------------


@dataclass
class Seeded:
    """Ids of what :func:`seed_world` made, by role in the tests."""

    settings: Settings
    review: int = 0  # IN_REVIEW, Film A on pirate (CN-44-01): stills, screenshot, page
    audio: int = 0  # IN_REVIEW, Film A on pirate: audio excerpts
    bj_review: int = 0  # IN_REVIEW, Film B on bjpirate (CN-11)
    cased: int = 0  # CONFIRMED, in the Guangdong case and its notice
    gd_case: int = 0  # LEAD, on pirate, officers assigned: officer and officer2
    bj_case: int = 0  # LEAD, on bjpirate
    gd_notice: int = 0  # takedown to pirate for Studio A (sent)
    plat_notice: int = 0  # takedown to plat1 for Label B (sent)
    artefacts: dict[str, int] = field(default_factory=dict)  # kind -> id, of ``review``


def _jpeg(colour: tuple[int, int, int], label: str) -> bytes:
    image = Image.new("RGB", (320, 180), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 300, 160), outline=(255, 255, 255), width=4)
    draw.text((40, 80), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _png(label: str) -> bytes:
    image = Image.new("RGB", (480, 270), (30, 30, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 480, 36), fill=(180, 40, 30))
    draw.text((12, 10), label, fill=(255, 255, 255))
    draw.rectangle((60, 70, 420, 240), fill=(0, 0, 0), outline=(200, 200, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _wav(frequency: float) -> bytes:
    rate, seconds = 8000, 0.5
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * frequency * n / rate)))
        for n in range(int(rate * seconds))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(frames)
    return out.getvalue()


def _evidence(
    s: Session, store: ContentStore, detection: Detection, *, audio: bool = False
) -> dict[str, int]:
    """Give ``detection`` what a sweep and ``detections.evidence`` would: the capture's page,
    exchange and screenshot, then stills (or audio excerpts) of both sides at the matched
    timecodes, every file in the ledger."""
    capture: Capture = detection.capture
    page = store.put_bytes(f"<html><title>{detection.work.title} 在线观看</title></html>".encode())
    headers = store.put_bytes(ledger.canonical_json({"status": 200, "capture": capture.id}))
    shot = store.put_bytes(_png(f"{capture.page_url}"), ".png")
    made = {
        kind: add_artefact(s, capture=capture, kind=kind, path=stored.path, content_type=mime)
        for kind, stored, mime in (
            ("page", page, "text/html"),
            ("headers", headers, "application/json"),
            ("screenshot", shot, "image/png"),
        )
    }
    ledger.append(
        s,
        kind="capture",
        subject=f"capture:{capture.id}",
        payload={
            "site": capture.site.name,
            "page_url": capture.page_url,
            "content_sha256": capture.content_sha256,
            "artefacts": {kind: a.sha256 for kind, a in made.items()},
        },
    )
    ledger.append(
        s,
        kind="detection",
        subject=f"detection:{detection.id}",
        payload={
            "capture_id": capture.id,
            "work_id": detection.work_id,
            "signal": detection.signal,
            "score": detection.score,
            "query_span": [detection.query_start, detection.query_end],
            "ref_span": [detection.ref_start, detection.ref_end],
        },
    )
    if audio:
        pieces = [
            ("excerpt", _wav(440.0), ".wav", "audio/wav", detection.query_start),
            ("reference_excerpt", _wav(440.0), ".wav", "audio/x-wav", detection.ref_start),
        ]
    else:
        pieces = [
            (kind, _jpeg(colour, f"{kind} {at:g}s"), ".jpg", "image/jpeg", at)
            for kind, colour, times in (
                ("keyframe", (40, 90, 160), (1.0, 5.0, 9.0)),
                ("reference_keyframe", (160, 60, 40), (31.0, 35.0, 39.0)),
            )
            for at in times
        ]
    for kind, data, suffix, mime, at_s in pieces:
        stored = store.put_bytes(data, suffix)
        artefact = add_artefact(
            s,
            capture=capture,
            kind=kind,
            path=stored.path,
            content_type=mime,
            detection_id=detection.id,
            at_s=at_s,
            note=f"{kind} at {at_s:g} s",
        )
        made[kind] = artefact
        ledger.append(
            s,
            kind="artefact",
            subject=f"detection:{detection.id}",
            payload={
                "detection_id": detection.id,
                "capture_id": capture.id,
                "artefact_id": artefact.id,
                "kind": kind,
                "sha256": artefact.sha256,
                "at_s": at_s,
            },
        )
    return {kind: a.id for kind, a in made.items()}


def seed_world(data_dir: Path) -> Seeded:
    """Build the dashboard's test world in ``data_dir`` (see the module docstring)."""
    settings = Settings(data_dir=data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    world = build_world(settings.data_dir / "jianwang.db")
    seeded = Seeded(settings=settings)
    store = ContentStore(settings.content_dir)
    try:
        with transaction(world.factory) as s:
            officer = find_user(s, "officer")
            plat1 = s.query(Site).filter_by(name="plat1").one()
            s.add_all(
                [
                    User(username="officer2", role=Role.OFFICER, authority_id=officer.authority_id),
                    User(username="platform", role=Role.PLATFORM, site_id=plat1.id),
                ]
            )
            s.flush()
            users = list(s.query(User))
            set_password(s, user=users[0], password=PASSWORD)
            for user in users[1:]:  # one argon2 hash for all: hashing costs 0.15 s each
                user.password_hash = users[0].password_hash
            review = detect(
                s,
                site_name="pirate",
                title="Film A",
                score=12.0,
                status=DetectionStatus.IN_REVIEW,
            )
            seeded.review = review.id
            seeded.artefacts = _evidence(s, store, review)
            audio = detect(
                s,
                site_name="pirate",
                title="Film A",
                score=14.0,
                signal="audio.triplets",
                status=DetectionStatus.IN_REVIEW,
            )
            seeded.audio = audio.id
            _evidence(s, store, audio, audio=True)
            bj = detect(s, site_name="bjpirate", title="Film B", status=DetectionStatus.IN_REVIEW)
            seeded.bj_review = bj.id
            _evidence(s, store, bj)
            cased = detect(
                s, site_name="pirate", title="Film A", score=40, status=DetectionStatus.CONFIRMED
            )
            seeded.cased = cased.id
            _evidence(s, store, cased)
            bj_cased = detect(
                s, site_name="bjpirate", title="Film B", score=40, status=DetectionStatus.CONFIRMED
            )
            _evidence(s, store, bj_cased)
            on_platform = detect(
                s, site_name="plat1", title="Film B", score=40, status=DetectionStatus.CONFIRMED
            )
            _evidence(s, store, on_platform)

            gd = actor_for(s, "officer")
            case = open_case(
                s, site=cased.capture.site, detections=[cased], actor=gd, reason="pirate films"
            )
            assign_officers(s, case=case, officers=["officer", "officer2"], actor=gd)
            seeded.gd_case = case.id
            bj_case = open_case(
                s,
                site=bj_cased.capture.site,
                detections=[bj_cased],
                actor=actor_for(s, "bjofficer"),
                reason="pirate films in Beijing",
            )
            seeded.bj_case = bj_case.id
            (notice,) = draft_takedown_notices(
                s, site=cased.capture.site, detections=[cased], actor=gd, settings=settings
            )
            send_notice(s, notice=notice, actor=gd)
            seeded.gd_notice = notice.id
            (plat_notice,) = draft_takedown_notices(
                s,
                site=plat1,
                detections=[on_platform],
                actor=actor_for(s, "label"),
                settings=settings,
            )
            send_notice(s, notice=plat_notice, actor=actor_for(s, "label"))
            seeded.plat_notice = plat_notice.id
    finally:
        world.close()
    return seeded


# --- helpers -------------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The session's CSRF token as the page's forms carry it."""
    found = CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign ``username`` in; returns the CSRF token of the new session."""
    response = client.post("/login", data={"username": username, "password": password, "next": "/"})
    assert response.status_code == 200, response.text[:500]
    assert response.url.path == "/"
    return csrf_of(response.text)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """One world for the tests that only read."""
    return seed_world(tmp_path_factory.mktemp("dashboard") / "data")


@pytest.fixture
def fresh(tmp_path: Path) -> Seeded:
    """A world of its own, for a test that changes things."""
    return seed_world(tmp_path / "data")


@pytest.fixture(scope="module")
def app_of_seeded(seeded: Seeded) -> Iterator[TestClient]:
    app = create_app(seeded.settings)
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def clients(seeded: Seeded) -> Iterator[dict[str, TestClient]]:
    """A signed-in client per user of the read-only world."""
    app = create_app(seeded.settings)
    made: dict[str, TestClient] = {}
    try:
        for username in (
            "admin",
            "officer",
            "bjofficer",
            "studio",
            "label",
            "viewer",
            "platform",
        ):
            client = TestClient(app)
            client.__enter__()
            sign_in(client, username)
            made[username] = client
        yield made
    finally:
        for client in made.values():
            client.__exit__(None, None, None)


def _client(settings: Settings, base_url: str = "http://testserver") -> TestClient:
    return TestClient(create_app(settings), base_url=base_url)


def _read(settings: Settings, fn: Callable[[Session], T]) -> T:
    """``fn(session)`` on the world's database, through an engine of its own (the app keeps
    its own), so a test sees what was committed."""
    engine = create_db_engine(settings.db_url)
    try:
        with transaction(session_factory(engine)) as s:
            return fn(s)
    finally:
        engine.dispose()


def _status(settings: Settings, detection_id: int) -> DetectionStatus:
    return _read(settings, lambda s: s.get_one(Detection, detection_id).status)


# --- signing in ----------------------------------------------------------------------------------


def test_anonymous_reader_is_sent_to_sign_in_in_chinese(app_of_seeded: TestClient) -> None:
    response = app_of_seeded.get("/cases?state=lead", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcases%3Fstate%3Dlead"
    page = app_of_seeded.get(response.headers["location"])
    assert page.status_code == 200
    assert "登录鉴网" in page.text and 'lang="zh-CN"' in page.text
    assert 'name="next" value="/cases?state=lead"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_sign_in_sets_a_strict_session_cookie_and_goes_where_asked(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        response = client.post(
            "/login",
            data={"username": "officer", "password": PASSWORD, "next": "/cases"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/cases"
        cookie = next(v for k, v in response.headers.multi_items() if v.startswith("jw_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        assert client.get("/cases").status_code == 200
        # A "next" that leaves the site is ignored.
        for elsewhere in ("//evil.example/x", "/\t/evil.example", "https://evil.example/"):
            client.cookies.clear()
            away = client.post(
                "/login",
                data={"username": "officer", "password": PASSWORD, "next": elsewhere},
                follow_redirects=False,
            )
            assert away.headers["location"] == "/", elsewhere


def test_cookie_is_secure_over_https_and_in_production(fresh: Seeded) -> None:
    for settings, base in (
        (fresh.settings, "https://testserver"),
        (fresh.settings.model_copy(update={"mode": Mode.PRODUCTION}), "http://testserver"),
    ):
        with _client(settings, base_url=base) as client:
            response = client.post(
                "/login",
                data={"username": "officer", "password": PASSWORD},
                follow_redirects=False,
            )
            cookie = next(
                v for k, v in response.headers.multi_items() if v.startswith("jw_session=")
            )
            assert "Secure" in cookie, base


def test_wrong_password_is_refused_and_five_failures_throttle(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        for _ in range(5):
            wrong = client.post("/login", data={"username": "studio", "password": "nope nope 1"})
            assert wrong.status_code == 401
            assert "用户名或密码错误" in wrong.text
            assert "jw_session" not in client.cookies
        right = client.post("/login", data={"username": "studio", "password": PASSWORD})
        assert right.status_code == 429
        assert "登录失败次数过多" in right.text
        assert "jw_session" not in client.cookies
        # Another user from the same address still signs in (the limit per address is higher).
        assert client.post("/login", data={"username": "label", "password": PASSWORD}).is_success


def test_sign_in_from_another_site_is_refused(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        response = client.post(
            "/login",
            data={"username": "officer", "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403
        assert "jw_session" not in client.cookies
        same = client.post(
            "/login",
            data={"username": "officer", "password": PASSWORD},
            headers={"Origin": "http://testserver"},
        )
        assert same.status_code == 200 and same.url.path == "/"


def test_sign_out_needs_the_csrf_token_and_ends_the_session(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        token = sign_in(client, "officer")
        cookie = client.cookies["jw_session"]
        refused = client.post("/logout", follow_redirects=False)
        assert refused.status_code == 403
        assert client.get("/", follow_redirects=False).status_code == 200
        done = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/login"
        # The old cookie is dead on the server, whatever a browser keeps.
        client.cookies.set("jw_session", cookie)
        assert client.get("/", follow_redirects=False).status_code == 303


# --- CSRF and the review decisions ---------------------------------------------------------------


def test_confirm_without_csrf_token_is_refused_and_changes_nothing(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        sign_in(client, "officer")
        before = _read(fresh.settings, lambda s: s.query(LedgerEntry).count())
        response = client.post(
            f"/review/{fresh.review}/confirm", data={"reason": "same work"}, follow_redirects=False
        )
        assert response.status_code == 403
        wrong = client.post(
            f"/review/{fresh.review}/confirm",
            data={"reason": "same work"},
            headers={"X-CSRF-Token": "not-the-token"},
        )
        assert wrong.status_code == 403
        assert _status(fresh.settings, fresh.review) is DetectionStatus.IN_REVIEW
        assert _read(fresh.settings, lambda s: s.query(LedgerEntry).count()) == before


def test_htmx_confirm_swaps_in_the_outcome_and_records_it(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        token = sign_in(client, "officer")
        page = client.get(f"/review/{fresh.review}")
        assert f'hx-post="/review/{fresh.review}/confirm"' in page.text
        response = client.post(
            f"/review/{fresh.review}/confirm",
            data={"reason": "Checked side by side"},
            headers={"X-CSRF-Token": token, "HX-Request": "true"},
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<section class="card decision" id="decision"')
        assert "<html" not in response.text  # a fragment, not a page
        assert "确认侵权" in response.text and "officer" in response.text
        assert _status(fresh.settings, fresh.review) is DetectionStatus.CONFIRMED
        entries = _read(
            fresh.settings,
            lambda s: [
                e.payload
                for e in s.query(LedgerEntry).filter_by(subject=f"detection:{fresh.review}")
                if e.kind == "review"
            ],
        )
        assert entries[-1]["to"] == "confirmed" and entries[-1]["actor"] == "officer"
        # It left the queue.
        assert f"/review/{fresh.review}" not in client.get("/review").text


def test_reject_with_allow_rule_and_refusals_shown_in_place(fresh: Seeded) -> None:
    with _client(fresh.settings) as other:
        # Label B's user may not decide on Studio A's work: refused, nothing changed.
        token = sign_in(other, "label")
        refused = other.post(
            f"/review/{fresh.review}/confirm", data={"reason": "x", "csrf_token": token}
        )
        assert refused.status_code == 403
        assert _status(fresh.settings, fresh.review) is DetectionStatus.IN_REVIEW
    with _client(fresh.settings) as client:
        token = sign_in(client, "studio")
        htmx = {"X-CSRF-Token": token, "HX-Request": "true"}
        empty = client.post(f"/review/{fresh.audio}/reject", data={"reason": "  "}, headers=htmx)
        assert empty.status_code == 400
        assert "give a reason" in empty.text and 'id="decision"' in empty.text
        assert _status(fresh.settings, fresh.audio) is DetectionStatus.IN_REVIEW
        done = client.post(
            f"/review/{fresh.audio}/reject",
            data={"reason": "our own trailer", "allow": "work-site"},
            headers=htmx,
        )
        assert done.status_code == 200 and "误报" in done.text
        assert _status(fresh.settings, fresh.audio) is DetectionStatus.FALSE_POSITIVE
        rules = _read(
            fresh.settings, lambda s: [(r.created_by, r.reason) for r in s.query(AllowRule)]
        )
        assert rules == [("studio", "our own trailer")]
        # The rule (Film A on pirate) set the other open match of it aside as well.
        assert _status(fresh.settings, fresh.review) is DetectionStatus.FALSE_POSITIVE
        assert _status(fresh.settings, fresh.bj_review) is DetectionStatus.IN_REVIEW


def test_plain_form_confirm_comes_back_to_the_queue(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        token = sign_in(client, "admin")
        response = client.post(
            f"/review/{fresh.bj_review}/confirm",
            data={"reason": "same work", "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/review"
        assert _status(fresh.settings, fresh.bj_review) is DetectionStatus.CONFIRMED


# --- cases ---------------------------------------------------------------------------------------


def test_officer_moves_a_case_and_guards_refuse_with_their_reason(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        token = sign_in(client, "officer")
        page = client.get(f"/cases/{fresh.gd_case}")
        assert 'data-state="screening"' in page.text and 'data-state="rejected"' in page.text
        skipped = client.post(
            f"/cases/{fresh.gd_case}/move",
            data={"to": "filed", "reason": "skip ahead", "csrf_token": token},
        )
        assert skipped.status_code == 400
        assert "cannot move to filed" in skipped.text
        moved = client.post(
            f"/cases/{fresh.gd_case}/move",
            data={"to": "screening", "reason": "leads checked", "csrf_token": token},
            follow_redirects=False,
        )
        assert moved.status_code == 303
        assert moved.headers["location"] == f"/cases/{fresh.gd_case}?moved=screening"
        after = client.get(moved.headers["location"])
        assert "案件已转入：初查" in after.text
        assert 'data-state="filed"' in after.text
        assert "leads checked" in after.text
    states = _read(fresh.settings, lambda s: s.get_one(Case, fresh.gd_case).state)
    assert states is CaseState.SCREENING
    with _client(fresh.settings) as client:
        token = sign_in(client, "bjofficer")
        refused = client.post(
            f"/cases/{fresh.gd_case}/move",
            data={"to": "filed", "reason": "not mine", "csrf_token": token},
        )
        assert refused.status_code == 403
        no_token = client.post(
            f"/cases/{fresh.bj_case}/move", data={"to": "screening", "reason": "x"}
        )
        assert no_token.status_code == 403
    assert _read(fresh.settings, lambda s: s.get_one(Case, fresh.bj_case).state) is CaseState.LEAD


def test_evidence_packages_download_and_verify(fresh: Seeded, tmp_path: Path) -> None:
    with _client(fresh.settings) as client:
        token = sign_in(client, "officer")
        response = client.post(f"/evidence/cases/{fresh.gd_case}", data={"csrf_token": token})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        package = tmp_path / "case.zip"
        package.write_bytes(response.content)
        report = verify_package(package)
        assert report.ok, report.problems
        names = zipfile.ZipFile(package).namelist()
        assert any(name.endswith(".jpg") for name in names)
        assert client.post(f"/evidence/cases/{fresh.gd_case}").status_code == 403  # no token
    with _client(fresh.settings) as client:
        token = sign_in(client, "label")
        refused = client.post(f"/evidence/detections/{fresh.review}", data={"csrf_token": token})
        assert refused.status_code == 403


# --- the language --------------------------------------------------------------------------------


def test_language_switch_is_kept_with_the_user(fresh: Seeded) -> None:
    with _client(fresh.settings) as client:
        token = sign_in(client, "officer")
        assert "审核队列" in client.get("/review").text
        switched = client.post(
            "/locale", data={"locale": "en", "next": "/review", "csrf_token": token}
        )
        assert switched.url.path == "/review"
        assert "Review queue" in switched.text and 'lang="en"' in switched.text
        assert client.post("/locale", data={"locale": "en"}).status_code == 403  # no token
    assert _read(fresh.settings, lambda s: find_user(s, "officer").locale) == "en"
    with _client(fresh.settings) as client:  # another browser: the user's choice follows
        sign_in(client, "officer")
        assert "Dashboard" in client.get("/").text
    with _client(fresh.settings) as client:  # before signing in: a cookie
        page = client.post("/locale", data={"locale": "en", "next": "/login"})
        assert "Sign in to Jianwang" in page.text


def test_every_label_exists_in_both_languages() -> None:
    used = set()
    for template in TEMPLATES.rglob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_0-9.]+)["']""", template.read_text()))
    assert used, "no labels found in the templates"
    prefixes = {key for key in used if key.endswith(".")}  # t("measure." ~ m) and the like
    missing = sorted(key for key in used - prefixes if key not in MESSAGES)
    assert not missing, missing
    assert prefixes == {"error.", "measure.", "nav.", "organ."}
    from jianwang.enforcement.policy import MEASURES, ORGANS

    dynamic = [f"measure.{m}" for m in MEASURES] + [f"organ.{o}" for o in ORGANS]
    dynamic += [f"error.{code}" for code in (400, 403, 404, 409, 422)]
    dynamic += [f"nav.{area}" for area in ("dashboard", "works", "sites", "review", "cases")]
    dynamic += ["nav.notices", "nav.reports"]
    assert not [key for key in dynamic if key not in MESSAGES]
    for key, text in MESSAGES.items():
        assert text.zh.strip() and text.en.strip(), key
    from jianwang.db.models import (
        CaseState as CS,
    )
    from jianwang.db.models import (
        DetectionStatus as DS,
    )
    from jianwang.db.models import (
        NoticeKind,
        NoticeStatus,
        SiteKind,
        SiteStatus,
        WorkKind,
    )

    groups = dict(
        zip(
            ENUM_PREFIXES,
            (CS, DS, NoticeStatus, NoticeKind, SiteStatus, SiteKind, WorkKind, Role),
            strict=True,
        )
    )
    for prefix, enum in groups.items():
        for member in enum:
            assert f"{prefix}.{member.value}" in MESSAGES, f"{prefix}.{member.value}"
    assert t("cases.case", "en", number="JW-1") == "Case JW-1"
    assert LOCALES == ("zh-CN", "en")


# --- every page, every role ----------------------------------------------------------------------

EVERYONE = ("admin", "officer", "bjofficer", "studio", "label", "viewer", "platform")


@pytest.mark.parametrize("username", EVERYONE)
@pytest.mark.parametrize("path", ["/", "/works", "/sites", "/cases", "/notices"])
def test_lists_render_for_every_role(
    clients: dict[str, TestClient], username: str, path: str
) -> None:
    response = clients[username].get(path)
    assert response.status_code == 200, response.text[:300]
    assert '<script src="/static/vendor/htmx-2.0.11.min.js"' in response.text
    assert not re.search(r"""(?:src|href)="(?:https?:)?//""", response.text)  # nothing remote


def test_lists_hold_what_each_role_may_read(clients: dict[str, TestClient], seeded: Seeded) -> None:
    numbers = _read(
        seeded.settings,
        lambda s: {c.id: c.number for c in s.query(Case)},
    )
    gd, bj = numbers[seeded.gd_case], numbers[seeded.bj_case]
    cases = {user: clients[user].get("/cases").text for user in EVERYONE}
    assert gd in cases["officer"] and bj not in cases["officer"]
    assert bj in cases["bjofficer"] and gd not in cases["bjofficer"]
    assert gd in cases["studio"] and bj not in cases["studio"]
    assert bj in cases["label"] and gd not in cases["label"]
    assert gd in cases["admin"] and bj in cases["admin"] and gd in cases["viewer"]
    assert gd not in cases["platform"] and bj not in cases["platform"]

    notices = {user: clients[user].get("/notices").text for user in EVERYONE}
    gd_link, plat_link = f'/notices/{seeded.gd_notice}"', f'/notices/{seeded.plat_notice}"'
    assert gd_link in notices["officer"] and plat_link in notices["officer"]  # plat1 is CN-44
    assert gd_link not in notices["bjofficer"]
    assert gd_link in notices["studio"] and plat_link not in notices["studio"]
    assert plat_link in notices["label"] and gd_link not in notices["label"]
    assert plat_link in notices["platform"] and gd_link not in notices["platform"]

    works = clients["studio"].get("/works").text
    assert "Film A" in works and "Film B" not in works
    assert "Film B" in clients["platform"].get("/works").text  # the list is public

    sites = {user: clients[user].get("/sites").text for user in EVERYONE}
    assert "pirate" in sites["officer"] and "bjpirate" not in sites["officer"]
    assert "plat1" in sites["platform"] and "pirate" not in sites["platform"]
    assert "<strong>pirate</strong>" in sites["studio"]
    assert "bjpirate" not in sites["studio"]


def test_dashboard_draws_the_campaign_charts_for_those_who_report(
    clients: dict[str, TestClient],
) -> None:
    for user in ("admin", "officer", "viewer"):
        page = clients[user].get("/").text
        assert page.count("<svg") == 3, user
        assert 'id="to-review"' in page or user == "viewer"
    officer = clients["officer"].get("/").text
    assert "Guangdong" in officer
    for user in ("studio", "platform"):
        page = clients[user].get("/").text
        assert "<svg" not in page and "专项行动数据仅向" in page
    assert 'id="to-review">2<' in officer  # Film A's two detections on pirate
    assert 'id="to-review">1<' in clients["bjofficer"].get("/").text


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("admin", True),
        ("officer", True),
        ("studio", True),
        ("bjofficer", False),
        ("label", False),
        ("viewer", False),
        ("platform", False),
    ],
)
def test_review_page_in_scope_only(
    clients: dict[str, TestClient], seeded: Seeded, username: str, allowed: bool
) -> None:
    client = clients[username]
    page = client.get(f"/review/{seeded.review}")
    still = client.get(f"/artefacts/{seeded.artefacts['keyframe']}")
    if allowed:
        assert page.status_code == 200
        assert page.text.count("/artefacts/") >= 8  # 3 + 3 stills, screenshot, page, exchange
        assert 'class="score"' in page.text and ">12<" in page.text
        assert still.status_code == 200 and still.headers["content-type"] == "image/jpeg"
        assert still.content.startswith(b"\xff\xd8")
    else:
        assert page.status_code == 403
        assert still.status_code == 403
    queue = client.get("/review")
    if username in ("viewer", "platform"):
        assert queue.status_code == 403
    else:
        assert queue.status_code == 200
        assert (f'href="/review/{seeded.review}"' in queue.text) is allowed


def test_review_page_pairs_stills_and_plays_audio(
    clients: dict[str, TestClient], seeded: Seeded
) -> None:
    page = clients["officer"].get(f"/review/{seeded.review}").text
    assert page.count('class="pair"') == 3
    assert "0:01.0" in page and "0:31.0" in page  # capture and reference timecodes
    assert "页面截图" in page
    audio = clients["officer"].get(f"/review/{seeded.audio}").text
    assert audio.count("<audio controls") == 2
    excerpt = re.search(r'<audio controls preload="none" src="(/artefacts/\d+)"', audio)
    assert excerpt
    sound = clients["officer"].get(excerpt.group(1))
    assert sound.headers["content-type"].startswith("audio/") and sound.content[:4] == b"RIFF"
    page_html = clients["officer"].get(f"/artefacts/{seeded.artefacts['page']}")
    assert page_html.headers["content-type"] == "application/octet-stream"  # never rendered
    assert page_html.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("username", "status", "may_move"),
    [
        ("admin", 200, True),
        ("officer", 200, True),
        ("viewer", 200, False),
        ("studio", 200, False),
        ("bjofficer", 403, False),
        ("label", 403, False),
        ("platform", 403, False),
    ],
)
def test_case_page_in_scope_only(
    clients: dict[str, TestClient], seeded: Seeded, username: str, status: int, may_move: bool
) -> None:
    page = clients[username].get(f"/cases/{seeded.gd_case}")
    assert page.status_code == status
    if status == 200:
        assert ('data-state="screening"' in page.text) is may_move
        assert ('id="read-only"' in page.text) is not may_move
        assert "officer2" in page.text


@pytest.mark.parametrize(
    ("username", "gd", "plat"),
    [
        ("admin", 200, 200),
        ("officer", 200, 200),
        ("viewer", 200, 200),
        ("studio", 200, 403),
        ("label", 403, 200),
        ("bjofficer", 403, 403),
        ("platform", 403, 200),
    ],
)
def test_notice_pages_in_scope_only(
    clients: dict[str, TestClient], seeded: Seeded, username: str, gd: int, plat: int
) -> None:
    client = clients[username]
    assert client.get(f"/notices/{seeded.gd_notice}").status_code == gd
    assert client.get(f"/notices/{seeded.plat_notice}").status_code == plat
    document = client.get(f"/notices/{seeded.gd_notice}/document")
    assert document.status_code == gd
    if gd == 200:
        assert "sandbox" in document.headers["content-security-policy"]
        assert "Film A" in document.text
        pdf = client.get(f"/notices/{seeded.gd_notice}/pdf")
        assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("admin", True),
        ("officer", True),
        ("viewer", True),
        ("studio", False),
        ("platform", False),
    ],
)
def test_reports_for_those_who_report(
    clients: dict[str, TestClient], username: str, allowed: bool
) -> None:
    client = clients[username]
    assert client.get("/reports").status_code == (200 if allowed else 403)
    period = "from=2026-02-01&to=2026-03-31"
    csv = client.get(f"/reports/campaign.csv?{period}")
    if not allowed:
        assert csv.status_code == 403
        return
    assert csv.text.startswith("section,key,value")
    assert csv.headers["content-disposition"].startswith("attachment")
    html = client.get(f"/reports/campaign.html?{period}&inline=1")
    assert html.headers["content-disposition"].startswith("inline") and "<svg" in html.text
    assert client.get(f"/reports/campaign.pdf?{period}").content.startswith(b"%PDF")
    bad = client.get("/reports/campaign.csv?from=2026-03-31&to=2026-02-01")
    assert bad.status_code == 400


def test_a_platform_sees_notices_once_sent() -> None:
    platform = Actor(name="p", role=Role.PLATFORM, site_id=7)
    for status, seen in ((NoticeStatus.DRAFT, False), (NoticeStatus.SENT, True)):
        notice = Notice(site_id=7, status=status, kind=NoticeKind.TAKEDOWN, recipient="x")
        assert sees_notice(platform, notice) is seen
    assert not sees_notice(platform, Notice(site_id=8, status=NoticeStatus.SENT, recipient="x"))


def test_unknown_records_are_not_found(clients: dict[str, TestClient]) -> None:
    for path in ("/cases/999", "/review/999", "/notices/999", "/artefacts/999"):
        assert clients["admin"].get(path).status_code == 404, path
