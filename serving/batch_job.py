"""`buyintent batch`: score a day's comment dump into Parquet, exactly once, resumable.

Layout of the output folder:
  part-<chunk>.parquet      scored rows of one input chunk (written to a temporary name, then renamed)
  rejects-<chunk>.jsonl     rows of that chunk that could not be scored, with file, line and reason
  _RUN.json                 what this folder is the output of (input, model, chunk size, date)
  _DONE.jsonl               one line per finished chunk, appended and fsynced after its files are in place
  _MANIFEST.json            counts, timings, model and config hash, written when every chunk is done
A chunk's files are complete before it is recorded done, and a chunk redone after a crash
rewrites the same files with the same values, so a run killed at any moment and started
again ends with every input row exactly once.
"""
from __future__ import annotations

import json
import os
import time
from datetime import date as date_cls, datetime, timezone
from pathlib import Path
from typing import Callable

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from models.artifact import read_manifest
from models.labels import INTENTS
from models.predictor import Predictor
from serving.batch_input import BatchRow, ChunkSpec, plan_chunks, read_chunk
from serving.rows import Reject

MENTION = pa.struct([("text", pa.string()), ("type", pa.string()), ("start", pa.int32()), ("end", pa.int32())])
OUTPUT_SCHEMA = pa.schema([
    ("id", pa.string()), ("note_id", pa.string()), ("intent", pa.string()),
    ("intent_scores", pa.struct([(label, pa.float64()) for label in INTENTS])),
    ("purchase_intent", pa.float64()), ("diversion", pa.bool_()), ("diversion_score", pa.float64()),
    ("mentions", pa.list_(MENTION)), ("model", pa.struct([("name", pa.string()), ("version", pa.string())])),
    ("model_name", pa.string()), ("model_version", pa.string()), ("run_date", pa.string()),
    ("note_title", pa.string()), ("note_domain", pa.string()), ("likes", pa.int64()), ("created_at", pa.string()),
])


class BatchError(RuntimeError):
    """The job cannot run as asked (output folder of another run, bad date)."""


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def score_chunk(predictor: Predictor, spec: ChunkSpec, out_dir: Path, run_date: str,
                batch_size: int = 1024) -> dict:
    """Score one chunk and put its part (and rejects) file in place atomically."""
    started = time.perf_counter()
    rows: list[BatchRow] = []
    rejects: list[Reject] = []
    for item in read_chunk(spec):
        (rejects if isinstance(item, Reject) else rows).append(item)
    records = []
    for i in range(0, len(rows), batch_size):
        batch = rows[i:i + batch_size]
        preds = predictor.predict([r.text for r in batch], [r.extra["note_title"] for r in batch])
        for r, p in zip(batch, preds):
            records.append({"id": r.id, "note_id": r.note_id, **p, "model_name": p["model"]["name"],
                            "model_version": p["model"]["version"], "run_date": run_date, **r.extra})
    table = pa.Table.from_pylist(records, schema=OUTPUT_SCHEMA)
    part = out_dir / f"part-{spec.id}.parquet"
    tmp = out_dir / f".part-{spec.id}.parquet.tmp"
    pq.write_table(table, tmp)
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, part)
    reject_file = out_dir / f"rejects-{spec.id}.jsonl"
    if rejects:
        lines = [orjson.dumps({"file": spec.path, **r.to_dict()}) + b"\n" for r in rejects]
        _atomic_write_bytes(reject_file, b"".join(lines))
    else:
        reject_file.unlink(missing_ok=True)
    return {"chunk": spec.id, "rows": len(rows) + len(rejects), "scored": len(rows), "rejected": len(rejects),
            "seconds": round(time.perf_counter() - started, 3)}


def _read_done(path: Path) -> dict[str, dict]:
    done = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a kill mid-write: that chunk is simply redone
            done[record["chunk"]] = record
    return done


