"""Who may call what: every route of the API against every role, from one declarative table.

The table below is the API's authorization contract. A route the app serves that the table does
not name fails the test, so a new route cannot ship without saying who may call it; for every
route, each role not listed must be refused (401 without a token, 403 with one) and each role
listed must get past authorization (any answer but 401/403, and never a server error), using a
minimal valid request on a seeded world whose records are within every allowed role's scope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from enforcement_world import detect
from jianwang.catalog import service
from jianwang.catalog.accounts import find_user, set_password
from jianwang.catalog.actors import actor_for
from jianwang.catalog.people import add_user
from jianwang.catalog.service import find_site
from jianwang.content import ContentStore
from jianwang.db import transaction
from jianwang.db.models import Detection, DetectionStatus, SiteStatus
from jianwang.detections.service import detection_basis
from jianwang.enforcement.cases import open_case
from jianwang.enforcement.notices import draft_takedown_notices
from jianwang.evidence import ledger
from jianwang.evidence.artefacts import add_artefact
from jianwang.monitoring.sites import add_site
from jianwang.pipeline import runs
from local_http import LocalServer, Reply
from web_world import CLOSED, WebWorld, web_world

API = "/api/v1"
PASSWORD = "matrix password 1"

ADMIN, OFFICER, HOLDER, PLATFORM, VIEWER = (
    "admin",
    "officer",
    "rights_holder",
    "platform",
    "viewer",
)
ANONYMOUS = "anonymous"
ROLES = (ADMIN, OFFICER, HOLDER, PLATFORM, VIEWER)
USER_OF = {
    ADMIN: "admin",
    OFFICER: "officer",
    HOLDER: "studio",
    PLATFORM: "platform",
    VIEWER: "viewer",
}

EVERY_ROLE = frozenset(ROLES)
READERS = frozenset({ADMIN, OFFICER, HOLDER, VIEWER})
REVIEWERS = frozenset({ADMIN, OFFICER, HOLDER})
STAFF = frozenset({ADMIN, OFFICER})
REPORTERS = frozenset({ADMIN, OFFICER, VIEWER})
ADMINS = frozenset({ADMIN})
PUBLIC = frozenset({*ROLES, ANONYMOUS})

Ids = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    """Who may call a route, and a minimal valid request for it (built from the seeded ids)."""

    allowed: frozenset[str]
    json: Callable[[Ids], Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] | None = None
    at: dict[str, str] = field(default_factory=dict)  # path placeholder -> seeded id's key


REFERENCE_TEXT = " ".join(
    f"Chapter {n}: the lantern keeper counted {n * 7} boats." for n in range(80)
)
"""A text reference long enough to fingerprint."""


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


TABLE: dict[tuple[str, str], Rule] = {
    # catalog: the protection list is open to every signed-in user; registering works is for
    # admins, officers and rights holders (their own works); licences, batches and the site
    # registry for admins and officers; sites and runs are read within each one's scope
    ("GET", "/works"): Rule(EVERY_ROLE),
    ("GET", "/works/{work_id}"): Rule(EVERY_ROLE),
    ("POST", "/works"): Rule(
        REVIEWERS, lambda i: {"title": "Matrix Work", "kind": "film", "rights_holder": "Studio A"}
    ),
    ("POST", "/works/{work_id}/references"): Rule(
        REVIEWERS,
        files={"file": ("chapter.txt", REFERENCE_TEXT.encode(), "text/plain")},
    ),
    ("PUT", "/works/{work_id}/aliases"): Rule(REVIEWERS, lambda i: {"aliases": ["Matrix A"]}),
    ("GET", "/licences"): Rule(EVERY_ROLE),
    ("POST", "/licences"): Rule(STAFF, lambda i: {"work": "Film A", "site": "plat1"}),
    ("GET", "/batches"): Rule(EVERY_ROLE),
    ("POST", "/batches"): Rule(STAFF, lambda i: {"name": "matrix new batch"}),
    ("POST", "/batches/{batch}/publish"): Rule(STAFF),
    ("GET", "/sites"): Rule(EVERY_ROLE),
    ("GET", "/sites/{site_id}"): Rule(EVERY_ROLE),
    ("POST", "/sites"): Rule(
        STAFF,
        lambda i: {
            "name": "matrix site",
            "kind": "video",
            "seeds": ["http://127.0.0.1:9/matrix/"],
            "region": "CN-44",
        },
    ),
    ("PATCH", "/sites/{site_id}"): Rule(STAFF, lambda i: {"concurrency": 2}),
    # A shut-down site: an allowed caller gets past authorization to a refusal (400), so no
    # sweep thread is started by the test.
    ("POST", "/sites/{site_id}/sweeps"): Rule(STAFF, at={"site_id": "shut_site_id"}),
    ("GET", "/runs"): Rule(EVERY_ROLE),
    ("GET", "/runs/{run_id}"): Rule(EVERY_ROLE),
    # screening: platforms screen their uploads, as do admins and officers
    ("POST", "/screen"): Rule(
        frozenset({ADMIN, OFFICER, PLATFORM}),
        files={"file": ("upload.txt", b"an unrelated little text to screen", "text/plain")},
    ),
    ("POST", "/screen/url"): Rule(
        frozenset({ADMIN, OFFICER, PLATFORM}), lambda i: {"url": i["screen_url"]}
    ),
    # auth
    ("POST", "/tokens"): Rule(PUBLIC, lambda i: {"username": "admin", "password": PASSWORD}),
    ("GET", "/me"): Rule(EVERY_ROLE),
    # detections and review
    ("GET", "/detections"): Rule(READERS),
    ("GET", "/detections/{detection_id}"): Rule(READERS),
    ("GET", "/detections/{detection_id}/artefacts/{artefact_id}"): Rule(READERS),
    ("GET", "/review"): Rule(REVIEWERS),
    ("POST", "/detections/confirm"): Rule(
        REVIEWERS, lambda i: {"ids": [i["detection_id"]], "reason": "matrix"}
    ),
    ("POST", "/detections/reject"): Rule(
        REVIEWERS, lambda i: {"ids": [i["detection_id"]], "reason": "matrix"}
    ),
    ("GET", "/allow-rules"): Rule(READERS),
    # notices
    ("GET", "/notices"): Rule(EVERY_ROLE),
    ("GET", "/notices/{notice_id}"): Rule(EVERY_ROLE),
    ("GET", "/notices/{notice_id}/document"): Rule(EVERY_ROLE, params={"format": "html"}),
    ("POST", "/notices"): Rule(
        REVIEWERS, lambda i: {"site": "plat1", "detection_ids": [i["noticeable"]]}
    ),
    ("POST", "/notices/{notice_id}/send"): Rule(REVIEWERS),
    ("POST", "/notices/{notice_id}/counter"): Rule(
        REVIEWERS, lambda i: {"sender": "operator", "grounds": "licensed"}
    ),
    ("POST", "/notices/{notice_id}/escalate"): Rule(STAFF, lambda i: {"reason": "matrix"}),
    # cases
    ("GET", "/cases"): Rule(READERS),
    ("GET", "/cases/{case}"): Rule(READERS),
    ("POST", "/cases"): Rule(
        STAFF,
        lambda i: {"site": "plat1", "detection_ids": [i["noticeable"]], "reason": "matrix"},
    ),
    ("POST", "/cases/{case}/officers"): Rule(
        STAFF, lambda i: {"officers": ["officer", "officer2"]}
    ),
    ("POST", "/cases/{case}/measures"): Rule(STAFF, lambda i: {"clicks": 5}),
    ("POST", "/cases/{case}/transitions"): Rule(
        STAFF, lambda i: {"to": "screening", "reason": "matrix"}
    ),
    # reports and evidence
    ("GET", "/reports/campaign"): Rule(REPORTERS, params={"from": "2026-01-01", "to": _today()}),
    ("POST", "/evidence/packages"): Rule(REVIEWERS, lambda i: {"detection_id": i["detection_id"]}),
    ("GET", "/evidence/key"): Rule(READERS),
    ("POST", "/evidence/seal"): Rule(STAFF),
    # users and authorities
    ("GET", "/users"): Rule(ADMINS),
    ("POST", "/users"): Rule(ADMINS, lambda i: {"username": "matrix", "role": "viewer"}),
    ("POST", "/users/{username}/tokens"): Rule(ADMINS, lambda i: {"name": "matrix"}),
    ("PUT", "/users/{username}/password"): Rule(ADMINS, lambda i: {"password": PASSWORD}),
    ("GET", "/authorities"): Rule(ADMINS),
    ("POST", "/authorities"): Rule(
        ADMINS, lambda i: {"name": "Zhejiang", "level": "provincial", "region": "CN-33"}
    ),
}


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves under /api/v1, path relative to it."""
    try:  # FastAPI >= 0.150 keeps included routers unflattened in app.routes
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = list(app.routes)
    found = set()
    for route in routes:
        path = getattr(route, "path", None) or ""
        if not path.startswith(API + "/"):
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, path[len(API) :]))
    return found


