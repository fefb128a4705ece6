"""``.torrent`` parsing: real-world layouts read right, hostile files refused quickly."""

from __future__ import annotations

import hashlib
import time

import pytest

from jianwang.errors import MediaError
from jianwang.monitoring.torrent import TorrentError, TorrentFile, parse_torrent

Value = int | bytes | str | list["Value"] | dict[str, "Value"] | dict[bytes, "Value"]


def bencode(value: Value, *, sort: bool = True) -> bytes:
    """A tiny encoder for fixtures (str is written as UTF-8)."""
    if isinstance(value, bool):
        raise TypeError("no booleans in bencode")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v, sort=sort) for v in value) + b"e"
    items = [(k.encode() if isinstance(k, str) else k, v) for k, v in value.items()]
    if sort:
        items.sort()
    return b"d" + b"".join(bencode(k) + bencode(v, sort=sort) for k, v in items) + b"e"


PIECES = hashlib.sha1(b"x").digest() * 3

SINGLE_INFO: dict[str, Value] = {
    "name": "流浪地球2.2023.2160p.mkv",
    "length": 12_345_678_901,
    "piece length": 4_194_304,
    "pieces": PIECES,
}
MULTI_INFO: dict[str, Value] = {
    "name": "三体 第一季",
    "piece length": 262_144,
    "pieces": PIECES,
    "private": 1,
    "files": [
        {"length": 1_000, "path": ["S01E01.mp4"]},
        {"length": 2_000, "path": ["Subs", "S01E01.chs.srt"]},
        {"length": 3, "path": [".pad", "3"], "attr": "p"},
        {"length": 4_000, "path": ["S01E02.mp4"]},
    ],
}


def torrent(info: dict[str, Value], **top: Value) -> bytes:
    return bencode({"info": info, **top})


def info_hash(info: dict[str, Value]) -> str:
    return hashlib.sha1(bencode(info)).hexdigest()


def test_a_single_file_torrent() -> None:
    data = torrent(
        SINGLE_INFO,
        announce="http://tracker.example/announce",
        comment="高清下载 www.pirate.example",
        **{"created by": "uTorrent/3.5", "creation date": 1_700_000_000},
    )
    parsed = parse_torrent(data)
    assert parsed.info_hash == info_hash(SINGLE_INFO)
    assert parsed.name == "流浪地球2.2023.2160p.mkv"
    assert parsed.files == (TorrentFile("流浪地球2.2023.2160p.mkv", 12_345_678_901),)
    assert parsed.total_size == 12_345_678_901
    assert parsed.piece_length == 4_194_304
    assert parsed.trackers == ("http://tracker.example/announce",)
    assert parsed.comment == "高清下载 www.pirate.example"
    assert parsed.created_by == "uTorrent/3.5"
    assert parsed.creation_date == 1_700_000_000
    assert not parsed.private and not parsed.v2 and parsed.info_hash_v2 is None
    assert parsed.warnings == ()


def test_a_multi_file_private_torrent_skips_padding_and_merges_trackers() -> None:
    data = torrent(
        MULTI_INFO,
        announce="udp://a.example:80/announce",
        **{
            "announce-list": [
                ["udp://a.example:80/announce", "udp://b.example:6969/announce"],
                ["http://c.example/announce"],
            ],
            "url-list": ["https://seed.example/files/"],
        },
    )
    parsed = parse_torrent(data)
    assert parsed.info_hash == info_hash(MULTI_INFO)
    assert parsed.private
    assert parsed.files == (
        TorrentFile("三体 第一季/S01E01.mp4", 1_000),
        TorrentFile("三体 第一季/Subs/S01E01.chs.srt", 2_000),
        TorrentFile("三体 第一季/S01E02.mp4", 4_000),
    )
    assert parsed.total_size == 7_000
    assert parsed.trackers == (
        "udp://a.example:80/announce",
        "udp://b.example:6969/announce",
        "http://c.example/announce",
    )
    assert parsed.web_seeds == ("https://seed.example/files/",)


