"""View counts read from pages: structured data first, then counts next to a keyword."""

from __future__ import annotations

import json

import pytest

from jianwang.monitoring.discover import parse_page
from jianwang.monitoring.viewcount import parse_count

URL = "http://127.0.0.1:8001/video/1.html"


def _page(body: str, head: str = "") -> str:
    return f"<html><head><title>第1集</title>{head}</head><body>{body}</body></html>"


def _json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("1,234", 1234),
        ("1.2M", 1_200_000),
        ("12K", 12_000),
        ("3b", 3_000_000_000),
        ("1.2万", 12_000),
        ("2.3亿", 230_000_000),
        ("1.5w", 15_000),
        ("３.４万次", 34_000),  # full-width digits
        ("１２，３４５", 12_345),
        ("12345", 12_345),
        ("2.5", None),  # a fraction without a unit is not a count
        ("abc", None),
        ("¥30", None),
    ],
)
def test_counts_are_read_with_their_units(text: str, count: int | None) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize(
    ("body", "count"),
    [
        ("<span>1,234 views</span>", 1234),
        ("<div>1.2M views · 3 days ago</div>", 1_200_000),
        ("<p>12K plays</p>", 12_000),
        ("<p>Views: 98,765</p>", 98_765),
        ("<div class='info'>播放量：1.2万</div>", 12_000),
        ("<span>123次播放</span>", 123),
        ("<span>观看 3.4万次</span>", 34_000),
        ("<em>播放 2.3亿</em>", 230_000_000),
        ("<p>阅读 1.5万</p>", 15_000),
        ("<p>点击：12345</p>", 12_345),
        ("<p>人气：８８８</p>", 888),
        ("<span class='num'>4,567</span><span>次播放</span>", 4567),  # split across elements
        ("<p>1.2w播放</p>", 12_000),
        ("<p>更新至第12集 2024年上映 播放：5,000</p>", 5000),
        ("<p>第1集 1080P</p><p>总播放 76万</p>", 760_000),
        ("<p>播放 12345, 评论 3</p>", 12_345),
        ("<p>Plays: 1,234.</p>", 1234),
    ],
)
def test_counts_in_visible_text(body: str, count: int) -> None:
    assert parse_page(URL, _page(body)).view_count == count


@pytest.mark.parametrize(
    "body",
    [
        "<p>2024</p>",
        "<p>上映时间 2024</p>",
        "<p>价格 ¥30</p>",
        "<p>第12集</p>",
        "<p>更新至第12集</p>",
        "<p>播放 第12集</p>",
        "<p>播放 2024年5月1日</p>",
        "<p>观看 1080P 高清</p>",
        "<p>点击率 12%</p>",
        "<p>评分 8.5 时长 90分钟 共 45 集</p>",
        "<p>1.2万 点赞 300 评论</p>",
        "<p>12 comments, 5 likes</p>",
        "<p>S01E12 views</p>",
        "<p>播放列表 12</p>",
        "<script>var views = 99999;</script><p>无</p>",
    ],
)
def test_numbers_that_are_not_view_counts(body: str) -> None:
    assert parse_page(URL, _page(body)).view_count is None


def test_related_items_and_comments_do_not_lend_their_counts() -> None:
    body = (
        "<h1>第1集</h1><p>播放量：321</p>"
        "<section class='related'><ul><li>第2集 9.9万次播放</li></ul></section>"
    )
    assert parse_page(URL, _page(body)).view_count == 321
    only_related = "<section class='related'><ul><li>第2集 9.9万次播放</li></ul></section>"
    assert parse_page(URL, _page(only_related)).view_count is None
    comments = "<div class='comments'>我看了 500 次播放了</div>"
    assert parse_page(URL, _page(comments)).view_count is None


def test_json_ld_interaction_statistic_comes_first() -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": "第1集",
        "interactionStatistic": [
            {
                "@type": "InteractionCounter",
                "interactionType": {"@type": "LikeAction"},
                "userInteractionCount": 50,
            },
            {
                "@type": "InteractionCounter",
                "interactionType": {"@type": "WatchAction"},
                "userInteractionCount": 123456,
            },
        ],
    }
    page = _page("<p>播放量：1.2万</p>", _json_ld(data))
    assert parse_page(URL, page).view_count == 123456


@pytest.mark.parametrize(
    ("data", "count"),
    [
        (
            {
                "@type": "MusicRecording",
                "interactionStatistic": {
                    "@type": "InteractionCounter",
                    "interactionType": "http://schema.org/ListenAction",
                    "userInteractionCount": "7,890",
                },
            },
            7890,
        ),
        (
            {
                "@type": "Chapter",
                "interactionStatistic": {
                    "interactionType": "https://schema.org/ReadAction",
                    "userInteractionCount": "1.5万",
                },
            },
            15_000,
        ),
        ({"@type": "VideoObject", "interactionCount": "UserPlays:4242"}, 4242),
        ({"@type": "VideoObject", "interactionCount": "UserViews:1,000"}, 1000),
        ({"@type": "VideoObject", "interactionCount": 77}, 77),
        ({"@graph": [{"@type": "WebPage"}, {"@type": "VideoObject", "interactionCount": 8}]}, 8),
        # The page's own item, not the related items listed inside it.
        (
            {
                "@type": "VideoObject",
                "interactionCount": "UserPlays:10",
                "hasPart": [{"@type": "VideoObject", "interactionCount": "UserPlays:999"}],
            },
            10,
        ),
    ],
)
def test_json_ld_forms(data: object, count: int) -> None:
    assert parse_page(URL, _page("<p>no count here</p>", _json_ld(data))).view_count == count


def test_json_ld_without_views_falls_back() -> None:
    likes = {
        "@type": "VideoObject",
        "interactionStatistic": {
            "interactionType": {"@type": "LikeAction"},
            "userInteractionCount": 50,
        },
        "interactionCount": "UserLikes:50",
    }
    assert parse_page(URL, _page("<p>123次播放</p>", _json_ld(likes))).view_count == 123
    broken = '<script type="application/ld+json">{"interactionCount": </script>'
    assert parse_page(URL, _page("<p>123次播放</p>", broken)).view_count == 123


def test_microdata() -> None:
    meta = '<div itemscope><meta itemprop="interactionCount" content="UserPlays:5150"></div>'
    assert parse_page(URL, _page(meta)).view_count == 5150
    counter = (
        '<div itemprop="interactionStatistic" itemscope itemtype="https://schema.org/InteractionCounter">'
        '<link itemprop="interactionType" href="https://schema.org/WatchAction">'
        '<span itemprop="userInteractionCount">2,345</span></div>'
    )
    assert parse_page(URL, _page(counter)).view_count == 2345
    likes = counter.replace("WatchAction", "LikeAction")
    assert parse_page(URL, _page(likes + "<p>99 views</p>")).view_count == 99


def test_a_page_without_any_count() -> None:
    assert parse_page(URL, _page("<p>Nothing to see.</p>")).view_count is None
    assert parse_page(URL, "").view_count is None