def _record(s: Any, detection: Detection) -> None:
    """Enter a detection in the ledger as matching does, so its package verifies."""
    ledger.append(
        s,
        kind="detection",
        subject=f"detection:{detection.id}",
        payload={
            **detection_basis(detection.capture, detection),
            "signal": detection.signal,
            "score": detection.score,
            "query_span": [detection.query_start, detection.query_end],
            "ref_span": [detection.ref_start, detection.ref_end],
            "speed": detection.speed,
            "status": detection.status.value,
        },
    )


def seed(world: WebWorld) -> Ids:
    """Records inside every allowed role's scope: a detection of Studio A's film on a
    Guangdong site with a page artefact, a takedown notice to platform plat1 (in Guangdong) for
    that film, a case on the Guangdong site, a batch with the film, a queued (never started)
    run of plat1, and a shut-down Guangdong site."""
    svc = world.services
    store = ContentStore(world.settings.content_dir)
    page = store.put_bytes(b"<html>pirate</html>", ".html")
    with transaction(svc.sessions) as s:
        add_user(s, username="officer2", role="officer", authority="Guangdong")
        admin = actor_for(s, "admin")
        set_password(s, user=find_user(s, "admin"), password=PASSWORD)
        found = detect(s, site_name="gdsite", title="Film A", status=DetectionStatus.IN_REVIEW)
        _record(s, found)
        artefact = add_artefact(
            s, capture=found.capture, kind="page", path=page.path, content_type="text/html"
        )
        ledger.append(
            s,
            kind="artefact",
            subject=f"detection:{found.id}",
            payload={"artefact_id": artefact.id, "sha256": artefact.sha256},
        )
        on_platform = detect(s, site_name="plat1", title="Film A", status=DetectionStatus.CONFIRMED)
        spare = detect(s, site_name="plat1", title="Film A", status=DetectionStatus.CONFIRMED)
        for d in (on_platform, spare):
            _record(s, d)
        [notice] = draft_takedown_notices(
            s,
            site=find_site(s, "plat1"),
            detections=[on_platform],
            actor=admin,
            settings=world.settings,
        )
        held = detect(s, site_name="gdsite", title="Film A", status=DetectionStatus.CONFIRMED)
        _record(s, held)
        case = open_case(
            s, site=find_site(s, "gdsite"), detections=[held], actor=admin, reason="matrix"
        )
        service.add_batch(s, name="matrix batch", works=["Film A"])
        shut = add_site(s, name="gdshut", kind="video", seeds=[CLOSED], region="CN-44")
        shut.status = SiteStatus.SHUT_DOWN
        plat1 = find_site(s, "plat1")
        run = runs.queue_sweep(s, site_id=plat1.id, actor=admin)  # queued, never started
        return {
            "work_id": found.work_id,
            "site_id": plat1.id,
            "shut_site_id": shut.id,
            "run_id": run.id,
            "batch": "matrix batch",
            "detection_id": found.id,
            "artefact_id": artefact.id,
            "noticeable": spare.id,
            "notice_id": notice.id,
            "case": case.id,
            "username": "viewer",
        }


