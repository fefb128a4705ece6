"""The literature benchmark end to end on a small corpus of synthetic novels it writes itself."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from jianwang.bench.text import TRANSFORMS, run_text_bench
from jianwang.bench.text.plan import Chapter, cut_chapters, plan_queries
from jianwang.bench.text.run import language
from jianwang.cli.main import run
from jianwang.media.synth import synth_prose

REQUIRED = (
    "recall",
    "false_positive_rate",
    "span_error_chars",
    "mb_per_s_per_core",
    "index_bytes_per_mb",
    "peer",
    "checks",
    "seed",
)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four English and four Chinese novels (some GBK-encoded), listed in a MANIFEST."""
    root = tmp_path_factory.mktemp("corpus")
    rows = []
    for lang in ("en", "zh"):
        (root / "text" / lang).mkdir(parents=True)
        for k in range(4):
            body = "\n\n".join(synth_prose(500 + 10 * k + len(lang), lang=lang, n_chapters=3))
            path = root / "text" / lang / f"novel{k}.txt"
            encoding = "gb18030" if lang == "zh" and k % 2 else "utf-8"
            path.write_bytes(body.encode(encoding))
            rows.append({"file": f"text/{lang}/novel{k}.txt", "kind": f"text-{lang}",
                         "duration_s_or_chars": len(body)})  # fmt: skip
    with (root / "MANIFEST.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["file", "kind", "duration_s_or_chars"])
        writer.writeheader()
        writer.writerows(rows)
    return root


def test_chapters_are_cut_at_paragraph_ends_within_bounds() -> None:
    text = "\n\n".join(synth_prose(7, n_chapters=4, chapter_chars=4000))
    chapters = cut_chapters(text, np.random.default_rng(1))
    assert len(chapters) >= 3
    assert all(1500 <= len(c) <= 9000 for c in chapters)
    assert "".join(chapters).replace("\n", "") == text.replace("\n", "")


def test_queries_carry_what_they_copy() -> None:
    zh = synth_prose(3, lang="zh", n_chapters=2)
    chapters = [Chapter(i, "z.txt", "zh", i, body) for i, body in enumerate(zh)]
    plan = plan_queries(chapters, [("n.txt", "en", synth_prose(4, n_chapters=1)[0])], seed=1)
    kinds = {q.kind for q in plan}
    assert kinds == {*TRANSFORMS, "negative"}
    joined = next(q for q in plan if q.kind == "joined")
    assert joined.expected == (0, 1) and joined.html
    excerpt = next(q for q in plan if q.kind == "excerpt_500")
    ((start, end),) = excerpt.ref_spans
    assert zh[0][start:end] == excerpt.served and end - start == 500
    assert language(zh[0]) == "zh" and language("Plain English prose.") == "en"
    assert next(q for q in plan if q.kind == "negative").expected == ()


def test_run_text_bench_on_a_small_corpus(corpus: Path) -> None:
    result = run_text_bench(corpus, seed=3)
    doc = result.to_json()
    assert all(key in doc for key in REQUIRED)
    assert len(result.negatives) == 2  # a quarter of each language, at least one
    for name in TRANSFORMS:
        assert doc["recall"][name] >= 0.95, name
    assert doc["false_positive_rate"] == 0.0
    assert doc["span_error_chars"] < 50
    assert doc["mb_per_s_per_core"] > 0
    peer = doc["peer"]["minhash_lsh"]
    assert peer["recall"]["excerpt_500"] < doc["recall"]["excerpt_500"]
    assert json.loads(json.dumps(doc)) == doc


def test_cli_writes_json_and_refuses_a_missing_corpus(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "text.json"
    assert run(["bench", "text", "--corpus", str(corpus), "--out", str(out), "--quick"]) == 0
    assert json.loads(out.read_text())["benchmark"] == "text"
    assert run(["bench", "text", "--corpus", str(tmp_path / "nope"), "--out", str(out)]) == 2
