"""Sites, sweeps, detections and identify-by-URL through the CLI, against real local sites."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from jianwang.cli.main import run
from jianwang.media.transform import Transform, apply_transform
from jianwang.monitoring.discover import parse_page
from jianwang.sandbox.sites import SiteItem, SiteSpec, run_sandbox

from media_factory import chapter, song


def jw(data: Path, *args: str) -> int:
    return run(["--data-dir", str(data), *args])


def test_sweep_detect_and_identify_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sandbox listens on 127.0.0.1: the test allowlists it explicitly, as an operator would.
    monkeypatch.setenv("JIANWANG_ALLOW_PRIVATE_HOSTS", "true")
    data = tmp_path / "data"
    ref = song(tmp_path / "Anthem.m4a", seed=51)
    copy = apply_transform(
        ref,
        tmp_path / "anthem-copy.mp3",
        Transform(start_s=3.0, duration_s=12.0, audio_bitrate=64_000),
    )
    other = song(tmp_path / "other.m4a", seed=52, seconds=12)
    assert (
        jw(
            data,
            "works",
            "add",
            "--title",
            "Anthem",
            "--kind",
            "music",
            "--rights-holder",
            "Label",
            "--reference",
            str(ref),
        )
        == 0
    )
    specs = [
        SiteSpec(
            name="tunes",
            kind="music",
            title="Tunes",
            items=[
                SiteItem(title="Anthem (copy)", kind="audio", path=copy),
                SiteItem(title="Something else", kind="audio", path=other),
            ],
        )
    ]
    server = run_sandbox(specs, tmp_path / "sites")
    try:
        base = server.base_url("tunes")
        assert (
            jw(data, "sites", "add", "--name", "tunes", "--kind", "music", "--seed", base + "/")
            == 0
        )
        capsys.readouterr()
        assert jw(data, "monitor", "run", "--json") == 0
        sweep = json.loads(capsys.readouterr().out)
        assert sweep["site"] == "tunes" and sweep["captures_new"] == 2
        assert sweep["detections"] == 1 and sweep["errors"] == []

        assert jw(data, "detections", "list", "--json") == 0
        detections = json.loads(capsys.readouterr().out)
        # far above the audio matcher's auto-confirm band
        assert [(d["work"], d["status"]) for d in detections] == [("Anthem", "confirmed")]
        assert detections[0]["ref_start"] == pytest.approx(3.0, abs=1.0)

        # A second sweep finds the same files unchanged (conditional requests): nothing new,
        # nothing transferred again.
        assert jw(data, "monitor", "run", "--site", "tunes", "--json") == 0
        again = json.loads(capsys.readouterr().out)
        assert again["captures_new"] == 0 and again["media_unchanged"] == 2

        assert jw(data, "identify", detections[0]["url"], "--json") == 0
        found = json.loads(capsys.readouterr().out)
        assert [m["work"] for m in found["matches"]] == ["Anthem"]
    finally:
        server.stop()

    assert jw(data, "sites", "add", "--name", "gone", "--kind", "music", "--seed", base + "/") == 0
    capsys.readouterr()
    assert jw(data, "monitor", "run", "--site", "gone") == 1
    assert "no page could be fetched from: gone" in capsys.readouterr().err


def test_sandbox_serve_serves_named_files_until_interrupted(tmp_path: Path) -> None:
    text = chapter(tmp_path / "chapter-one.txt", seed=61, lang="en", chars=1500)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jianwang",
            "--data-dir",
            str(tmp_path / "data"),
            "sandbox",
            "serve",
            "--novel",
            str(text),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().split()
        assert first[0] == "pirate-novels" and first[1].startswith("http://127.0.0.1:")
        assert "press Ctrl-C" in proc.stdout.readline()
        # The chapter's words are served a few links below the site's front page.
        snippet = text.read_text(encoding="utf-8").split("\n")[0][:40]
        pages, seen, served = [first[1]], set(), False
        while pages and not served and len(seen) < 20:
            url = pages.pop(0)
            seen.add(url)
            page = httpx.get(url, timeout=10)
            assert page.status_code == 200
            served = snippet in page.text
            links = parse_page(url, page.content).links
            # Only this sandbox site: its pages also link to (fictitious) outside ad hosts.
            pages += [u for u in links if u.startswith(first[1]) and u not in seen]
        assert served
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_monitor_start_sweeps_scheduled_sites_and_stops_on_sigterm(tmp_path: Path) -> None:
    specs = [
        SiteSpec(
            name="novels",
            kind="literature",
            title="Novels",
            items=[
                SiteItem("第一章", "text", text=chapter(tmp_path / "c.txt", seed=71).read_text())
            ],
        )
    ]
    server = run_sandbox(specs, tmp_path / "sites")
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "JIANWANG_ALLOW_PRIVATE_HOSTS": "true"}
    base = [sys.executable, "-m", "jianwang", "--data-dir", str(data)]
    try:
        add = [*base, "sites", "add", "--name", "novels", "--kind", "literature"]
        add += ["--seed", server.base_url("novels") + "/", "--schedule", "1h"]
        subprocess.run(add, check=True, env=env, capture_output=True, timeout=60)
        proc = subprocess.Popen(
            [*base, "monitor", "start", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert proc.stdout is not None
            sweep = json.loads(proc.stdout.readline())  # the site is due at once: never swept
            assert sweep["site"] == "novels" and sweep["pages"] >= 1
            assert not sweep["interrupted"]
            proc.send_signal(signal.SIGTERM)  # now idle until the site is due again
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    finally:
        server.stop()
