"""Title matching: names with distribution cues, through the dodges pirates use, and nothing
from names alone, common words in sentences, or reviews."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

import pytest

from jianwang.matching import titles
from jianwang.matching.titles import TextSpot, TitleEntry, TitleHit, TitleMatcher
from jianwang.media.text import FoldedText, fold_for_matching

WORKS = (
    TitleEntry(1, "庆余年", ("Joy of Life", "Qing Yu Nian")),
    TitleEntry(2, "Game of Thrones", ("GOT", "权游", "权力的游戏")),
    TitleEntry(3, "Home"),
    TitleEntry(4, "家"),
    TitleEntry(5, "Up"),
    TitleEntry(6, "Home Alone"),
    TitleEntry(7, "Friends", ("老友记",)),
    TitleEntry(8, "英雄", ("Hero",)),
    TitleEntry(9, "The Torrent"),
)


@pytest.fixture(scope="module")
def matcher() -> TitleMatcher:
    return TitleMatcher(WORKS)


def _find(matcher: TitleMatcher, text: str, where: str = "link") -> list[TitleHit]:
    return matcher.find([TextSpot(where, text)])


def _works(hits: list[TitleHit]) -> set[int]:
    return {h.work_id for h in hits}


# --- dodges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "庆余年",
        "庆 余 年",
        "庆*余*年",
        "庆·余·年",
        "庆_余_年",
        "庆-余-年",
        "庆/余/年",
        "庆\u200b余\u200d年",  # zero-width space and joiner
        "庆🎬余🔥年",
        "慶餘年",
        "慶 餘 年",
        "《庆余年》",
        "【庆余年】",
        "「庆•余•年」",
        "ｑｉｎｇ ｙｕ ｎｉａｎ",  # full-width pinyin, registered as an alias
        "QING-YU-NIAN",
    ],
)
def test_chinese_name_dodges_all_match(matcher: TitleMatcher, name: str) -> None:
    hits = _find(matcher, f"{name} 全集 网盘下载")
    assert _works(hits) == {1}
    assert set(hits[0].cues) >= {"complete", "cloud_drive", "download"}


@pytest.mark.parametrize(
    "name",
    [
        "Game of Thrones",
        "GAME.OF.THRONES",
        "game_of_thrones",
        "Game-of-Thrones",
        "GameOfThrones",
        "Ｇａｍｅ ｏｆ Ｔｈｒｏｎｅｓ",
        "G a m e  o f  T h r o n e s",
        "Game\u200bof\u200bThrones",
        "Gäme of Thrönes",
        "权 力 的 游 戏",
        "權力的遊戲",
        "权*游",
    ],
)
def test_english_and_alias_dodges_all_match(matcher: TitleMatcher, name: str) -> None:
    hits = _find(matcher, f"{name} S08E06 1080p 下载")
    assert _works(hits) == {2}
    assert hits[0].episode == "S08E06"


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("庆余年 下載", "download"),
        ("庆余年 網盤", "cloud_drive"),
        ("庆余年 ＢＴ種子", "torrent"),
        ("庆余年 磁力链接", "magnet"),
        ("庆余年 線上看", "free_watch"),
        ("庆余年 藍光", "quality"),
        ("庆余年 ４Ｋ", "quality"),
        ("庆余年 d o w n l o a d", "download"),
        ("庆余年 下*载", "download"),
        ("庆余年 提取码: ab12", "cloud_drive"),
        ("庆余年 资源 打包", "resource"),
        ("庆余年 淘宝 ¥30 包邮", "sale"),
        ("Joy of Life watch online free", "free_watch"),
        ("Joy of Life torrent", "torrent"),
        ("Joy of Life WEB-DL", "quality"),
    ],
)
def test_cues_are_read_through_traditional_full_width_and_spacing(
    matcher: TitleMatcher, text: str, cue: str
) -> None:
    hits = _find(matcher, text)
    assert _works(hits) == {1}
    assert cue in hits[0].cues


# --- episodes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "episode"),
    [
        ("第1-40集", "E01-E40"),
        ("第1~40集", "E01-E40"),
        ("第 1 - 40 集", "E01-E40"),
        ("第12集", "E12"),
        ("第十二集", "E12"),
        ("第一至四十集", "E01-E40"),
        ("第140集", "E140"),
        ("全40集", "E01-E40"),
        ("共46集", "E01-E46"),
        ("全集", "全集"),
        ("更新至第20集", "E01-E20"),
        ("S01E03", "S01E03"),
        ("s1 e3", "S01E03"),
        ("S01E01-E10", "S01E01-E10"),
        ("S1 EP3", "S01E03"),
        ("EP03", "E03"),
        ("EP01-EP10", "E01-E10"),
        ("E01-E40", "E01-E40"),
        ("Season 2 Episode 5", "S02E05"),
        ("Season 2", "S02"),
        ("第2季第3集", "S02E03"),
        ("第二季", "S02"),
        ("complete series", "全集"),
        ("全五季", "S01-S05"),
        ("S01-S10", "S01-S10"),
    ],
)
def test_episode_forms_are_normalised(matcher: TitleMatcher, text: str, episode: str) -> None:
    hits = _find(matcher, f"《庆余年》{text} 网盘")
    assert [h.episode for h in hits] == [episode]


def test_no_episode_when_none_is_written(matcher: TitleMatcher) -> None:
    (hit,) = _find(matcher, "庆余年 1080P 网盘")
    assert hit.episode is None
    assert hit.cues == ("quality", "cloud_drive")


# --- no cue, no hit ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "庆余年",
        "《庆余年》是一部很好看的剧，演员表现出色。",
        "Game of Thrones is the best show I have ever seen.",
        "我最近在追《权力的游戏》，剧情太精彩了",
        "Joy of Life: the cast talks about the second season",
    ],
)
def test_a_name_without_cues_is_not_a_hit(matcher: TitleMatcher, text: str) -> None:
    for where in titles.WHERES:
        assert _find(matcher, text, where) == []


@pytest.mark.parametrize(
    "text",
    [
        "庆余年第12集剧情解析",  # episode mark, but a review
        "《庆余年》大结局收视创新高",
        "庆余年 4K 修复版 定档 官宣",
        "Game of Thrones Season 8 review",
        "Game of Thrones S08 trailer",
        "《庆余年》票房破10亿元",
    ],
)
def test_news_and_reviews_with_only_weak_cues_are_not_hits(
    matcher: TitleMatcher, text: str
) -> None:
    assert _find(matcher, text, "title") == []


def test_one_weak_cue_in_running_text_is_not_enough(matcher: TitleMatcher) -> None:
    assert _find(matcher, "昨晚看了庆余年第12集，真好看", "body") == []
    assert _works(_find(matcher, "庆余年第12集", "link")) == {1}
    assert _works(_find(matcher, "昨晚看了庆余年第12集，网盘下载", "body")) == {1}


# --- common words and short names --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I finally got home and started the download.",
        "Welcome home! Download our app for free coupons.",
        "Wake up and download the latest version",
        "Friends, you can download the slides here after the talk",
        "我回家了，然后打开网盘看看",
        "家里的网盘满了",
        "大家好，欢迎下载我们的应用",
        "他是我心中的英雄，资源都分享给大家",
        "Homepage download",
        "Update download now",
        "Upload 1080p video",
        "homework download",
    ],
)
def test_common_words_in_sentences_are_not_hits(matcher: TitleMatcher, text: str) -> None:
    assert _find(matcher, text, "body") == []
    assert _find(matcher, text, "link") == []


@pytest.mark.parametrize(
    ("text", "work"),
    [
        ("Home (2009) 1080P BluRay download", 3),
        ("Home.2009.1080p.BluRay.x264-YIFY", 3),
        ("ＨＯＭＥ　１０８０Ｐ　下載", 3),
        ("Home - 磁力下载", 3),
        ("《家》全集 网盘", 4),
        ("家 (1953) 国语中字 百度网盘", 4),
        ("【英雄】2002 蓝光 1080P 迅雷下载", 8),
        ("Up 2009 720p torrent", 5),
        ("Friends S01-S10 complete series 1080p", 7),
        ("老友记 全十季 网盘", 7),
    ],
)
def test_common_word_titles_match_as_clear_title_units(
    matcher: TitleMatcher, text: str, work: int
) -> None:
    assert _works(_find(matcher, text)) == {work}


def test_listing_with_short_names_between_separators(matcher: TitleMatcher) -> None:
    hits = _find(matcher, "庆余年 | 家 | 英雄 | 琅琊榜 网盘下载", "listing")
    assert _works(hits) == {1, 4, 8}


def test_short_names_need_cues_of_their_own_not_the_page_titles(matcher: TitleMatcher) -> None:
    spots = [TextSpot("title", "电影天堂 - 免费下载"), TextSpot("link", "Home")]
    spots.append(TextSpot("link", "家"))
    assert matcher.find(spots) == []


def test_longer_name_of_another_work_wins(matcher: TitleMatcher) -> None:
    hits = _find(matcher, "Home Alone (1990) 1080p download")
    assert _works(hits) == {6}


# --- abbreviations -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["GOT S08E06 1080p", "G.O.T S01E03 magnet", "GoT 全集 下载"])
def test_capital_abbreviation_matches_with_a_cue(matcher: TitleMatcher, text: str) -> None:
    hits = _find(matcher, text)
    assert _works(hits) == {2}
    assert hits[0].name == "GOT"


@pytest.mark.parametrize(
    "text",
    [
        "I got the download link yesterday",
        "Got it, download started",
        "we go to download",  # "go t" across words
        "GOTHAM 1080p download",
        "GOT",  # no cue
    ],
)
def test_capital_abbreviation_is_not_read_in_words(matcher: TitleMatcher, text: str) -> None:
    assert 2 not in _works(_find(matcher, text))


def test_a_single_letter_name_only_matches_as_a_whole_title() -> None:
    m = TitleMatcher([TitleEntry(1, "X")])
    assert m.find([TextSpot("body", "Follow us on X to download the app")]) == []
    assert [h.work_id for h in m.find([TextSpot("link", "X (2022) 1080p 下载")])] == [1]


def test_abbreviation_needs_a_cue_in_its_own_spot(matcher: TitleMatcher) -> None:
    spots = [TextSpot("title", "美剧 BT 下载"), TextSpot("link", "GOT")]
    assert matcher.find(spots) == []


# --- page title, links, where ------------------------------------------------------------------


def test_page_title_cues_give_weaker_hits_to_links_not_to_body(matcher: TitleMatcher) -> None:
    spots = [
        TextSpot("title", "美剧资源 网盘下载站"),
        TextSpot("link", "庆余年"),
        TextSpot("heading", "Game of Thrones"),
        TextSpot("body", "庆余年是一部好剧"),
    ]
    hits = matcher.find(spots)
    assert {(h.work_id, h.where) for h in hits} == {(1, "link"), (2, "heading")}
    assert all(h.page_cues_only and h.episode is None for h in hits)
    assert set(hits[0].cues) == {"cloud_drive", "download", "resource"}
    own = _find(matcher, "庆余年 网盘下载")[0]
    assert all(h.score < own.score for h in hits)


def test_page_title_with_news_words_only_gives_nothing(matcher: TitleMatcher) -> None:
    spots = [TextSpot("title", "娱乐新闻 - 剧评"), TextSpot("link", "庆余年")]
    assert matcher.find(spots) == []


def test_link_target_is_a_cue_for_a_link(matcher: TitleMatcher) -> None:
    hit = matcher.find([TextSpot("link", "庆余年", url="magnet:?xt=urn:btih:abcdef")])
    assert [h.cues for h in hit] == [("magnet",)]
    hit = matcher.find([TextSpot("link", "庆余年", url="https://pan.baidu.com/s/1xyz")])
    assert [(h.cues, h.url) for h in hit] == [(("cloud_drive",), "https://pan.baidu.com/s/1xyz")]
    assert matcher.find([TextSpot("link", "庆余年", url="https://example.com/")]) == []
    # A navigation link called "Home" is not a detection, wherever it points.
    assert matcher.find([TextSpot("link", "Home", url="https://x.example/download/")]) == []


def test_score_orders_places_and_cues(matcher: TitleMatcher) -> None:
    text = "庆余年 第1-40集 1080P 百度网盘 迅雷下载"
    scores = {w: _find(matcher, text, w)[0].score for w in titles.WHERES}
    assert scores["title"] > scores["heading"] > scores["link"] == scores["listing"]
    assert scores["listing"] > scores["body"]
    assert all(0.0 < s <= 1.0 for s in scores.values())
    assert _find(matcher, "庆余年 网盘", "link")[0].score < scores["link"]


def test_one_hit_per_work_and_spot_best_first(matcher: TitleMatcher) -> None:
    spots = [
        TextSpot("body", "庆余年 慶餘年 Joy of Life 网盘下载 庆余年"),
        TextSpot("title", "庆余年 全集 1080P 百度网盘 迅雷下载"),
        TextSpot("link", "Game of Thrones 下载"),
    ]
    hits = matcher.find(spots)
    assert [(h.work_id, h.where) for h in hits] == [(1, "title"), (2, "link"), (1, "body")]
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_a_name_holding_a_cue_word_is_not_its_own_cue(matcher: TitleMatcher) -> None:
    assert _find(matcher, "The Torrent", "heading") == []
    assert _works(_find(matcher, "The Torrent 1080p 下载", "heading")) == {9}


def test_bad_spot_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown spot kind"):
        TextSpot("footer", "x")


def test_names_without_letters_are_ignored_and_empty_matchers_find_nothing() -> None:
    assert TitleMatcher([]).find([TextSpot("title", "庆余年 下载")]) == []
    m = TitleMatcher([TitleEntry(1, "!!!", ("《》",))])
    assert m.find([TextSpot("title", "!!! 下载")]) == []


# --- quoting -----------------------------------------------------------------------------------


def test_hit_quotes_the_original_text(matcher: TitleMatcher) -> None:
    (hit,) = _find(matcher, "  《慶 餘 年》 全集 網盤下載  ")
    assert hit.text == "《慶 餘 年》 全集 網盤下載"
    assert hit.name == "庆余年"


def test_long_spot_is_quoted_around_the_name(matcher: TitleMatcher) -> None:
    text = "很" * 900 + "慶*餘*年 全集 網盤" + "好" * 900
    (hit,) = _find(matcher, text, "body")
    assert "慶*餘*年" in hit.text
    assert hit.text.startswith("…") and hit.text.endswith("…")
    assert len(hit.text) <= titles.QUOTE_CHARS + 2


# --- many works, bounded work ------------------------------------------------------------------


def test_many_works_at_once() -> None:
    rng = random.Random(7)
    alphabet = "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会"
    names: set[str] = set()
    while len(names) < 3000:
        names.add("".join(rng.choice(alphabet) for _ in range(rng.randint(4, 7))))
    entries = [TitleEntry(i, n) for i, n in enumerate(sorted(names))]
    m = TitleMatcher(entries)
    for entry in rng.sample(entries, 50):
        dodged = " ".join(entry.title)
        hits = m.find([TextSpot("link", f"【{dodged}】第1-40集 网盘下载")])
        assert entry.work_id in _works(hits)
        assert all(h.cues for h in hits)


def test_hostile_spot_and_page_stay_bounded(
    matcher: TitleMatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    folded: list[int] = []

    def counting_fold(s: str) -> FoldedText:
        folded.append(len(s))
        return fold_for_matching(s)

    monkeypatch.setattr(titles, "fold_for_matching", counting_fold)
    huge = "庆余年 下载 Home 家 " * 300_000  # ~5 MB
    hits = matcher.find([TextSpot("body", huge)])
    assert folded == [titles.MAX_SPOT_CHARS]
    assert [h.work_id for h in hits] == [1]
    assert len(hits[0].text) <= titles.QUOTE_CHARS + 2

    folded.clear()
    spots = [TextSpot("link", f"庆余年 第{i}集 下载") for i in range(100_000)]
    hits = matcher.find(spots)
    assert len(folded) == titles.MAX_SPOTS
    assert len(hits) == titles.MAX_SPOTS

    folded.clear()
    matcher.find([TextSpot("body", "x" * titles.MAX_SPOT_CHARS)] * 2000)
    assert sum(folded) <= titles.MAX_PAGE_CHARS


def test_names_repeated_in_a_spot_are_judged_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = TitleMatcher([TitleEntry(i, f"剧名{i:03d}号") for i in range(500)])
    calls = 0
    judge = TitleMatcher._judge

    def counting_judge(self: TitleMatcher, *args: object) -> TitleHit | None:
        nonlocal calls
        calls += 1
        return judge(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(TitleMatcher, "_judge", counting_judge)
    text = "下载 " + "".join(f"剧名{i:03d}号 " for i in range(500)) * 3
    hits = m.find([TextSpot("body", text)])
    assert calls <= titles.MAX_CANDIDATES_PER_SPOT
    assert 0 < len(hits) <= titles.MAX_CANDIDATES_PER_SPOT


# --- precision and recall on a generated set ---------------------------------------------------

_CN_WORKS = (
    "庆余年",
    "琅琊榜",
    "甄嬛传",
    "人民的名义",
    "流浪地球",
    "长安十二时辰",
    "三体",
    "狂飙",
    "繁花",
    "漫长的季节",
    "隐秘的角落",
    "觉醒年代",
    "山海情",
    "都挺好",
    "欢乐颂",
    "大江大河",
    "武林外传",
    "父母爱情",
    "士兵突击",
    "雪中悍刀行",
    "家",
    "英雄",
)
_EN_WORKS = (
    "Breaking Bad",
    "The Wandering Earth",
    "Nirvana in Fire",
    "Blossoms Shanghai",
    "The Long Season",
    "Home",
    "Up",
    "Friends",
)
_CUE_TAILS = (
    "第1-40集 百度网盘",
    "全集 迅雷下载",
    "1080P 高清 在线观看",
    "S01E03 magnet",
    "BluRay torrent",
    "更新至第20集 免费观看",
    "网盘资源 提取码 8a7b",
    "4K 蓝光原盘 出售 ¥25",
    "WEB-DL 下载",
    "全40集 打包下载",
)
_NEWS = (
    "《{}》是今年最受好评的作品，演员们的表现可圈可点。",
    "{}的导演在采访中谈到了创作过程。",
    "We loved {} and its cast; our review is below.",
    "{} 剧情解析：第12集埋下的伏笔",
    "{} trailer breaks records",
    "粉丝热议{}大结局，收视创新高",
)
_SENTENCES = (
    "I went home early and started the download of the new update.",
    "Welcome home, friends! Download the app to get coupons.",
    "Wake up, download your files and back them up before the update.",
    "大家回家之后记得打开网盘备份照片。",
    "我心中的英雄是我的父亲，他给我下载了很多资源。",
    "家里网速太慢，下载一个文件要半天。",
)


@functools.cache
def _s2t() -> Callable[[str], str]:
    import opencc

    convert: Callable[[str], str] = opencc.OpenCC("s2t").convert
    return convert


_DODGES: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    " ".join,
    "*".join,
    "\u200b".join,
    lambda s: f"《{s}》",
    lambda s: f"【{s}】",
    lambda s: _s2t()(s),  # noqa: PLW0108 (the converter is built on first use)
    lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),
    lambda s: s.upper(),
    lambda s: s.replace(" ", "."),
)


def _dodge(rng: random.Random, name: str) -> str:
    return rng.choice(_DODGES)(name)


def test_precision_and_recall_with_dodges() -> None:
    rng = random.Random(2024)
    works = [TitleEntry(i, n) for i, n in enumerate((*_CN_WORKS, *_EN_WORKS))]
    m = TitleMatcher(works)
    true_pos = false_pos = false_neg = 0
    for entry in works:
        for _ in range(12):
            tail = rng.choice(_CUE_TAILS)
            text = f"{_dodge(rng, entry.title)} {tail}"
            where = rng.choice(("title", "heading", "link", "listing"))
            found = _works(m.find([TextSpot(where, text)]))
            true_pos += entry.work_id in found
            false_neg += entry.work_id not in found
            false_pos += len(found - {entry.work_id})
        for template in _NEWS:
            found = _works(m.find([TextSpot("body", template.format(entry.title))]))
            false_pos += len(found)
    for sentence in _SENTENCES:
        for where in titles.WHERES:
            false_pos += len(m.find([TextSpot(where, sentence)]))
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    assert precision >= 0.98, (precision, false_pos)
    assert recall >= 0.95, (recall, false_neg)
