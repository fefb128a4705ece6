"""The command line as a person and a script use it: results, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jianwang.cli.main import run
from jianwang.media.synth import synth_prose
from jianwang.media.transform import Transform, apply_transform
from jianwang.signals.example_media import pirate_page, to_traditional

from media_factory import chapter, song


def jw(data: Path, *args: str) -> int:
    return run(["--data-dir", str(data), *args])


def test_help_states_the_default_data_dir(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--data-dir" in out and ".local/share/jianwang" in out.replace("\n", "")


def test_register_list_and_identify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    ref = song(tmp_path / "Spring.m4a", seed=31)
    assert (
        jw(
            data,
            "works",
            "add",
            "--title",
            "Spring",
            "--kind",
            "music",
            "--rights-holder",
            "Label",
            "--reference",
            str(ref),
            "--json",
        )
        == 0
    )
    added = json.loads(capsys.readouterr().out)
    assert added["title"] == "Spring" and added["assets"] == ["Spring.m4a"]

    assert jw(data, "works", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(w["title"], w["assets"], w["rights_holder"]) for w in listed] == [
        ("Spring", 1, "Label")
    ]

    excerpt = apply_transform(
        ref, tmp_path / "excerpt.mp3", Transform(start_s=6.0, duration_s=10.0, audio_bitrate=64_000)
    )
    other = song(tmp_path / "other.m4a", seed=32, seconds=12)
    assert jw(data, "identify", str(excerpt), str(other), "--json") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["input"] for line in lines] == [str(excerpt), str(other)]
    best = lines[0]["matches"][0]
    assert best["work"] == "Spring" and best["work_id"] == added["id"]
    assert best["signal"] == "audio.triplets"
    assert best["ref_start"] == pytest.approx(6.0, abs=1.0)
    assert best["query_end"] - best["query_start"] > 7
    assert set(best) >= {
        "work_id",
        "work",
        "asset",
        "signal",
        "score",
        "query_start",
        "query_end",
        "ref_start",
        "ref_end",
        "speed",
    }
    assert lines[1]["matches"] == []


def test_a_pirate_page_names_the_chapters_it_copies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    chapters = synth_prose(77, lang="zh", n_chapters=4, chapter_chars=2500)
    heads = [f"第{n}章 {title}" for n, title in zip("一二三四", "风雨雷电", strict=True)]
    novel = "《长夜》\n\n" + "\n\n".join(
        f"{head}\n\n{body}" for head, body in zip(heads, chapters, strict=True)
    )
    (tmp_path / "长夜.txt").write_text(novel, encoding="gb18030")
    add = ["works", "add", "--title", "长夜", "--kind", "literature", "--rights-holder", "出版社"]
    assert jw(data, *add, "--reference", str(tmp_path / "长夜.txt"), "--json") == 0
    capsys.readouterr()
    page = tmp_path / "page.html"
    page.write_text(pirate_page(to_traditional(chapters[2]), seed=3), encoding="utf-8")
    assert jw(data, "identify", str(page), "--json") == 0
    best = json.loads(capsys.readouterr().out)["matches"][0]
    assert best["work"] == "长夜" and best["chapter"] == "第三章 雷"
    assert 0.15 < best["coverage"] < 0.35  # one chapter of four
    start = novel.index(chapters[2])
    assert best["ref_start"] == pytest.approx(start, abs=50)
    assert best["ref_end"] == pytest.approx(start + len(chapters[2]), abs=50)
    assert jw(data, "identify", str(page)) == 0
    assert "第三章" in capsys.readouterr().out  # the table may wrap the heading


def test_text_works_and_licences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    folder = tmp_path / "novel"
    folder.mkdir()
    chapter(folder / "第一章.txt", seed=41)
    chapter(folder / "第二章.txt", seed=42)
    assert jw(data, "works", "import", str(folder), "--kind", "literature", "--json") == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert (
        jw(
            data,
            "sites",
            "add",
            "--name",
            "platform",
            "--kind",
            "platform",
            "--seed",
            "https://books.example/",
            "--json",
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["domains"] == ["books.example"]
    assert (
        jw(
            data,
            "licences",
            "add",
            "--work",
            "第一章",
            "--site",
            "platform",
            "--from",
            "2026-01-01",
            "--until",
            "2026-12-31",
            "--json",
        )
        == 0
    )
    capsys.readouterr()
    assert jw(data, "batches", "add", "--name", "2026-1", "--work", "第二章", "--json") == 0
    assert json.loads(capsys.readouterr().out)["works"] == 1
    assert jw(data, "licences", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["site"] == "platform"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            [
                "works",
                "add",
                "--title",
                "T",
                "--kind",
                "film",
                "--rights-holder",
                "R",
                "--reference",
                "{tmp}/nope.mp4",
            ],
            3,
            "nope.mp4: no such file",
        ),
        (
            [
                "works",
                "add",
                "--title",
                "T",
                "--kind",
                "film",
                "--rights-holder",
                "R",
                "--reference",
                "{tmp}/fake.mp4",
            ],
            5,
            "fake.mp4",
        ),
        (
            [
                "works",
                "add",
                "--title",
                "T",
                "--kind",
                "opera",
                "--rights-holder",
                "R",
                "--reference",
                "{tmp}/fake.mp4",
            ],
            2,
            "unknown work kind 'opera'",
        ),
        (
            ["sites", "add", "--name", "x", "--kind", "video", "--seed", "ftp://x/"],
            2,
            "invalid seed URL",
        ),
        (
            ["sites", "add", "--name", "x", "--kind", "video", "--seed", "http://["],
            2,
            "invalid seed URL",
        ),
        (
            ["sites", "add", "--name", "x", "--kind", "tv", "--seed", "http://x/"],
            2,
            "unknown site kind",
        ),
        (["works", "import", "{tmp}/nodir", "--kind", "music"], 3, "not a directory"),
        (["licences", "add", "--work", "none", "--site", "none"], 3, "no work titled 'none'"),
        (["works", "add", "--title", "T"], 2, "Missing option"),
    ],
)
def test_user_mistakes_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    (tmp_path / "fake.mp4").write_text("not a video at all")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert jw(tmp_path / "data", *argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_identify_reports_unreadable_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"\x00" * 1000)
    assert jw(tmp_path / "data", "identify", str(bad), "--json") == 1
    captured = capsys.readouterr()
    line = json.loads(captured.out)
    assert line["input"] == str(bad) and line["matches"] == [] and "broken.mp3" in line["error"]
    assert "Traceback" not in captured.err


def test_identify_refuses_forbidden_urls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Outside the sandbox, loopback and file: URLs are never fetched.
    assert (
        jw(
            tmp_path / "data",
            "identify",
            "http://127.0.0.1:9/x.mp4",
            "file:///etc/passwd",
            "--json",
        )
        == 1
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert all(line["matches"] == [] and line["error"] for line in lines)
    assert "127.0.0.1" in lines[0]["error"]


def test_demo_refuses_a_data_dir_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert jw(data, "works", "list", "--json") == 0
    capsys.readouterr()
    assert jw(data, "demo") == 2
    assert "already holds a Jianwang database" in capsys.readouterr().err
