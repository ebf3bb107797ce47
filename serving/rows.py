"""Reading comment files for scoring: JSONL, CSV or Parquet, with every bad row accounted for.

A row that cannot be scored is never dropped silently: it becomes a Reject with its
line (or row) number and the reason, and the caller writes it to a rejects file.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from models.normalize import unpaired_surrogate

FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    id: str
    text: str
    note: str | None


@dataclass(frozen=True, slots=True)
class Reject:
    line: int
    reason: str
    raw: str

    def to_dict(self) -> dict:
        return {"line": self.line, "reason": self.reason, "raw": self.raw}


class InputError(ValueError):
    """The input file itself cannot be read (missing, unknown format)."""


def input_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown input format {suffix!r}; use one of {sorted(FORMATS)}")
    return FORMATS[suffix]


def record_problem(record: object, keys: tuple[str, ...] = ("id",)) -> str | None:
    """Why a parsed input record cannot be scored (None when it can): the checks every input shares."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for key in keys:
        value = record.get(key)
        if value is None or isinstance(value, (dict, list, bool)) or (isinstance(value, str) and not value.strip()):
            return f"{key}: missing or empty"
    text = record.get("text")
    if not isinstance(text, str):
        return "text: missing or not a string"
    if not text.strip():
        return "text: must not be empty"
    for key in (*keys, "text", "note"):
        value = record.get(key)
        if isinstance(value, str) and (problem := unpaired_surrogate(value)):
            return f"{key}: {problem}"
    return None


def validate(line: int, record: object, raw: str) -> Row | Reject:
    """Check one parsed record: id present, text a non-empty string, note a string if given."""
    problem = record_problem(record)
    if problem:
        return Reject(line, problem, raw)
    note = record.get("note")
    if note is not None and not isinstance(note, str):
        return Reject(line, "note: must be a string", raw)
    return Row(line, str(record["id"]), record["text"], note or None)


def parse_jsonl_line(line_no: int, line: str, validate_fn):
    """One JSONL line through `validate_fn`, or a Reject for an empty line or bad JSON."""
    line = line.rstrip("\n")
    if not line.strip():
        return Reject(line_no, "empty line", "")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return Reject(line_no, f"bad JSON: {exc.msg}", line)
    return validate_fn(line_no, record, line)


def count_rows(path: str | Path) -> int | None:
    """Cheap row count for the progress bar (None when it would need a full parse)."""
    fmt = input_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as fh:
        n = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    return n - 1 if fmt == "csv" else n


def read_rows(path: str | Path) -> Iterator[Row | Reject]:
    """Stream the rows of an input file in order; never loads it whole."""
    path = Path(path)
    fmt = input_format(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if fmt == "jsonl":
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line_no, line in enumerate(fh, 1):
                yield parse_jsonl_line(line_no, line, validate)
    elif fmt == "csv":
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "text" not in reader.fieldnames or "id" not in reader.fieldnames:
                raise InputError(f"{path}: CSV header must have 'id' and 'text' columns, got {reader.fieldnames}")
            for record in reader:
                line_no = reader.line_num
                raw = json.dumps(record, ensure_ascii=False)
                if record.get("note") == "":
                    record["note"] = None
                if record.get("id") == "":
                    record["id"] = None
                yield validate(line_no, record, raw)
    else:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        if not {"id", "text"} <= names:
            raise InputError(f"{path}: Parquet columns must include 'id' and 'text', got {sorted(names)}")
        columns = [c for c in ("id", "text", "note") if c in names]
        row_no = 0
        for batch in pf.iter_batches(columns=columns, batch_size=8192):
            for record in batch.to_pylist():
                row_no += 1
                yield validate(row_no, record, json.dumps(record, ensure_ascii=False, default=str))
