"""``jianwang sites``: credentials and concurrency set from the command line, values never shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jianwang.cli.main import run

SECRET = "s3cret-session"
TOKEN = "t0ken-value"


def jw(data: Path, *args: str) -> int:
    return run(["--data-dir", str(data), *args])


def test_credentials_and_concurrency_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    add = ["sites", "add", "--name", "club", "--kind", "video", "--seed", "http://club.example/"]
    assert jw(data, *add, "--cookie", f"sid={SECRET}", "--concurrency", "4", "--json") == 0
    assert json.loads(capsys.readouterr().out)["name"] == "club"

    assert jw(data, "sites", "list", "--json") == 0
    out = capsys.readouterr().out
    [row] = json.loads(out)
    assert (row["cookie_names"], row["header_names"], row["concurrency"]) == (["sid"], [], 4)
    assert SECRET not in out

    assert (
        jw(data, "sites", "set", "club", "--header", f"X-Token: {TOKEN}", "--cookie", "lang=zh")
        == 0
    )
    out = capsys.readouterr().out
    assert "cookies: lang, sid" in out and "headers: X-Token" in out
    assert SECRET not in out and TOKEN not in out

    assert jw(data, "sites", "set", "club", "--clear-credentials", "--concurrency", "1") == 0
    capsys.readouterr()
    assert jw(data, "sites", "show", "club", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["cookie_names"], shown["header_names"], shown["concurrency"]) == ([], [], 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--header", "Host: evil.example"], "cannot be set"),
        (["--header", "Content-Length: 0"], "cannot be set"),
        (["--header", "no colon here"], "Name: value"),
        (["--cookie", "novalue"], "NAME=VALUE"),
        (["--concurrency", "17"], "between 1 and 16"),
        (["--concurrency", "0"], "between 1 and 16"),
    ],
)
def test_bad_options_are_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    data = tmp_path / "data"
    add = ["sites", "add", "--name", "s", "--kind", "video", "--seed", "http://s.example/"]
    assert jw(data, *add, *args) == 2
    assert message in capsys.readouterr().err
    assert jw(data, "sites", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing half-registered


def test_setting_an_unknown_site_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert jw(tmp_path / "data", "sites", "set", "nowhere", "--concurrency", "2") == 3
    assert "nowhere" in capsys.readouterr().err
