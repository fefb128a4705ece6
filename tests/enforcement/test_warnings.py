"""Publishing a protection-list batch: one warning to each running platform, licensed works
flagged as such, published once, and only by those with the right."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enforcement_world import World, build_world, ledger_size
from jianwang.catalog.actors import actor_for
from jianwang.catalog.service import add_batch, add_licence, get_batch
from jianwang.db import transaction
from jianwang.db.models import LedgerEntry, Notice, NoticeKind, NoticeStatus
from jianwang.enforcement.notices import notice_data, render_notice_html, write_notice_pdf
from jianwang.enforcement.warnings import publish_batch
from jianwang.errors import DuplicateError, PermissionDenied, UserError

NOW = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = build_world(tmp_path / "w.db")
    with transaction(built.factory) as s:
        add_batch(s, name="2026-1", works=["Film A", "Film B"])
        add_licence(
            s, work="Film A", site="plat1", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
        )
        add_licence(
            s, work="Film B", site="plat3", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31)
        )
    yield built
    built.close()


def test_publishing_warns_every_running_platform_once(world: World) -> None:
    with transaction(world.factory) as s:
        batch = get_batch(s, name="2026-1")
        notices = publish_batch(s, batch=batch, actor=actor_for(s, "officer"), now=NOW)
        # Platforms only (not the pirate sites), and not the one shut down.
        assert [n.site.name for n in notices if n.site] == ["plat1", "plat3"]
        assert all(
            n.kind is NoticeKind.WARNING
            and n.status is NoticeStatus.SENT
            and n.batch_id == batch.id
            and n.sent_at == NOW
            for n in notices
        )
        assert batch.published_at == NOW
        plat1, plat3 = (n.content["works"] for n in notices)
        assert [(w["title"], w["licensed"]) for w in plat1] == [
            ("Film A", True),
            ("Film B", False),
        ]
        assert plat1[0]["licence"]["ends_on"] == "2026-12-31"
        assert "2026-12-31" in plat1[0]["duty"]
        assert plat1[0]["rights_holder"] == "Studio A"
        assert plat1[0]["protected_until"] == "2030-01-01"
        # A licence that ended last year does not count on the day of publication.
        assert [w["licensed"] for w in plat3] == [False, False]
        assert "block uploads" in plat3[1]["duty"].lower()
        kinds = [e.kind for e in s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))]
        assert kinds.count("notice") == 2 and kinds[-1] == "publish"

        html = render_notice_html(notices[0])
        for text in (
            "Film A",
            "Film B",
            "Studio A",
            "Label B",
            "已授权 / Licensed",
            "2026-12-31",
            "Block uploads",
            "2030-01-01",
        ):
            assert text in html, text
        pdf = io.BytesIO()
        write_notice_pdf(notices[0], pdf)
        assert pdf.getvalue().startswith(b"%PDF")
        data = json.loads(json.dumps(notice_data(notices[0])))
        assert data["kind"] == "warning" and data["content"]["batch"]["name"] == "2026-1"

        before = (ledger_size(s), s.scalar(select(func.count()).select_from(Notice)))
        with pytest.raises(DuplicateError, match="already published"):
            publish_batch(s, batch=batch, actor=actor_for(s, "admin"), now=NOW)
        assert (ledger_size(s), s.scalar(select(func.count()).select_from(Notice))) == before


@pytest.mark.parametrize("user", ["studio", "viewer"])
def test_only_the_authority_publishes(world: World, user: str) -> None:
    with transaction(world.factory) as s:
        batch = get_batch(s, name="2026-1")
        published = batch.published_at
        with pytest.raises(PermissionDenied):
            publish_batch(s, batch=batch, actor=actor_for(s, user), now=NOW)
        assert batch.published_at == published
        assert s.scalar(select(func.count()).select_from(Notice)) == 0
        assert ledger_size(s) == 0


def test_an_empty_batch_is_not_published(world: World) -> None:
    with transaction(world.factory) as s:
        empty = add_batch(s, name="empty")
        with pytest.raises(UserError, match="no works"):
            publish_batch(s, batch=empty, actor=actor_for(s, "admin"), now=NOW)