def test_the_info_hash_is_over_the_bytes_as_written_even_with_unsorted_keys() -> None:
    info = {"pieces": PIECES, "name": "b", "length": 5, "piece length": 16_384}
    raw_info = bencode(info, sort=False)  # keys out of order, as some broken clients write
    data = b"d4:info" + raw_info + b"e"
    parsed = parse_torrent(data)
    assert parsed.info_hash == hashlib.sha1(raw_info).hexdigest()
    assert parsed.info_hash != info_hash(info)  # re-encoding would have given another hash
    assert any("out of order" in w for w in parsed.warnings)


def test_repeated_keys_are_tolerated_and_noted() -> None:
    raw_info = bencode(SINGLE_INFO)[:-1] + b"4:name5:againe"
    parsed = parse_torrent(b"d4:info" + raw_info + b"e")
    assert parsed.name == SINGLE_INFO["name"]  # the first value stands
    assert any("repeated" in w for w in parsed.warnings)
    assert parsed.info_hash == hashlib.sha1(raw_info).hexdigest()


def test_gbk_names_and_utf8_twins() -> None:
    gbk = {**SINGLE_INFO, "name": "天龙八部.rmvb".encode("gbk")}
    assert parse_torrent(torrent(gbk)).name == "天龙八部.rmvb"
    declared = {**SINGLE_INFO, "name": "射雕".encode("big5")}
    assert parse_torrent(torrent(declared, encoding="big5")).name == "射雕"
    twin = {**SINGLE_INFO, "name": b"\xff\xfe", "name.utf-8": "笑傲江湖"}
    assert parse_torrent(torrent(twin)).name == "笑傲江湖"
    junk = {**SINGLE_INFO, "name": b"ok\xff"}
    assert parse_torrent(torrent(junk)).name == "ok\ufffd"  # not GB18030 either: replaced


def test_a_v2_and_a_hybrid_torrent() -> None:
    tree: dict[str, Value] = {
        "Movie": {
            "a.mkv": {"": {"length": 10, "pieces root": b"r" * 32}},
            "extras": {"b.srt": {"": {"length": 5, "pieces root": b"s" * 32}}},
        }
    }
    pure = {"name": "Movie", "meta version": 2, "piece length": 16_384, "file tree": tree["Movie"]}
    parsed = parse_torrent(torrent(pure, **{"piece layers": {}}))
    assert parsed.v2
    assert parsed.info_hash_v2 == hashlib.sha256(bencode(pure)).hexdigest()
    assert parsed.files == (TorrentFile("Movie/a.mkv", 10), TorrentFile("Movie/extras/b.srt", 5))
    hybrid = {**MULTI_INFO, "meta version": 2, "file tree": tree["Movie"]}
    parsed = parse_torrent(torrent(hybrid))
    assert parsed.v2 and parsed.info_hash == info_hash(hybrid)
    assert len(parsed.files) == 3  # the v1 file list, padding left out


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"not a torrent", "unexpected byte"),
        (b"i42e", "not a bencoded dictionary"),
        (b"d4:infod4:name1:ae", "truncated"),
        (torrent(SINGLE_INFO)[:-7], "only 55 left"),
        (torrent(SINGLE_INFO)[:-1], "truncated dictionary"),
        (b"d4:infol", "truncated list"),
        (b"d4:info", "truncated"),
        (torrent(SINGLE_INFO) + b"garbage", "trailing data"),
        (torrent(SINGLE_INFO) + b"e", "trailing data"),
        (b"d4:infoi03ee", "leading zero"),
        (b"d4:infoi-0ee", "leading zero"),
        (b"d4:info04:abcde", "leading zero"),
        (b"d4:infoi12x4e", "not a number"),
        (b"d4:infoi" + b"9" * 500 + b"ee", "within"),
        (b"d4:info-5:abcdee", "negative string length"),
        (b"d4:info1073741824:abce", "only 4 left"),
        (b"d4:info99999999999999999999999:xe", "within"),
        (b"di1ei2ee", "key is not a string"),
        (b"d4:info" + b"l" * 100_000, "nested deeper than 64"),
        (b"d4:info" + b"d1:a" * 100_000, "nested deeper than 64"),
        (b"d4:infoi1ee", "no 'info' dictionary"),
        (b"d4:infodee", "no name"),
        (torrent({**SINGLE_INFO, "piece length": 0}), "piece length"),
        (torrent({**SINGLE_INFO, "length": -1}), "no valid length"),
        (torrent({k: v for k, v in SINGLE_INFO.items() if k != "length"}), "neither"),
        (torrent({**SINGLE_INFO, "pieces": b"x" * 21}), "whole number"),
        (torrent({k: v for k, v in SINGLE_INFO.items() if k != "pieces"}), "without 'pieces'"),
        (torrent({**MULTI_INFO, "files": [{"length": 1, "path": []}]}), "no valid path"),
        (torrent({**MULTI_INFO, "files": [{"length": 1, "path": [5]}]}), "no valid path"),
        (torrent({**MULTI_INFO, "files": [{"length": -3, "path": ["a"]}]}), "no valid length"),
        (torrent({**MULTI_INFO, "files": [5]}), "not a dictionary"),
        (torrent({**MULTI_INFO, "files": b"x"}), "not a list"),
    ],
)
def test_malformed_torrents_raise_a_clear_media_error(data: bytes, why: str) -> None:
    with pytest.raises(TorrentError, match=why) as caught:
        parse_torrent(data)
    assert isinstance(caught.value, MediaError)


