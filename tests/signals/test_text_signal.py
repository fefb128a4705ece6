"""Text winnowing: reposted chapters are found and localised; unrelated prose is not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import MediaError
from jianwang.index import HashIndex
from jianwang.matching import match
from jianwang.signals.example_media import pirate_page, prose_chars, reflow, to_traditional
from jianwang.signals.text import TextWinnow, kgram_hashes, winnow


@pytest.fixture(scope="module")
def signal() -> TextWinnow:
    return TextWinnow()


@pytest.fixture(scope="module")
def chapters() -> list[str]:
    return [prose_chars(300 + i, 3000, lang="zh" if i % 2 else "en") for i in range(20)]


@pytest.fixture(scope="module")
def index(signal: TextWinnow, chapters: list[str]) -> HashIndex:
    idx = signal.new_index()
    for i, text in enumerate(chapters):
        signal.add_to_index(idx, i, signal.fingerprint_decoded(text))
    assert isinstance(idx, HashIndex)
    return idx


def _reference_hash(gram: str) -> int:
    """Plain-Python statement of the hash: polynomial over code points mod 2**64, SplitMix64."""
    mask = 2**64 - 1
    h = 0
    for ch in gram:
        h = (h * 0x100000001B3 + ord(ch)) & mask
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & mask
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & mask
    return h ^ (h >> 31)


def test_hashes_are_fixed_by_definition_not_by_the_process() -> None:
    # Python's hash() is salted per process; ours must equal this independent statement.
    text = "abcdefghijklm汉字测试一二三"
    got = kgram_hashes(text, 12).tolist()
    assert got == [_reference_hash(text[i : i + 12]) for i in range(len(text) - 11)]
    assert kgram_hashes("short", 12).size == 0


def test_winnowing_guarantee() -> None:
    rng = np.random.default_rng(0)
    k, w = 12, 8
    for trial in range(20):
        shared = "".join(rng.choice(list("abcdefghij"), w + k - 1))
        a = "".join(rng.choice(list("klmnop"), 40 + trial)) + shared + "qrs" * 10
        b = "tuv" * (trial + 3) + shared + "".join(rng.choice(list("wxyz"), 30))
        ha, hb = kgram_hashes(a, k), kgram_hashes(b, k)
        assert np.intersect1d(ha[winnow(ha, w)], hb[winnow(hb, w)]).size >= 1


def test_pirate_page_is_found_and_localised(
    signal: TextWinnow, chapters: list[str], index: HashIndex, tmp_path: Path
) -> None:
    path = tmp_path / "chapter.html"
    path.write_bytes(pirate_page(chapters[5], seed=1).encode("gb18030"))
    found = match(signal, index, signal.fingerprint(path))
    assert [m.item_id for m in found] == [5]
    assert found[0].coverage is not None and found[0].coverage > 0.9
    assert found[0].ref_start < 30 and found[0].ref_end > len(chapters[5]) - 30


def test_traditional_and_reflowed_copies_of_chinese(
    signal: TextWinnow, chapters: list[str], index: HashIndex
) -> None:
    for copy in (to_traditional(chapters[7]), reflow(chapters[7]), reflow(chapters[7], 80)):
        found = match(signal, index, signal.fingerprint_decoded(copy))
        assert [m.item_id for m in found] == [7]
        assert found[0].coverage is not None and found[0].coverage > 0.9


@pytest.mark.parametrize("item", [2, 3])
def test_500_character_excerpt_maps_back_to_original_characters(
    signal: TextWinnow, chapters: list[str], index: HashIndex, item: int
) -> None:
    start = 1234
    excerpt = chapters[item][start : start + 500]
    query = "Some unrelated preamble, forum chatter and a link.\n" + excerpt + "\n谢谢分享"
    found = match(signal, index, signal.fingerprint_decoded(query))
    assert [m.item_id for m in found] == [item]
    m = found[0]
    offset = query.index(excerpt)
    assert m.query_start == pytest.approx(offset, abs=25)
    assert m.query_end == pytest.approx(offset + 500, abs=25)
    assert m.ref_start == pytest.approx(start, abs=25)
    assert m.ref_end == pytest.approx(start + 500, abs=25)
    # The reported reference span really is the excerpt's text.
    copied = chapters[item][int(m.ref_start) : int(m.ref_end)]
    assert copied in excerpt


def test_unrelated_texts_never_match(signal: TextWinnow, index: HashIndex) -> None:
    false_matches = []
    for k in range(60):
        text = prose_chars(50_000 + k, 2000, lang="zh" if k % 2 else "en")
        false_matches += match(signal, index, signal.fingerprint_decoded(text))
    assert false_matches == []


def test_two_chapters_in_one_page_are_both_reported(
    signal: TextWinnow, chapters: list[str], index: HashIndex
) -> None:
    found = match(signal, index, signal.fingerprint_decoded(chapters[1] + "\n" + chapters[4]))
    assert sorted(m.item_id for m in found) == [1, 4]


def test_empty_and_bad_inputs(signal: TextWinnow, index: HashIndex, tmp_path: Path) -> None:
    assert signal.fingerprint_decoded("").empty
    assert match(signal, index, signal.fingerprint_decoded("，。!?")) == []
    with pytest.raises(TypeError, match="str"):
        signal.fingerprint_decoded(b"bytes")
    with pytest.raises(MediaError, match=r"nope\.txt"):
        signal.fingerprint(tmp_path / "nope.txt")
    gbk = tmp_path / "chapter.txt"
    gbk.write_bytes("\ufeff".encode() + "第一章\n".encode() + b"")
    assert signal.fingerprint(gbk).empty
