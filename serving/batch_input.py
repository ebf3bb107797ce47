"""Input of the batch job split into chunks that can be read independently.

A chunk is a contiguous run of rows of one input file, found by a cheap pre-pass (byte
offsets for JSONL and CSV, row ranges for Parquet), so any worker on any machine can read
its chunk without reading the rows before it, and a resumed run skips finished chunks
without parsing them. Chunk boundaries count every row, valid or not, so they depend only
on the input, never on the model.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from serving.rows import FORMATS, InputError, Reject, input_format, parse_jsonl_line, record_problem

OPTIONAL = ("note_title", "note_domain", "likes", "created_at")


@dataclass(frozen=True)
class ChunkSpec:
    """Rows [first_row, first_row + n_rows) of one file; bytes [start, end) for text formats."""

    id: str
    path: str
    fmt: str
    first_row: int
    n_rows: int
    start: int = 0
    end: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class BatchRow:
    line: int
    id: str
    text: str
    note_id: str
    extra: dict


def input_files(path: str | Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in FORMATS and not p.name.startswith((".", "_")))
        if not files:
            raise InputError(f"{path}: no .jsonl, .csv or .parquet files in the folder")
        return files
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder")
    input_format(path)
    return [path]


def _text_offsets(path: Path, csv_quotes: bool) -> Iterator[int]:
    """Byte offset of the start of every record (CSV: newlines inside quotes do not end one)."""
    offset = 0
    in_quotes = False
    with path.open("rb") as fh:
        for line in fh:
            if not in_quotes:
                yield offset
            if csv_quotes and line.count(b'"') % 2:
                in_quotes = not in_quotes
            offset += len(line)


def plan_chunks(path: str | Path, chunk_rows: int) -> list[ChunkSpec]:
    """Chunks of every input file, in a stable order."""
    chunks = []
    for file_no, file in enumerate(input_files(path)):
        fmt = input_format(file)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            total = pq.ParquetFile(file).metadata.num_rows
            for k, first in enumerate(range(0, total, chunk_rows)):
                chunks.append(ChunkSpec(f"{file_no:04d}-{k:05d}", str(file), fmt, first, min(chunk_rows, total - first)))
            continue
        offsets = list(_text_offsets(file, csv_quotes=fmt == "csv"))
        size = file.stat().st_size
        header = 1 if fmt == "csv" else 0
        records = offsets[header:]
        for k, first in enumerate(range(0, len(records), chunk_rows)):
            last = first + chunk_rows
            end = records[last] if last < len(records) else size
            chunks.append(ChunkSpec(f"{file_no:04d}-{k:05d}", str(file), fmt, first, min(chunk_rows, len(records) - first),
                                    records[first], end))
    return chunks


def validate_batch(line: int, record: object, raw: str) -> BatchRow | Reject:
    problem = record_problem(record, ("id", "note_id"))
    if problem:
        return Reject(line, problem, raw)
    text = record["text"]
    likes = record.get("likes")
    if likes not in (None, "") and not (isinstance(likes, int) or str(likes).isdigit()):
        return Reject(line, "likes: must be a non-negative integer", raw)
    extra = {k: record.get(k) for k in OPTIONAL}
    extra["likes"] = int(likes) if likes not in (None, "") else 0
    for k in ("note_title", "note_domain", "created_at"):
        extra[k] = None if extra[k] in (None, "") else str(extra[k])
    return BatchRow(line, str(record["id"]), text, str(record["note_id"]), extra)


def read_chunk(spec: ChunkSpec) -> Iterator[BatchRow | Reject]:
    """Rows of one chunk; `line` is the 1-based line (JSONL, CSV) or row (Parquet) in its file."""
    path = Path(spec.path)
    if spec.fmt == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        # Read only the row groups that overlap the chunk, never the whole file.
        groups, first_of_groups, row = [], None, 0
        for g in range(pf.metadata.num_row_groups):
            n = pf.metadata.row_group(g).num_rows
            if row + n > spec.first_row and row < spec.first_row + spec.n_rows:
                groups.append(g)
                first_of_groups = row if first_of_groups is None else first_of_groups
            row += n
        table = pf.read_row_groups(groups).slice(spec.first_row - (first_of_groups or 0), spec.n_rows)
        for i, record in enumerate(table.to_pylist()):
            yield validate_batch(spec.first_row + i + 1, record, json.dumps(record, ensure_ascii=False, default=str))
        return
    with path.open("rb") as fh:
        fh.seek(spec.start)
        data = fh.read(spec.end - spec.start).decode("utf-8", errors="replace")
    if spec.fmt == "jsonl":
        for i, line in enumerate(data.splitlines()):
            yield parse_jsonl_line(spec.first_row + i + 1, line, validate_batch)
        return
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    if not {"id", "text", "note_id"} <= set(header):
        raise InputError(f"{path}: CSV header must have id, text and note_id, got {header}")
    reader = csv.DictReader(io.StringIO(data, newline=""), fieldnames=header)
    for i, record in enumerate(reader):
        yield validate_batch(spec.first_row + i + 2, record, json.dumps(record, ensure_ascii=False))
