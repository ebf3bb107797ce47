"""Labeled comment records (LABELING.md): reading and validation."""
from __future__ import annotations

import json
from pathlib import Path

from models.labels import DOMAINS, INTENTS, MENTION_TYPES


class RecordError(ValueError):
    """A labeled file has a record that breaks LABELING.md."""


def record_problems(rec: dict) -> list[str]:
    """Every way a record breaks the labeling contract; empty when it is valid."""
    problems = []
    if not isinstance(rec.get("id"), str) or not rec["id"]:
        problems.append("id: must be a non-empty string")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("text: must be a non-empty string")
        text = ""
    if rec.get("intent") not in INTENTS:
        problems.append(f"intent: {rec.get('intent')!r} is not one of {list(INTENTS)}")
    if not isinstance(rec.get("diversion"), bool):
        problems.append("diversion: must be true or false")
    if rec.get("domain") not in DOMAINS:
        problems.append(f"domain: {rec.get('domain')!r} is not one of {list(DOMAINS)}")
    mentions = rec.get("mentions")
    if not isinstance(mentions, list):
        problems.append("mentions: must be a list")
        mentions = []
    for i, m in enumerate(mentions):
        if not isinstance(m, dict) or m.get("type") not in MENTION_TYPES or not isinstance(m.get("text"), str):
            problems.append(f"mentions[{i}]: bad mention {m!r}")
        elif m["text"] not in text:
            problems.append(f"mentions[{i}]: {m['text']!r} does not occur in text")
    return problems


def read_labeled(path: str | Path) -> list[dict]:
    """Read a labeled JSONL file; any invalid record is an error naming file and line."""
    path = Path(path)
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RecordError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
            problems = record_problems(rec) if isinstance(rec, dict) else ["not a JSON object"]
            if problems:
                raise RecordError(f"{path}:{lineno}: " + "; ".join(problems))
            rows.append(rec)
    return rows
