"""The enforcement API end to end: review, notices, cases through their guarded states, evidence
packages that verify offline, campaign reports; and every scope holding (a rights holder sees
its own works, an officer of another region sees nothing and changes nothing, a platform reads
only the notices addressed to it)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from enforcement_world import build_world, detect
from jianwang.catalog.accounts import issue_token
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import transaction
from jianwang.db.models import (
    Authority,
    Case,
    CaseState,
    Detection,
    DetectionStatus,
    Notice,
    NoticeStatus,
    Role,
    Site,
    User,
    Work,
)
from jianwang.detections.service import detection_basis
from jianwang.evidence import ledger
from jianwang.evidence.artefacts import add_artefact
from jianwang.evidence.verify import verify_package
from jianwang.web.app import create_app

API = "/api/v1"


@dataclass
class Web:
    """An app on a seeded world, with a token per user."""

    client: TestClient
    settings: Settings
    factory: sessionmaker[Session]
    tokens: dict[str, str]

    def call(self, method: str, user: str | None, path: str, **kwargs: Any) -> Response:
        headers = {} if user is None else {"Authorization": f"Bearer {self.tokens[user]}"}
        return self.client.request(method, API + path, headers=headers, **kwargs)

    def get(self, user: str | None, path: str, **kwargs: Any) -> Response:
        return self.call("GET", user, path, **kwargs)

    def post(self, user: str | None, path: str, **kwargs: Any) -> Response:
        return self.call("POST", user, path, **kwargs)

    def detection(self, **kwargs: Any) -> int:
        """A capture with one detection, entered in the ledger as matching enters it."""
        with transaction(self.factory) as s:
            found = detect(s, **kwargs)
            ledger.append(
                s,
                kind="detection",
                subject=f"detection:{found.id}",
                payload={
                    **detection_basis(found.capture, found),
                    "signal": found.signal,
                    "score": found.score,
                    "query_span": [found.query_start, found.query_end],
                    "ref_span": [found.ref_start, found.ref_end],
                    "speed": found.speed,
                    "status": found.status.value,
                },
            )
            return found.id


def open_web(tmp_path: Path) -> Iterator[Web]:
    """``enforcement_world`` plus a second Guangdong officer, a Guangdong viewer and a platform
    user, an app on it, and an API token for every user."""
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    world = build_world(settings.data_dir / "jianwang.db")
    tokens: dict[str, str] = {}
    with transaction(world.factory) as s:
        gd = s.scalars(select(Authority).where(Authority.name == "Guangdong")).one()
        plat1 = s.scalars(select(Site).where(Site.name == "plat1")).one()
        s.add_all(
            [
                User(username="officer2", role=Role.OFFICER, authority_id=gd.id),
                User(username="gdviewer", role=Role.VIEWER, authority_id=gd.id),
                User(username="platform", role=Role.PLATFORM, site_id=plat1.id),
            ]
        )
        s.flush()
        for user in s.scalars(select(User)):
            tokens[user.username] = issue_token(s, user=user, name="test")
    app = create_app(settings)
    with TestClient(app) as client:
        yield Web(client, settings, world.factory, tokens)
    world.close()


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    yield from open_web(tmp_path)


def detail(response: Response) -> str:
    body = response.json()
    assert isinstance(body["detail"], str), body
    return body["detail"]


def status_of(web: Web, detection_id: int) -> DetectionStatus:
    with transaction(web.factory) as s:
        found = s.get(Detection, detection_id)
        assert found is not None
        return found.status


def case_state(web: Web, case_id: int) -> CaseState:
    with transaction(web.factory) as s:
        found = s.get(Case, case_id)
        assert found is not None
        return found.state


def test_review_notice_case_evidence_and_report(
    web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"  # where the server builds packages
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    film = web.detection(site_name="pirate", title="Film A", status=DetectionStatus.IN_REVIEW)
    other = web.detection(site_name="pirate", title="Film B", status=DetectionStatus.IN_REVIEW)
    beijing = web.detection(site_name="bjpirate", title="Film A", status=DetectionStatus.IN_REVIEW)

    # The officer's queue holds its region only; no CSRF token is needed with a bearer token.
    queue = web.get("officer", "/review").json()
    assert [item["id"] for item in queue["items"]] == [film, other]
    assert queue["total"] == 2
    confirmed = web.post("officer", "/detections/confirm", json={"ids": [film], "reason": "same"})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"confirmed": [film]}
    rejected = web.post(
        "officer",
        "/detections/reject",
        json={"ids": [other], "reason": "trailer", "allow": "work-site"},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["rejected"] == [other]
    rules = web.get("officer", "/allow-rules").json()["items"]
    assert [(r["work"], r["site"]) for r in rules] == [("Film B", "pirate")]
    assert status_of(web, beijing) is DetectionStatus.IN_REVIEW

    # A takedown notice: drafted, rendered, sent once.
    drafted = web.post("officer", "/notices", json={"site": "pirate"})
    assert drafted.status_code == 201, drafted.text
    [notice] = drafted.json()
    assert notice["status"] == "draft" and notice["works"] == ["Film A"]
    data = web.get("officer", f"/notices/{notice['id']}").json()
    assert data["detections"] == [film]
    assert data["content"]["rights_holder"]["name"] == "Studio A"
    html = web.get("officer", f"/notices/{notice['id']}/document", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "Studio A" in html.text and "sandbox" in html.headers["content-security-policy"]
    pdf = web.get("officer", f"/notices/{notice['id']}/document", params={"format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    sent = web.post("officer", f"/notices/{notice['id']}/send")
    assert sent.json()["status"] == "sent" and sent.json()["deadline_at"]
    again = web.post("officer", f"/notices/{notice['id']}/send")
    assert again.status_code == 400
    assert "only a notice draft can be sent" in detail(again)

    # A case through its states; each refused step is a 400 naming what is missing.
    opened = web.post(
        "officer", "/cases", json={"site": "pirate", "detection_ids": [film], "reason": "lead"}
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["state"] == "lead" and case["site"] == "pirate"
    path = f"/cases/{case['id']}/transitions"

    def move(to: str, **extra: Any) -> Response:
        return web.post("officer", path, json={"to": to, "reason": f"to {to}", **extra})

    skipped = move("filed")
    assert skipped.status_code == 400
    assert "cannot move to filed (allowed next: screening, rejected)" in detail(skipped)
    assert move("screening").status_code == 200
    alone = move("filed")
    assert alone.status_code == 400
    assert "before two officers are assigned" in detail(alone)
    assigned = web.post(
        "officer", f"/cases/{case['id']}/officers", json={"officers": ["officer", "officer2"]}
    )
    assert assigned.json()["officers"] == ["officer", "officer2"]
    assert move("filed").status_code == 200
    assert move("investigating").status_code == 200
    heavy = move("advance_notice", measures=["warning", "fine"], fine="300000")
    assert heavy.status_code == 400
    assert "over the legal limit of 250000.00 yuan" in detail(heavy)
    negative = move("advance_notice", measures=["fine"], fine=-5)
    assert negative.status_code == 422
    assert "cannot be negative" in negative.text
    proposed = move("advance_notice", measures="warning, fine", fine=50000)
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["proposed_fine"] == "50000.00"
    unserved = move("statement_window")
    assert unserved.status_code == 400
    assert "give the time the advance notice was served" in detail(unserved)
    served = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    assert move("statement_window", served_at=served).status_code == 200
    heavier = move("decided", fine="60000.00")
    assert heavier.status_code == 400
    assert "more than the 50000.00 proposed" in detail(heavier)

    # An officer of another region may not touch it, and nothing changes.
    foreign = web.post("bjofficer", path, json={"to": "decided", "reason": "x"})
    assert foreign.status_code == 403
    assert case_state(web, case["id"]) is CaseState.STATEMENT_WINDOW
    decided = move("decided")
    assert decided.status_code == 200, decided.text
    shown = web.get("officer", f"/cases/{case['number']}").json()
    assert shown["state"] == "decided" and shown["fine"] == "50000.00"
    assert shown["decision"] == "warning,fine"
    assert shown["allowed_next"] == ["enforcing", "referred"]
    assert [e["to_state"] for e in shown["events"]] == [
        "lead", "screening", "filed", "investigating", "advance_notice", "statement_window",
        "decided",
    ]  # fmt: skip

    # The case's evidence package, downloaded, unzipped and verified offline.
    package = web.post("officer", "/evidence/packages", json={"case_id": case["id"]})
    assert package.status_code == 200, package.text
    assert package.headers["content-type"] == "application/zip"
    assert "attachment" in package.headers["content-disposition"]
    assert list(scratch.iterdir()) == []  # the package was built in a folder now removed
    folder = tmp_path / "package"
    with zipfile.ZipFile(io.BytesIO(package.content)) as zf:
        zf.extractall(folder)
    key = web.get("officer", "/evidence/key").json()
    report = verify_package(folder, expected_key_id=key["key_id"])
    assert report.ok, report.problems
    assert report.subject and "case" in report.subject
    assert "BEGIN PUBLIC KEY" in key["public_key_pem"]

    # The campaign report, scoped to the officer's own authority by default.
    today = datetime.now(UTC).date().isoformat()
    period = {"from": "2026-01-01", "to": today}
    figures = web.get("officer", "/reports/campaign", params=period)
    assert figures.status_code == 200, figures.text
    body = figures.json()
    assert body["authority"]["name"] == "Guangdong"
    assert body["cases_investigated"] == 1 and body["fines_imposed"] == "50000.00"
    assert body["notices_sent"] == 1 and body["period"]["from"] == "2026-01-01"
    beyond = web.get("officer", "/reports/campaign", params={**period, "authority": "Beijing"})
    assert beyond.status_code == 403
    as_pdf = web.get("viewer", "/reports/campaign", params={**period, "format": "pdf"})
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF")
    as_csv = web.get("viewer", "/reports/campaign", params={**period, "format": "csv"})
    assert as_csv.text.startswith("section,key,value")


def test_rights_holder_sees_and_reviews_only_its_works(web: Web) -> None:
    own = web.detection(site_name="pirate", title="Film A", status=DetectionStatus.IN_REVIEW)
    elsewhere = web.detection(site_name="bjpirate", title="Novel A")
    theirs = web.detection(site_name="pirate", title="Film B", status=DetectionStatus.IN_REVIEW)

    listed = web.get("studio", "/detections").json()
    assert sorted(item["id"] for item in listed["items"]) == sorted([own, elsewhere])
    assert {item["work"] for item in listed["items"]} == {"Film A", "Novel A"}
    only = web.get("studio", "/detections", params={"site": "bjpirate"}).json()
    assert [item["id"] for item in only["items"]] == [elsewhere]
    assert web.get("studio", f"/detections/{theirs}").status_code == 403
    assert [i["id"] for i in web.get("studio", "/review").json()["items"]] == [own]

    refused = web.post("studio", "/detections/confirm", json={"ids": [own, theirs], "reason": "x"})
    assert refused.status_code == 403
    assert "belongs to another rights holder" in detail(refused)
    # All or nothing: its own detection was not confirmed either.
    assert status_of(web, own) is DetectionStatus.IN_REVIEW
    assert status_of(web, theirs) is DetectionStatus.IN_REVIEW
    # A rights holder gives notice but does not open cases.
    assert web.post("studio", "/cases", json={"site": "pirate", "reason": "x"}).status_code == 403


def test_other_region_sees_nothing_and_changes_nothing(
    web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    film = web.detection(site_name="pirate", title="Film A", status=DetectionStatus.CONFIRMED)
    drafted = web.post("officer", "/notices", json={"site": "pirate"}).json()
    opened = web.post("officer", "/cases", json={"site": "pirate", "reason": "lead"}).json()

    for path in ("/detections", "/notices", "/cases", "/allow-rules"):
        page = web.get("bjofficer", path)
        assert page.status_code == 200 and page.json()["items"] == [], path
    assert web.get("bjofficer", f"/detections/{film}").status_code == 403
    assert web.get("bjofficer", f"/notices/{drafted[0]['id']}").status_code == 403
    assert web.get("bjofficer", f"/cases/{opened['id']}").status_code == 403
    sent = web.post("bjofficer", f"/notices/{drafted[0]['id']}/send")
    assert sent.status_code == 403
    moved = web.post(
        "bjofficer", f"/cases/{opened['id']}/transitions", json={"to": "rejected", "reason": "x"}
    )
    assert moved.status_code == 403
    exported = web.post("bjofficer", "/evidence/packages", json={"detection_id": film})
    assert exported.status_code == 403
    assert "outside the region" in detail(exported)
    assert list(scratch.iterdir()) == []  # a refused export leaves no folder behind
    with transaction(web.factory) as s:
        notice = s.get(Notice, drafted[0]["id"])
        assert notice is not None and notice.status is NoticeStatus.DRAFT
    assert case_state(web, opened["id"]) is CaseState.LEAD
    # The Guangdong viewer reads the same records read-only; the one without an authority reads
    # everything; neither may act.
    assert [c["id"] for c in web.get("gdviewer", "/cases").json()["items"]] == [opened["id"]]
    beijing = web.detection(site_name="bjpirate", title="Film B")
    assert [d["id"] for d in web.get("gdviewer", "/detections").json()["items"]] == [film]
    assert web.get("gdviewer", f"/detections/{beijing}").status_code == 403
    assert web.get("viewer", "/detections").json()["total"] == 2
    viewer_move = web.post(
        "gdviewer", f"/cases/{opened['id']}/transitions", json={"to": "rejected", "reason": "x"}
    )
    assert viewer_move.status_code == 403


def test_platform_reads_only_notices_to_its_site(web: Web) -> None:
    web.detection(site_name="pirate", title="Film A", status=DetectionStatus.CONFIRMED)
    web.detection(site_name="plat1", title="Film B", status=DetectionStatus.CONFIRMED)
    pirate = web.post("admin", "/notices", json={"site": "pirate"}).json()
    own = web.post("admin", "/notices", json={"site": "plat1"}).json()

    listed = web.get("platform", "/notices").json()["items"]
    assert [n["id"] for n in listed] == [own[0]["id"]]
    assert web.get("platform", f"/notices/{own[0]['id']}").status_code == 200
    document = web.get("platform", f"/notices/{own[0]['id']}/document")
    assert document.status_code == 200 and "Label B" in document.text
    assert web.get("platform", f"/notices/{pirate[0]['id']}").status_code == 403
    for path in ("/detections", "/cases", "/review", "/allow-rules", "/evidence/key"):
        assert web.get("platform", path).status_code == 403, path
    assert web.post("platform", f"/notices/{own[0]['id']}/send").status_code == 403


def test_evidence_files_are_served_safely_and_only_through_their_detection(web: Web) -> None:
    film = web.detection(site_name="pirate", title="Film A")
    store = ContentStore(web.settings.content_dir)
    page = store.put_bytes(b"<html><script>alert(1)</script></html>", ".html")
    still = store.put_bytes(b"\xff\xd8\xff\xe0 not really a jpeg", ".jpg")
    with transaction(web.factory) as s:
        detection = s.get(Detection, film)
        assert detection is not None
        page_row = add_artefact(
            s, capture=detection.capture, kind="page", path=page.path, content_type="text/html"
        )
        still_row = add_artefact(
            s,
            capture=detection.capture,
            kind="keyframe",
            path=still.path,
            content_type="image/jpeg",
            detection_id=film,
            at_s=3.0,
        )
        ids = (page_row.id, still_row.id)
        other = Detection(
            capture=detection.capture,
            work=s.scalars(select(Work).where(Work.title == "Film B")).one(),
            signal="audio.triplets",
            score=12.0,
            query_start=0.0,
            query_end=5.0,
            ref_start=0.0,
            ref_end=5.0,
        )
        s.add(other)
        s.flush()
        sibling = other.id

    shown = web.get("studio", f"/detections/{film}").json()
    assert shown["evidence_class"] == "fingerprint" and shown["query_end"] == 9.0
    artefacts = {a["kind"]: a for a in shown["artefacts"]}
    assert set(artefacts) == {"page", "keyframe"}
    assert artefacts["page"]["sha256"] == page.sha256

    html = web.client.get(artefacts["page"]["url"], headers=_bearer(web, "studio"))
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/plain")
    assert html.headers["content-disposition"].startswith("attachment")
    assert html.headers["x-content-type-options"] == "nosniff"
    assert html.content == b"<html><script>alert(1)</script></html>"
    jpeg = web.get("studio", f"/detections/{film}/artefacts/{ids[1]}")
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert jpeg.headers["content-disposition"].startswith("inline")

    # The page belongs to the capture, so the sibling detection reaches it; the still was made
    # for the first detection only, and another rights holder reaches neither.
    assert web.get("label", f"/detections/{sibling}/artefacts/{ids[0]}").status_code == 200
    assert web.get("label", f"/detections/{sibling}/artefacts/{ids[1]}").status_code == 404
    assert web.get("label", f"/detections/{film}/artefacts/{ids[0]}").status_code == 403
    assert web.get(None, f"/detections/{film}/artefacts/{ids[0]}").status_code == 401


def _bearer(web: Web, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {web.tokens[user]}"}


def test_money_and_measures_are_validated_with_clear_messages(web: Web) -> None:
    web.detection(site_name="pirate", title="Film A", status=DetectionStatus.CONFIRMED)
    case = web.post("officer", "/cases", json={"site": "pirate", "reason": "lead"}).json()
    path = f"/cases/{case['id']}/measures"

    for bad, message in (
        ("abc", "is not an amount of yuan"),
        ("12.345", "more than two decimals"),
        (1e15, "more than 999999999999.99 yuan"),
        ("1e30", "more than 999999999999.99 yuan"),
        (True, "as a number or a string"),
    ):
        answer = web.post("officer", path, json={"illegal_gains": bad})
        assert answer.status_code == 422, bad
        assert message in answer.text, answer.text
    assert web.post("officer", path, json={"clicks": -1}).status_code == 422
    assert web.post("officer", path, json={"fines": 3}).status_code == 422  # unknown field
    empty = web.post("officer", path, json={})
    assert empty.status_code == 400 and "at least one measure" in detail(empty)

    recorded = web.post(
        "officer", path, json={"illegal_gains": "1,200.50", "clicks": 60000, "reason": "audit"}
    )
    assert recorded.status_code == 200, recorded.text
    body = recorded.json()
    assert body["measures"]["illegal_gains"] == "1200.50"
    assert body["referral_flags"] == ["clicks 60000 reaches the threshold 50000"]


def test_users_and_authorities_are_admin_only(web: Web) -> None:
    hangzhou = {"name": "Hangzhou", "level": "municipal", "region": "cn-33-01"}
    made = web.post("admin", "/authorities", json=hangzhou)
    assert made.status_code == 201 and made.json()["region"] == "CN-33-01"
    user = web.post(
        "admin",
        "/users",
        json={
            "username": "hz",
            "role": "officer",
            "authority": "Hangzhou",
            "password": "a long enough password",
        },
    )
    assert user.status_code == 201, user.text
    assert web.post("admin", "/users", json={"username": "hz", "role": "viewer"}).status_code == 409
    issued = web.post("admin", "/users/hz/tokens", json={"name": "ci"})
    assert issued.status_code == 201
    me = web.client.get(f"{API}/me", headers={"Authorization": f"Bearer {issued.json()['token']}"})
    assert me.json()["region"] == "CN-33-01"
    # The password set through the API signs in.
    signed = web.client.post(
        f"{API}/tokens", json={"username": "hz", "password": "a long enough password"}
    )
    assert signed.status_code == 201
    short = web.call("PUT", "admin", "/users/hz/password", json={"password": "short"})
    assert short.status_code == 400 and "at least 10 characters" in detail(short)
    changed = web.call("PUT", "admin", "/users/hz/password", json={"password": "another long one"})
    assert changed.status_code == 204
    old = web.client.post(
        f"{API}/tokens", json={"username": "hz", "password": "a long enough password"}
    )
    assert old.status_code == 401
    listed = web.get("admin", "/users", params={"limit": 100}).json()
    assert "hz" in [u["username"] for u in listed["items"]]
    assert web.get("officer", "/users").status_code == 403
    assert web.post("officer", "/users/officer/tokens").status_code == 403
