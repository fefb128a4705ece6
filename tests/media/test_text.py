from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import MediaError
from jianwang.media import text as text_module
from jianwang.media.text import (
    chapter_headings,
    chapters_between,
    fold_for_matching,
    html_to_text,
    normalise_text,
    read_html_file,
    read_text_file,
)

CHAPTER = "第一章 風雪夜歸人\n\n　　他推開門，看見窗外的雪。「你回來了？」她問道。\n"


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5"])
def test_read_text_file_decodes_common_encodings(tmp_path: Path, codec: str) -> None:
    path = tmp_path / f"ch.{codec}.txt"
    text = CHAPTER if codec != "gb18030" else CHAPTER.replace("風", "风").replace("歸", "归")
    path.write_bytes((text * 20).encode(codec))
    assert read_text_file(path) == text * 20


def test_read_text_file_refuses_missing_and_binary(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"missing\.txt"):
        read_text_file(tmp_path / "missing.txt")
    binary = tmp_path / "movie.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(MediaError, match=r"movie\.txt.*binary"):
        read_text_file(binary)
    with pytest.raises(MediaError, match=r"movie\.txt"):
        read_html_file(binary)


def test_html_to_text_drops_furniture_and_keeps_paragraphs() -> None:
    html = """<html><head><title>t</title><script>var x = "SCRIPT";</script>
    <style>.a{}</style></head><body>
    <header>HEADER</header><nav><a>NAVLINK</a></nav>
    <div class="top-menu">MENU</div>
    <div id="content"><p>First  paragraph <b>bold</b> text.</p>
    <div class="ad-box">BUY NOW</div><p>Second paragraph.</p>after second</div>
    <aside>ASIDE</aside><div class="sidebar">SIDE</div><div id="comments">COMMENT</div>
    <form>FORM</form><footer>FOOTER</footer><noscript>NOSCRIPT</noscript>
    </body></html>"""
    text = html_to_text(html)
    for junk in ("SCRIPT", "HEADER", "NAVLINK", "MENU", "BUY", "ASIDE", "SIDE", "COMMENT",
                 "FORM", "FOOTER", "NOSCRIPT"):  # fmt: skip
        assert junk not in text
    assert text.splitlines()[0] == "First paragraph bold text."
    assert "Second paragraph." in text.splitlines()
    assert "after second" in text


def test_html_to_text_handles_bytes_and_garbage() -> None:
    page = "<html><body><p>簡體與繁體</p></body></html>"
    assert html_to_text(page.encode("big5"), encoding="big5") == "簡體與繁體"
    assert html_to_text(page.encode("utf-8")) == "簡體與繁體"
    assert html_to_text("") == ""
    assert html_to_text(b"\x00\xff\x00garbage") == ""
    assert isinstance(html_to_text("<<<>>> <p <div"), str)
    assert html_to_text("<div><span></span><br/></div>") == ""
    assert html_to_text('<?xml version="1.0" encoding="utf-8"?><p>x</p>') == "x"


def test_normalise_text() -> None:
    raw = "ＡＢＣ  full\u3000width\r\n\r\n\r\n\r\n  line two \rthree\t\tend"
    assert normalise_text(raw) == "ABC full width\n\nline two\nthree end"


def test_fold_for_matching_unifies_copies() -> None:
    simplified = "他推开门，看见窗外的雪。Hello, World!"
    traditional = "他推開門, 看見 窗外的雪……\nＨＥＬＬＯ　world"
    assert fold_for_matching(simplified).text == fold_for_matching(traditional).text
    assert fold_for_matching(simplified).text == "他推开门看见窗外的雪helloworld"


def test_fold_offsets_point_at_original_characters() -> None:
    original = "《漢字》 ﬁne ①é\u0301x"
    folded = fold_for_matching(original)
    assert folded.text == "汉字fine1ex"  # accents come off, precomposed or combining alike
    assert fold_for_matching("cafe\u0301 café").text == "cafecafe"
    assert len(folded.offsets) == len(folded.text)
    assert folded.offsets.dtype == np.int64
    assert [original[i] for i in folded.offsets] == ["漢", "字", "ﬁ", "ﬁ", "n", "e", "①", "é", "x"]
    assert np.all(np.diff(folded.offsets) >= 0)


def test_fold_empty_and_punctuation_only() -> None:
    assert fold_for_matching("").text == ""
    folded = fold_for_matching("，。！？ —— \n")
    assert folded.text == "" and folded.offsets.size == 0


def test_chapter_headings_and_the_chapters_a_span_falls_in() -> None:
    text = "书名\n第一章 风起\n正文……\n\n  第十二回　云涌\n更多\nCHAPTER IV. The End\nx"
    heads = chapter_headings(text)
    assert [h for _, h in heads] == ["第一章 风起", "第十二回　云涌", "CHAPTER IV. The End"]
    assert chapters_between(heads, heads[0][0] + 3, heads[0][0] + 6) == "第一章 风起"
    assert chapters_between(heads, heads[0][0], len(text)) == "第一章 风起 – CHAPTER IV. The End"
    assert chapters_between(heads, 0, 2) is None
    assert chapter_headings("no headings here\nchapter and verse") == []


def test_a_page_with_a_wrong_charset_is_still_read(tmp_path: Path) -> None:
    body = "他推开门，看见窗外的雪。" * 20
    page = f"<html><head><meta charset='utf-8'></head><body><p>{body}</p></body></html>"
    path = tmp_path / "gbk.html"
    path.write_bytes(page.encode("gbk"))  # declares UTF-8, is GBK
    assert read_html_file(path) == normalise_text(body)  # NFKC: full-width commas fold


def test_pages_of_only_furniture_give_no_text() -> None:
    page = (
        "<html><body><header>站点</header><nav><a href='/'>首页</a></nav>"
        "<div class='sidebar'>推荐</div><footer>©</footer></body></html>"
    )
    assert html_to_text(page) == ""


def test_huge_text_files_are_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_module, "MAX_TEXT_BYTES", 1000)
    path = tmp_path / "dump.html"
    path.write_text("<p>" + "字" * 2000 + "</p>", encoding="utf-8")
    with pytest.raises(MediaError, match=r"dump\.html: .*larger than"):
        read_html_file(path)