def test_limits_on_size_files_and_values() -> None:
    data = torrent(SINGLE_INFO)
    with pytest.raises(TorrentError, match="larger than"):
        parse_torrent(data, max_bytes=len(data) - 1)
    many = {**MULTI_INFO, "files": [{"length": 1, "path": [f"{i}.mp4"]} for i in range(50)]}
    assert len(parse_torrent(torrent(many), max_files=50).files) == 50
    with pytest.raises(TorrentError, match="more than 49"):
        parse_torrent(torrent(many), max_files=49)
    flood = b"d4:infol" + b"i1e" * 200_000 + b"ee"  # values, not files: still bounded
    with pytest.raises(TorrentError, match="too many values"):
        parse_torrent(flood, max_files=1_000)


def test_hostile_torrents_fail_fast() -> None:
    hostile = [
        b"d4:info" + b"l" * 5_000_000,
        b"d4:infol" + b"le" * 4_000_000 + b"ee",
        b"d4:info" + b"9" * 5_000_000,
        b"d4:info4294967296:" + b"x" * 1_000,
    ]
    for data in hostile:
        started = time.monotonic()
        with pytest.raises(TorrentError):
            parse_torrent(data)
        assert time.monotonic() - started < 5


def test_a_large_real_shaped_torrent_parses_in_time() -> None:
    files = [
        {"length": 1_000_000 + i, "path": ["Season 1", f"Episode {i:05d}.mkv"]}
        for i in range(100_000)
    ]
    info = {"name": "Archive", "piece length": 1 << 22, "pieces": PIECES, "files": files}
    data = torrent(info)
    started = time.monotonic()
    parsed = parse_torrent(data)
    assert time.monotonic() - started < 10
    assert len(parsed.files) == 100_000
    assert parsed.info_hash == hashlib.sha1(bencode(info)).hexdigest()


def test_gbk_file_paths() -> None:
    info = {
        **MULTI_INFO,
        "name": "武侠".encode("gbk"),
        "files": [{"length": 5, "path": ["第一集".encode("gbk"), b"\xff\xfe.mkv"]}],
    }
    parsed = parse_torrent(torrent(info))
    assert parsed.files == (TorrentFile("武侠/第一集/\ufffd\ufffd.mkv", 5),)
