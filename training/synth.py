"""`buyintent data synth`: realistic synthetic comment dumps of any size, for tests and benchmarks.

Comments are drawn from the project's hand-written comments and from lexicon-filled
phrasings, grouped under notes whose popularity follows a long tail, with Zipf-like likes
and timestamps over one day. Written as a stream: memory does not grow with --rows.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from models.labels import DOMAINS
from models.lexicon import Lexicon
from training.generate import TemplateFiller, load_phrasings

REPO = Path(__file__).resolve().parent.parent


HANDWRITTEN_DIR = REPO / "data" / "handwritten"


def hand_written() -> list[dict]:
    """The project's hand-labeled comments (data/handwritten): realistic text for synthetic loads."""
    rows = []
    for path in sorted(HANDWRITTEN_DIR.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    if not rows:
        raise FileNotFoundError(f"no comments under {HANDWRITTEN_DIR}")
    return rows


def synth_rows(rows: int, notes: int, *, seed: int = 7, date: str = "2026-11-24",
               bad_fraction: float = 0.0) -> Iterator[dict]:
    """Yield `rows` comment records spread over `notes` notes (bad_fraction of them malformed)."""
    rng = random.Random(seed)
    lexicon = Lexicon.load(REPO / "data" / "lexicons")
    filler = TemplateFiller(lexicon, rng)
    phrasings = [p for ps in load_phrasings(REPO / "data" / "phrasings" / "phrasings.yaml").values() for p in ps]
    hand_by_domain: dict[str, list[dict]] = {}
    for r in hand_written():
        hand_by_domain.setdefault(r["domain"], []).append(r)
    note_info = []
    for i in range(notes):
        domain = rng.choice(DOMAINS)
        note_info.append({"note_id": f"note-{i:06d}", "note_title": filler.note(domain), "note_domain": domain})
    weights = [1 / (i + 1) ** 0.8 for i in range(notes)]  # a few notes draw most comments
    start = datetime.fromisoformat(date).replace(tzinfo=timezone.utc)
    for i in range(rows):
        note = rng.choices(note_info, weights)[0] if notes > 1 else note_info[0]
        if rng.random() < 0.6:
            text = rng.choice(hand_by_domain.get(note["note_domain"]) or hand_by_domain["other"])["text"]
        else:
            text = filler.fill(rng.choice(phrasings)["text"], note["note_domain"])[0]
        record = {"id": f"c{i:09d}", "text": text, **note,
                  "likes": int(rng.paretovariate(1.5)) - 1,
                  "created_at": (start + timedelta(seconds=rng.randrange(86400))).isoformat()}
        if bad_fraction and rng.random() < bad_fraction:
            field = rng.choice(["text", "id", "note_id"])
            record[field] = rng.choice(["", None, 5] if field == "text" else ["", None])
        yield record


def write_synth(out: str | Path, rows: int, notes: int, *, seed: int = 7, bad_fraction: float = 0.0) -> Path:
    """Write a dump as JSONL, CSV or Parquet (by extension), streaming."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    records = synth_rows(rows, notes, seed=seed, bad_fraction=bad_fraction)
    suffix = out.suffix.lower()
    if suffix == ".jsonl":
        with out.open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif suffix in (".csv", ".parquet"):
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        writer = None
        batch = []
        schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("note_id", pa.string()),
                            ("note_title", pa.string()), ("note_domain", pa.string()), ("likes", pa.int64()),
                            ("created_at", pa.string())])

        def flush():
            nonlocal writer
            cleaned = [{k: (v if not isinstance(v, int) or k == "likes" else str(v)) for k, v in r.items()} for r in batch]
            table = pa.Table.from_pylist(cleaned, schema=schema)
            if writer is None:
                writer = pq.ParquetWriter(out, schema) if suffix == ".parquet" else pacsv.CSVWriter(out, schema)
            writer.write_table(table)
            batch.clear()

        for r in records:
            batch.append(r)
            if len(batch) >= 50_000:
                flush()
        if batch:
            flush()
        if writer:
            writer.close()
    else:
        raise ValueError(f"{out}: unknown output format {suffix!r}; use .jsonl, .csv or .parquet")
    return out
