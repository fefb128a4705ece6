"""The README stays true to the code: every command is documented, every documented one exists."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from jianwang.cli.main import app

README = Path(__file__).resolve().parent.parent / "README.md"


def _command_paths(group: object, prefix: tuple[str, ...] = ()) -> set[str]:
    paths: set[str] = set()
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            paths |= _command_paths(command, (*prefix, name))
        else:
            paths.add(" ".join((*prefix, name)))
    return paths


def test_cli_reference_lists_every_command() -> None:
    text = README.read_text(encoding="utf-8")
    reference = text.split("## CLI reference", 1)[1]
    documented = set()
    for line in reference.splitlines():
        found = re.match(r"\| `jianwang ([a-z][a-z -]*?)(?: [A-Z\[(-]|`)", line)
        if found:
            documented.add(found.group(1).strip())
    root = typer.main.get_command(app)
    assert documented == _command_paths(root)


def test_first_screen_gives_the_two_commands() -> None:
    first_screen = "\n".join(README.read_text(encoding="utf-8").splitlines()[:25])
    assert "make demo" in first_screen
    assert "make test" in first_screen
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
