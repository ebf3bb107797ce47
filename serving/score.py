"""`buyintent score`: stream a comment file through a predictor into JSONL, in input order."""
from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import orjson
from tqdm import tqdm

from models.predictor import Predictor
from serving.parallel import PredictorPool
from serving.rows import Reject, Row, count_rows, read_rows


@dataclass
class ScoreSummary:
    rows: int
    scored: int
    rejected: int
    seconds: float
    rejects_path: str | None

    @property
    def rate(self) -> float:
        return self.scored / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        where = f" (see {self.rejects_path})" if self.rejected else ""
        return (f"scored {self.scored} of {self.rows} rows, rejected {self.rejected}{where}, "
                f"{self.seconds:.1f}s, {self.rate:,.0f} rows/s")

    def to_dict(self) -> dict:
        return {**asdict(self), "rows_per_second": self.rate}


def default_rejects_path(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".rejects.jsonl")


def _batches(input_path, batch_size: int, rejects: list[Reject], counts: dict) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for item in read_rows(input_path):
        counts["rows"] += 1
        if isinstance(item, Reject):
            rejects.append(item)
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def score_file(input_path: str | Path, output_path: str | Path, predictor: Predictor, *,
               rejects_path: str | Path | None = None, batch_size: int = 1024, workers: int = 1,
               progress: bool = True) -> ScoreSummary:
    """Score every valid row of `input_path` into `output_path` (JSONL, input order).

    Rows that cannot be scored go to `rejects_path` (default OUTPUT.rejects.jsonl) with
    their line number and reason; the file is written only when there are rejects.
    `workers` > 1 scores batches in that many forked processes.
    """
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(output_path)
    rejects_path.unlink(missing_ok=True)  # a stale file from an earlier run would mislead
    total = count_rows(input_path)
    out = Path(output_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    rejects: list[Reject] = []
    counts = {"rows": 0}
    n_scored = n_rejected = 0
    bar = tqdm(total=total, unit="row", desc="scoring", file=sys.stderr,
               disable=not progress or (total or 0) < 5000, mininterval=0.5)
    with PredictorPool(predictor, workers) as pool:
        started = time.perf_counter()
        batches: deque[list[Row]] = deque()

        def feed():
            for batch in _batches(input_path, batch_size, rejects, counts):
                batches.append(batch)
                yield [r.text for r in batch], [r.note for r in batch]

        with out.open("wb") as fh, _RejectWriter(rejects_path) as reject_writer:
            for preds in pool.imap(feed()):
                batch = batches.popleft()
                fh.write(b"".join(orjson.dumps({"id": r.id, **p}) + b"\n" for r, p in zip(batch, preds)))
                n_scored += len(batch)
                n_rejected += reject_writer.write(rejects)
                bar.update(counts["rows"] - bar.n)
            n_rejected += reject_writer.write(rejects)
            bar.update(counts["rows"] - bar.n)
        seconds = time.perf_counter() - started
    bar.close()
    return ScoreSummary(counts["rows"], n_scored, n_rejected, seconds,
                        str(rejects_path) if n_rejected else None)


class _RejectWriter:
    """Writes rejects as they are found; creates the file only if there is one."""

    def __init__(self, path: Path):
        self.path, self._fh = path, None

    def write(self, rejects: list[Reject]) -> int:
        if not rejects:
            return 0
        if self._fh is None:
            self._fh = self.path.open("wb")
        self._fh.write(b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in rejects))
        n = len(rejects)
        rejects.clear()
        return n

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._fh:
            self._fh.close()
