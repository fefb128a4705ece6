"""``jianwang sandbox``: local streaming sites on 127.0.0.1 for trying Jianwang out."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from jianwang.cli.context import app_context
from jianwang.cli.signals import stop_on_signals, wait_until
from jianwang.errors import NotFoundError
from jianwang.pipeline.demo import build_media
from jianwang.sandbox.sites import SiteItem, SiteSpec, run_sandbox

log = logging.getLogger(__name__)

app = typer.Typer(
    help="Serve local pirate and licensed sites for tests and demos.", no_args_is_help=True
)

FileList = Annotated[list[Path] | None, typer.Option(help="Repeat for several files.")]


def specs_from_files(
    video: list[Path], music: list[Path], novel: list[Path], licensed: list[Path]
) -> list[SiteSpec]:
    """One site per kind of file the caller named, each file served as an item titled by name."""
    for path in [*video, *music, *novel, *licensed]:
        if not path.is_file():
            raise NotFoundError(f"{path}: no such file")
    specs = []
    if video:
        specs.append(
            SiteSpec(
                name="pirate-video",
                kind="video",
                title="Sandbox video site",
                items=[SiteItem(title=p.stem, kind="video", path=p) for p in video],
            )
        )
    if music:
        specs.append(
            SiteSpec(
                name="pirate-music",
                kind="music",
                title="Sandbox music site",
                items=[SiteItem(title=p.stem, kind="audio", path=p) for p in music],
            )
        )
    if novel:
        specs.append(
            SiteSpec(
                name="pirate-novels",
                kind="literature",
                title="Sandbox novel site",
                items=[
                    SiteItem(
                        title=p.stem,
                        kind="text",
                        text=p.read_text(encoding="utf-8", errors="replace"),
                    )
                    for p in novel
                ],
            )
        )
    if licensed:
        specs.append(
            SiteSpec(
                name="licensed-platform",
                kind="platform",
                title="Sandbox platform",
                items=[SiteItem(title=p.stem, kind="video", path=p) for p in licensed],
            )
        )
    return specs


@app.command("serve")
def serve(
    ctx: typer.Context,
    video: FileList = None,
    music: FileList = None,
    novel: FileList = None,
    licensed: FileList = None,
    port: Annotated[
        int, typer.Option("--port", help="First port; sites take consecutive ones (0: any free).")
    ] = 0,
) -> None:
    """Serve sandbox sites until interrupted; with no files, content is synthesised."""
    app_ctx = app_context(ctx)
    work_dir = Path(tempfile.mkdtemp(prefix="sandbox-", dir=_ensure(app_ctx.settings.data_dir)))
    if any([video, music, novel, licensed]):
        specs = specs_from_files(video or [], music or [], novel or [], licensed or [])
    else:
        specs = build_media(work_dir / "media", lambda m: log.info("%s", m)).specs
    ports = {spec.name: port + i for i, spec in enumerate(specs)} if port else None
    server = run_sandbox(specs, work_dir / "sites", ports=ports)
    stop = stop_on_signals()
    try:
        for spec in specs:
            typer.echo(f"{spec.name:20s} {server.base_url(spec.name)}/")
        typer.echo("serving on 127.0.0.1; press Ctrl-C to stop")
        wait_until(stop)
        typer.echo("stopping")
    finally:
        server.stop()


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
