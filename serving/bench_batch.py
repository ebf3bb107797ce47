"""`make bench-batch`: the batch job on synthetic dumps, local engine vs Ray engine, same run.

Each job runs in a fresh child process through a wrapper that reports the peak resident
memory of the largest process of that job (driver or worker). Prints one JSON line per job
and the Ray/local throughput ratio. A benchmark: nothing here gates CI.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from training.synth import write_synth

REPO = Path(__file__).resolve().parent.parent
WRAPPER = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)")


def run_job(src: Path, out: Path, engine: str, workers: int | None) -> dict:
    cmd = [sys.executable, "-m", "serving.cli", "batch", "-i", str(src), "-o", str(out), "--engine", engine,
           "--date", "2026-11-24", "--no-progress"]
    if workers:
        cmd += ["--workers", str(workers)]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"{engine} job failed: {done.stderr[-2000:]}")
    manifest = json.loads((out / "_MANIFEST.json").read_text())
    return {"engine": engine, "rows": manifest["input_rows"], "wall_seconds": round(wall, 1),
            "rows_per_second": round(manifest["input_rows"] / wall),
            "peak_rss_mib": round(int(done.stdout.strip().splitlines()[-1]) / 1024, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=100_000, help="second size, for memory growth")
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results = []
        for rows in (args.small_rows, args.rows):
            src = write_synth(tmp / f"dump-{rows}.parquet", rows, args.notes)
            engines = ("local",) if rows == args.small_rows else ("local", "ray")
            for engine in engines:
                result = run_job(src, tmp / f"out-{rows}-{engine}", engine, args.workers)
                results.append(result)
                print(json.dumps(result), flush=True)
    local = [r for r in results if r["rows"] == args.rows and r["engine"] == "local"][0]
    ray = [r for r in results if r["rows"] == args.rows and r["engine"] == "ray"][0]
    small = results[0]
    print(json.dumps({"ray_vs_local_throughput": round(ray["rows_per_second"] / local["rows_per_second"], 2),
                      "local_peak_rss_ratio_large_vs_small": round(local["peak_rss_mib"] / small["peak_rss_mib"], 2)}))


if __name__ == "__main__":
    main()