@pytest.fixture(scope="module")
def matrix_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebWorld, Ids]]:
    path: Path = tmp_path_factory.mktemp("matrix")
    # A server that answers 404 at once, for screening a URL (a closed port would be retried).
    with LocalServer(lambda seen: Reply(status=404)) as server, web_world(path) as world:
        yield world, {**seed(world), "screen_url": f"{server.base}/upload.mp4"}


def test_every_route_is_in_the_table(matrix_world: tuple[WebWorld, Ids]) -> None:
    world, _ids = matrix_world
    served = api_routes(world.app)
    missing = sorted(served - TABLE.keys())
    stale = sorted(TABLE.keys() - served)
    assert not missing, f"routes with no authorization rule: add them to TABLE: {missing}"
    assert not stale, f"TABLE names routes the app does not serve: {stale}"
    assert len(served) >= 30


def _request(world: WebWorld, who: str, method: str, path: str, rule: Rule, ids: Ids) -> Any:
    user = None if who == ANONYMOUS else USER_OF[who]
    kwargs: dict[str, Any] = {"params": rule.params}
    if rule.json is not None:
        kwargs["json"] = rule.json(ids)
    if rule.files is not None:
        kwargs["files"] = rule.files
    values = {**ids, **{name: ids[key] for name, key in rule.at.items()}}
    return world.call(user, method, path.format(**values), **kwargs)


@pytest.mark.parametrize(("method", "path"), sorted(TABLE))
def test_route_admits_exactly_its_roles(
    matrix_world: tuple[WebWorld, Ids], method: str, path: str
) -> None:
    world, ids = matrix_world
    rule = TABLE[(method, path)]
    # Refusals first: they must change nothing, so the allowed calls after them see the seed.
    for who in (ANONYMOUS, *ROLES):
        if who in rule.allowed:
            continue
        answer = _request(world, who, method, path, rule, ids)
        expected = 401 if who == ANONYMOUS else 403
        assert answer.status_code == expected, (who, answer.status_code, answer.text)
    for who in (*ROLES, ANONYMOUS):
        if who not in rule.allowed:
            continue
        answer = _request(world, who, method, path, rule, ids)
        assert answer.status_code not in (401, 403), (who, answer.status_code, answer.text)
        assert answer.status_code < 500, (who, answer.status_code, answer.text)
