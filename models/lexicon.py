"""Brand, product and attribute lexicons: the jieba user dictionary and mention gazetteer.

A lexicon is three TSV files (brands.tsv with aliases, products.tsv, attributes.tsv).
Training copies the lexicon into the model folder, so a saved model segments and
extracts mentions exactly as it did when it was trained.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

LEXICON_FILES = {"brand": "brands.tsv", "product": "products.tsv", "attribute": "attributes.tsv"}
# Shopping platforms are never mentions (LABELING.md); keep them out whatever a list says.
PLATFORMS = frozenset({"淘宝", "京东", "拼多多", "闲鱼", "得物", "天猫", "抖音", "唯品会", "小红书"})


@dataclass(frozen=True)
class Lexicon:
    """term -> mention type, plus the domain each term was listed under."""

    types: dict[str, str] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: str | Path) -> "Lexicon":
        folder = Path(folder)
        types: dict[str, str] = {}
        domains: dict[str, str] = {}
        for mention_type, name in LEXICON_FILES.items():
            path = folder / name
            if not path.exists():
                raise FileNotFoundError(f"lexicon file missing: {path}")
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh, delimiter="\t"):
                    terms = [row["term"], *filter(None, (row.get("aliases") or "").split("|"))]
                    for term in (t.strip() for t in terms):
                        # First listing wins: brands load first, so 小米 stays a brand.
                        if len(term) >= 2 and term not in PLATFORMS and term not in types:
                            types[term] = mention_type
                            domains[term] = (row.get("domain") or "other").strip()
        return cls(types, domains)

    def terms_of(self, mention_type: str) -> list[str]:
        return [t for t, k in self.types.items() if k == mention_type]

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for term in sorted(self.types):
            digest.update(f"{term}\t{self.types[term]}\n".encode())
        return digest.hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.types)


def copy_lexicon(source: str | Path, target: str | Path) -> None:
    """Copy the three lexicon files into a model folder."""
    source, target = Path(source), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for name in LEXICON_FILES.values():
        (target / name).write_bytes((source / name).read_bytes())
