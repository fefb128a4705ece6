"""``jianwang users``, ``authorities`` and ``cases`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enforcement_world import build_world, detect
from jianwang.cli.main import run
from jianwang.db import transaction
from jianwang.db.models import DetectionStatus


def jw(data: Path, *args: str) -> int:
    return run(["--data-dir", str(data), *args])


def _seed(data: Path) -> None:
    """The enforcement world, with two confirmed copies of a film on the Guangdong pirate site."""
    world = build_world(data / "jianwang.db")
    with transaction(world.factory) as s:
        for _ in range(2):
            detect(s, site_name="pirate", title="Film A", status=DetectionStatus.CONFIRMED)
    world.close()


def test_cases_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _seed(data)
    assert (
        jw(data, "authorities", "add", "Shenzhen", "--level", "municipal", "--region", "CN-44-03")
        == 0
    )
    assert jw(data, "users", "add", "ana", "--role", "officer", "--authority", "Guangdong") == 0
    assert jw(data, "users", "add", "bo", "--role", "officer", "--authority", "Guangdong") == 0
    assert jw(data, "users", "add", "sz", "--role", "officer", "--authority", "Shenzhen") == 0
    capsys.readouterr()

    assert jw(data, "users", "add", "xi", "--role", "officer") == 2
    assert "needs --authority" in capsys.readouterr().err

    assert (
        jw(data, "cases", "open", "--site", "pirate", "--as", "ana", "--reason", "two copies") == 0
    )
    capsys.readouterr()
    assert jw(data, "cases", "list", "--json") == 0
    cases = json.loads(capsys.readouterr().out)
    assert len(cases) == 1
    assert {"id", "number", "state", "site"} <= set(cases[0])
    assert cases[0]["state"] == "lead" and cases[0]["site"] == "pirate"
    assert cases[0]["detections"] == 2
    number = cases[0]["number"]

    # An illegal step: one line naming what is allowed next, exit code 2, nothing changed.
    assert jw(data, "cases", "move", number, "decided", "--as", "ana", "--reason", "r") == 2
    err = capsys.readouterr().err
    assert "cannot move to decided" in err and "allowed next: screening, rejected" in err
    # A user without the right: exit code 77.
    assert jw(data, "cases", "move", number, "screening", "--as", "viewer", "--reason", "r") == 77
    assert "may not case" in capsys.readouterr().err
    # An officer of a city outside the site's (CN-44-01): refused too.
    assert jw(data, "cases", "move", number, "screening", "--as", "sz", "--reason", "r") == 77
    assert "outside CN-44-03" in capsys.readouterr().err
    assert jw(data, "cases", "move", number, "screening", "--as", "ana", "--reason", "r") == 0
    assert "now screening" in capsys.readouterr().out
    assert (
        jw(data, "cases", "assign", number, "--officer", "ana", "--officer", "bo", "--as", "ana")
        == 0
    )
    assert jw(data, "cases", "move", number, "filed", "--as", "bo", "--reason", "grounds") == 0
    assert jw(data, "cases", "measures", number, "--clicks", "60000", "--as", "ana", "--json") == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(out)["referral_flags"] == ["clicks 60000 reaches the threshold 50000"]
    assert jw(data, "cases", "move", number, "investigating", "--as", "ana", "--reason", "r") == 0
    assert (
        jw(data, "cases", "move", number, "advance_notice", "--as", "ana", "--reason", "r",
           "--measures", "fine", "--fine", "-5")
        == 2
    )  # fmt: skip
    assert "cannot be negative" in capsys.readouterr().err
    assert jw(data, "cases", "show", number, "--json") == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["state"] == "investigating" and detail["proposed_fine"] is None
    assert [e["to"] for e in detail["events"]] == ["lead", "screening", "filed", "investigating"]
    assert "advance_notice" in detail["allowed_next"]
    assert jw(data, "cases", "list", "--state", "nonsense") == 2