class DoneLog:
    def __init__(self, path: Path):
        self.path = path
        self.done = _read_done(path)

    def record(self, result: dict) -> None:
        with self.path.open("ab") as fh:
            fh.write(orjson.dumps(result) + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.done[result["chunk"]] = result


def _run_identity(input_path: Path, model_dir: Path, chunk_rows: int, run_date: str | None, out: Path) -> dict:
    manifest, _ = read_manifest(model_dir)
    identity = {"input": str(input_path.resolve()), "model": {"name": manifest["name"], "version": manifest["version"],
                "config_hash": manifest.get("config_hash"), "path": str(model_dir.resolve())},
                "chunk_rows": chunk_rows}
    run_file = out / "_RUN.json"
    if run_file.exists():
        previous = json.loads(run_file.read_text(encoding="utf-8"))
        if {k: previous.get(k) for k in identity} != identity:
            raise BatchError(f"{out} holds the output of another run ({run_file}); use a new output folder")
        if run_date and run_date != previous["date"]:
            raise BatchError(f"{out} was started for date {previous['date']}, not {run_date}")
        return previous
    if run_date:
        try:
            date_cls.fromisoformat(run_date)
        except ValueError as exc:
            raise BatchError(f"--date {run_date!r}: expected YYYY-MM-DD") from exc
    identity["date"] = run_date or datetime.now(timezone.utc).date().isoformat()
    _atomic_write_bytes(run_file, json.dumps(identity, ensure_ascii=False, indent=2).encode() + b"\n")
    return identity


def run_batch(input_path: str | Path, output_dir: str | Path, *, model_dir: Path, engine: str = "local",
              run_date: str | None = None, chunk_rows: int = 20_000, workers: int | None = None,
              ray_address: str | None = None, progress: bool = True,
              log: Callable[[str], None] = lambda m: None) -> dict:
    """Run (or resume) a batch job and return its manifest."""
    from tqdm import tqdm

    input_path, out = Path(input_path), Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    run = _run_identity(input_path, Path(model_dir), chunk_rows, run_date, out)
    manifest_path = out / "_MANIFEST.json"
    chunks = plan_chunks(input_path, chunk_rows)
    done = DoneLog(out / "_DONE.jsonl")
    pending = [c for c in chunks if c.id not in done.done]
    if not pending and manifest_path.exists():
        log(f"{out}: already complete, nothing to do")
        return json.loads(manifest_path.read_text(encoding="utf-8"))
    if len(done.done):
        log(f"resuming: {len(done.done)} of {len(chunks)} chunks already done")
    bar = tqdm(total=sum(c.n_rows for c in pending), unit="row", desc=f"batch ({engine})", disable=not progress,
               mininterval=1.0, smoothing=0.1)
    started = time.perf_counter()

    def on_done(result: dict) -> None:
        done.record(result)
        bar.update(result["rows"])

    from serving.batch_engines import ENGINES

    if engine not in ENGINES:
        raise BatchError(f"--engine {engine!r}: use one of {sorted(ENGINES)}")
    ENGINES[engine](pending, out=out, model_dir=Path(model_dir), run_date=run["date"], workers=workers,
                    ray_address=ray_address, on_done=on_done)
    bar.close()
    seconds = time.perf_counter() - started
    results = [done.done[c.id] for c in chunks]
    manifest = {
        "input": run["input"], "output": str(out.resolve()), "date": run["date"], "engine": engine,
        "model": run["model"], "config_hash": run["model"]["config_hash"], "chunks": len(chunks),
        "chunk_rows": chunk_rows,
        "input_rows": sum(r["rows"] for r in results), "output_rows": sum(r["scored"] for r in results),
        "rejected_rows": sum(r["rejected"] for r in results),
        "timings": {"finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "last_invocation_seconds": round(seconds, 2),
                    "last_invocation_rows": sum(c.n_rows for c in pending),
                    "chunk_seconds_total": round(sum(r["seconds"] for r in results), 2)},
    }
    _atomic_write_bytes(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n")
    return manifest
