import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from serving.batch_job import BatchError, run_batch
from training.synth import write_synth

from conftest import REPO


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    return write_synth(tmp_path_factory.mktemp("dump") / "comments.jsonl", 3000, 30, bad_fraction=0.01)


def rows(folder: Path) -> list[dict]:
    return [r for part in sorted(folder.glob("part-*.parquet")) for r in pq.read_table(part).to_pylist()]


@pytest.fixture(scope="module")
def uninterrupted(dump, tiny_model, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("batch") / "out"
    run_batch(dump, out, model_dir=tiny_model, run_date="2026-11-24", chunk_rows=100, workers=1, progress=False)
    return out


def test_every_row_is_scored_or_rejected_once(dump, uninterrupted):
    manifest = json.loads((uninterrupted / "_MANIFEST.json").read_text())
    scored = rows(uninterrupted)
    rejects = [json.loads(line) for f in sorted(uninterrupted.glob("rejects-*.jsonl")) for line in f.open()]
    assert manifest["input_rows"] == 3000
    assert manifest["output_rows"] == len(scored) and manifest["rejected_rows"] == len(rejects) > 0
    assert len(scored) + len(rejects) == 3000
    assert len({r["id"] for r in scored}) == len(scored)
    assert all(r["reason"] and r["line"] for r in rejects)
    first = scored[0]
    assert first["run_date"] == "2026-11-24" and first["model_name"] == "tiny" and first["note_id"]
    assert set(first["intent_scores"]) == {"ask_link", "ask_product", "ask_price", "want_buy", "none", "spam"}


def test_rerunning_a_finished_job_changes_nothing(dump, uninterrupted, tiny_model):
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in uninterrupted.iterdir()}
    run_batch(dump, uninterrupted, model_dir=tiny_model, chunk_rows=100, workers=1, progress=False)
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in uninterrupted.iterdir()}
    assert before == after


def test_output_of_another_run_is_refused(dump, uninterrupted, tiny_model):
    with pytest.raises(BatchError, match="another run"):
        run_batch(dump, uninterrupted, model_dir=tiny_model, chunk_rows=50, workers=1, progress=False)
    with pytest.raises(BatchError, match="started for date"):
        run_batch(dump, uninterrupted, model_dir=tiny_model, chunk_rows=100, run_date="2026-01-01", progress=False)


def _done_count(out: Path) -> int:
    path = out / "_DONE.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_killed_three_times_then_resumed_equals_the_uninterrupted_run(dump, uninterrupted, tiny_model, tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "serving.cli", "batch", "-i", str(dump), "-o", str(out), "-m", str(tiny_model),
           "--date", "2026-11-24", "--chunk-rows", "100", "--workers", "2", "--no-progress"]
    rng = random.Random(3)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        start = _done_count(out)
        deadline = time.time() + 60
        # Kill at a random moment once this attempt has made progress (mid-run, mid-write).
        while proc.poll() is None and _done_count(out) <= start + rng.randint(0, 3) and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.random() * 0.05)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        assert _done_count(out) < 30, "the job finished before it could be killed; use a larger input"
    assert kills == 3
    time.sleep(0.5)
    orphans = subprocess.run(["pgrep", "-f", str(out)], capture_output=True, text=True).stdout.split()
    assert orphans == [], "workers of a killed job must die with it"
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert rows(out) == rows(uninterrupted)
    ours = json.loads((out / "_MANIFEST.json").read_text())
    theirs = json.loads((uninterrupted / "_MANIFEST.json").read_text())
    for key in ("input_rows", "output_rows", "rejected_rows", "chunks"):
        assert ours[key] == theirs[key]
    assert not list(out.glob(".*.tmp"))


def test_local_and_ray_engines_write_identical_rows(dump, uninterrupted, tiny_model, tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "ray"
    run_batch(dump, out, model_dir=tiny_model, engine="ray", run_date="2026-11-24", chunk_rows=100, workers=2,
              progress=False)
    assert rows(out) == rows(uninterrupted)


def test_csv_and_parquet_inputs(tiny_model, tmp_path):
    outs = []
    for suffix in ("csv", "parquet"):
        src = write_synth(tmp_path / f"d.{suffix}", 250, 5)
        out = tmp_path / f"out-{suffix}"
        manifest = run_batch(src, out, model_dir=tiny_model, run_date="2026-11-24", chunk_rows=60, workers=1,
                             progress=False)
        assert manifest["output_rows"] == 250 and manifest["chunks"] == 5
        outs.append(rows(out))
    assert outs[0] == outs[1]


def test_report_writes_tables_charts_and_html(uninterrupted, tmp_path):
    from serving.report import build_report

    page = build_report(uninterrupted, tmp_path / "report")
    html = page.read_text(encoding="utf-8")
    assert "Unmet demand" in html and "unmet_demand.png" in html
    for name in ("notes.csv", "unmet_demand.csv", "products.csv", "attributes.csv", "moderation.csv",
                 "intents.png", "top_products.png"):
        assert (tmp_path / "report" / name).stat().st_size > 0
