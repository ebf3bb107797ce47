"""`buyintent score`: stream a comment file through a predictor into JSONL, in input order."""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson
from tqdm import tqdm

from models.predictor import Predictor
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


def score_file(input_path: str | Path, output_path: str | Path, predictor: Predictor, *,
               rejects_path: str | Path | None = None, batch_size: int = 1024,
               progress: bool = True) -> ScoreSummary:
    """Score every valid row of `input_path` into `output_path` (JSONL, input order).

    Rows that cannot be scored go to `rejects_path` (default OUTPUT.rejects.jsonl) with
    their line number and reason; the file is written only when there are rejects.
    """
    rejects_path = Path(rejects_path) if rejects_path else default_rejects_path(output_path)
    rejects_path.unlink(missing_ok=True)  # a stale file from an earlier run would mislead
    total = count_rows(input_path)
    started = time.perf_counter()
    n_rows = n_scored = n_rejected = 0
    rejects_fh = None
    bar = tqdm(total=total, unit="row", desc="scoring", file=sys.stderr,
               disable=not progress or (total or 0) < 5000, mininterval=0.5)
    out = Path(output_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with out.open("wb") as fh:
            batch: list[Row] = []

            def flush():
                nonlocal n_scored
                preds = predictor.predict([r.text for r in batch], [r.note for r in batch])
                fh.write(b"".join(orjson.dumps({"id": r.id, **p}) + b"\n" for r, p in zip(batch, preds)))
                n_scored += len(batch)
                bar.update(len(batch))
                batch.clear()

            for item in read_rows(input_path):
                n_rows += 1
                if isinstance(item, Reject):
                    if rejects_fh is None:
                        rejects_fh = rejects_path.open("wb")
                    rejects_fh.write(orjson.dumps(item.to_dict()) + b"\n")
                    n_rejected += 1
                    bar.update(1)
                    continue
                batch.append(item)
                if len(batch) >= batch_size:
                    flush()
            if batch:
                flush()
    finally:
        bar.close()
        if rejects_fh:
            rejects_fh.close()
    return ScoreSummary(n_rows, n_scored, n_rejected, time.perf_counter() - started,
                        str(rejects_path) if n_rejected else None)
