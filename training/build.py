"""`buyintent data build`: the labeled training set, from hand-labeled, generated and real text.

Sources, each kept in the `source` column and counted in the data card:
  seed:*        ../shared/data/train_seed (the annotation team's 3,000 comments)
  handwritten:* data/handwritten (comments written by hand to LABELING.md for this project)
  template      data/phrasings filled with data/lexicons terms
  augment:*     noisy variants of the two hand-labeled sources (typos, traditional, emoji...)
  corpus:*      real reviews and Weibo posts from ../shared/corpora as `none`
Validation holds out whole hand-labeled comments together with all their variants.
"""
from __future__ import annotations

import collections
import json
import random
from pathlib import Path

from tqdm import tqdm

from models.labels import DOMAINS, INTENTS
from models.lexicon import Lexicon
from models.normalize import normalize_text
from training.augment import augment
from training.config import DataConfig
from training.corpora import CORPUS_KINDS, split_corpus
from training.generate import TemplateFiller, load_phrasings
from training.records import read_labeled, record_problems

COLUMNS = ("id", "text", "intent", "diversion", "mentions", "domain", "note", "source", "group",
           "mentions_labeled", "split")
# Real posts that contain explicit buying words are ambiguous as `none`; they are left out
# of the negatives rather than risk teaching that 求链接 means nothing.
INTENT_WORDS = ("链接", "多少钱", "哪里买", "在哪买", "怎么买", "求购", "私我", "加微信", "代购", "下单", "种草")


def _hand_labeled(folder: Path, prefix: str) -> list[dict]:
    rows = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        for rec in read_labeled(path):
            rows.append({"id": f"{prefix}:{path.stem}:{rec['id']}", "text": rec["text"], "intent": rec["intent"],
                         "diversion": rec["diversion"], "mentions": rec["mentions"], "domain": rec["domain"],
                         "note": rec.get("note") or "", "source": f"{prefix}:{path.stem}",
                         "mentions_labeled": True})
    if not rows:
        raise FileNotFoundError(f"no labeled *.jsonl files in {folder}")
    return rows


def _split_originals(rows: list[dict], fraction: float, rng: random.Random) -> set[str]:
    """Ids of hand-labeled comments held out for validation, stratified by intent."""
    by_intent = collections.defaultdict(list)
    for r in rows:
        by_intent[r["intent"]].append(r["id"])
    held = set()
    for ids in by_intent.values():
        ids = sorted(ids)
        rng.shuffle(ids)
        held.update(ids[: round(len(ids) * fraction)])
    return held


def _templates(cfg: DataConfig, lexicon: Lexicon, rng: random.Random) -> list[dict]:
    phrasings = load_phrasings(cfg.sources.phrasings)
    filler = TemplateFiller(lexicon, rng)
    rows, seen = [], set()
    for intent in INTENTS:
        patterns = phrasings[intent]
        if not patterns:
            raise ValueError(f"{cfg.sources.phrasings}: no phrasings for {intent}")
        for i in range(cfg.templates_per_intent):
            p = patterns[i % len(patterns)] if i < len(patterns) else rng.choice(patterns)
            domain = rng.choice(DOMAINS)
            text, mentions = filler.fill(p["text"], domain)
            row = {"id": f"template:{intent}:{i}", "text": text, "intent": intent,
                   "diversion": bool(p.get("diversion", False)), "mentions": mentions, "domain": domain,
                   "note": filler.note(domain), "source": "template", "mentions_labeled": True}
            if text in seen:
                # A slot-free phrasing used again: a noisy variant instead of a duplicate.
                variant = augment(row, rng)
                if variant is None or variant["intent"] != intent:
                    continue
                variant.pop("augment")
                row = variant
            seen.add(row["text"])
            rows.append(row)
    return rows


def _corpus_negatives(cfg: DataConfig, rng: random.Random) -> tuple[list[dict], list[dict]]:
    train, holdout = [], []
    for name, n in cfg.corpora.samples.items():
        if name not in CORPUS_KINDS:
            raise ValueError(f"corpora.samples: unknown corpus {name!r}; known: {sorted(CORPUS_KINDS)}")
        pool, held = split_corpus(cfg.sources.corpora_dir, name, cfg.corpora.holdout_fraction, cfg.corpora.max_chars)
        pool = [c for c in pool if not any(w in c.text for w in INTENT_WORDS)]
        for i, c in enumerate(rng.sample(pool, min(n, len(pool)))):
            train.append({"id": f"corpus:{name}:{i}", "text": c.text, "intent": "none", "diversion": False,
                          "mentions": [], "domain": c.domain, "note": "", "source": f"corpus:{name}",
                          "mentions_labeled": False})
        holdout += [{"id": f"{name}-{i}", "text": c.text, "corpus": name, "kind": CORPUS_KINDS[name]}
                    for i, c in enumerate(held)]
    return train, holdout


def build_dataset(cfg: DataConfig, *, progress: bool = True) -> dict:
    """Build the training set described by `cfg` and write it with its data card.

    Returns:
        The data card as a dict (counts by split, intent, domain and source).
    """
    import datasets

    datasets.disable_progress_bars()

    rng = random.Random(cfg.seed)
    lexicon = Lexicon.load(cfg.sources.lexicon_dir)
    steps = tqdm(total=6, desc="data build", disable=not progress, unit="step")

    originals = _hand_labeled(cfg.sources.seed_dir, "seed") + _hand_labeled(cfg.sources.handwritten_dir, "handwritten")
    held = _split_originals(originals, cfg.validation_fraction, rng)
    steps.update()

    examples = []
    for r in originals:
        r["group"], r["split"] = r["id"], "validation" if r["id"] in held else "train"
        examples.append(r)
        if r["split"] == "train":
            for k in range(cfg.augment_copies):
                variant = augment(r, rng)
                if variant:
                    op = variant.pop("augment")
                    examples.append({**variant, "id": f"{r['id']}~{k}", "source": f"augment:{op.split('+')[0]}"})
    steps.update()

    for r in _templates(cfg, lexicon, rng):
        examples.append({**r, "group": r["id"], "split": "train"})
    steps.update()

    negatives, holdout = _corpus_negatives(cfg, rng)
    for r in negatives:
        r["group"] = r["id"]
        r["split"] = "validation" if rng.random() < 0.05 else "train"
        examples.append(r)
    steps.update()

    dev_texts = set()
    if cfg.sources.dev_file and Path(cfg.sources.dev_file).exists():
        with open(cfg.sources.dev_file, encoding="utf-8") as fh:
            dev_texts = {normalize_text(json.loads(line)["text"]) for line in fh if line.strip()}
    kept, seen, dropped = [], set(), collections.Counter()
    for r in examples:
        key = normalize_text(r["text"])
        if key in dev_texts:
            dropped["equal to a dev.jsonl text"] += 1
        elif key in seen:
            dropped["duplicate"] += 1
        else:
            seen.add(key)
            problems = record_problems(r)
            if problems:
                raise ValueError(f"built example {r['id']} is invalid: {'; '.join(problems)}")
            kept.append({c: r.get(c) for c in COLUMNS})
    steps.update()

    n_train = sum(r["split"] == "train" for r in kept)
    if len(kept) < cfg.min_examples:
        raise ValueError(f"only {len(kept)} examples built, min_examples is {cfg.min_examples}")
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    splits = datasets.DatasetDict({
        split: datasets.Dataset.from_list([r for r in kept if r["split"] == split])
        for split in ("train", "validation")})
    splits.save_to_disk(str(out / "dataset"))
    for split, ds in splits.items():
        ds.to_json(str(out / f"{split}.jsonl"), force_ascii=False, lines=True)
    with (out / "realtext_holdout.jsonl").open("w", encoding="utf-8") as fh:
        for h in holdout:
            fh.write(json.dumps(h, ensure_ascii=False) + "\n")
    card = data_card(kept, dropped, holdout, cfg)
    (out / "data_card.json").write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n")
    (out / "DATA_CARD.md").write_text(render_card(card, kept))
    steps.update()
    steps.close()
    card["n_train"] = n_train
    return card


def data_card(rows: list[dict], dropped: collections.Counter, holdout: list[dict], cfg: DataConfig) -> dict:
    def count(key, subset):
        return dict(sorted(collections.Counter(key(r) for r in subset).items()))

    family = lambda r: r["source"].split(":")[0]  # noqa: E731
    return {
        "seed": cfg.seed, "n": len(rows),
        "by_split": count(lambda r: r["split"], rows),
        "by_intent": count(lambda r: r["intent"], rows),
        "by_domain": count(lambda r: r["domain"], rows),
        "by_source": count(lambda r: r["source"], rows),
        "intent_by_source_family": {f: count(lambda r: r["intent"], [r for r in rows if family(r) == f])
                                    for f in sorted({family(r) for r in rows})},
        "diversion_true": sum(r["diversion"] for r in rows),
        "with_mentions": sum(bool(r["mentions"]) for r in rows),
        "dropped": dict(dropped),
        "realtext_holdout": count(lambda r: r["corpus"], holdout),
        "config": json.loads(cfg.model_dump_json()),
    }


def render_card(card: dict, rows: list[dict]) -> str:
    lines = ["# Data card: buyintent training set", "",
             f"{card['n']} labeled comments, built deterministically from seed {card['seed']} by "
             "`buyintent data build --config configs/data.yaml`. dev.jsonl is never a source; "
             f"examples whose normalized text equals a dev text are dropped ({card['dropped']}).", "",
             "## Provenance", "",
             "- `seed:*`: ../shared/data/train_seed, labeled by the annotation team.",
             "- `handwritten:*`: data/handwritten, written to order for this project to LABELING.md "
             "(provenance and focus of each file: data/handwritten/README.md).",
             "- `template`: hand-written phrasings (data/phrasings) filled with lexicon terms (data/lexicons).",
             "- `augment:<op>`: noisy variants of seed and handwritten comments (typos, homophones, pinyin, "
             "traditional characters, emoji, fillers, replies, full-width, punctuation; `quote` turns a short "
             "request into a meta comment labeled none).",
             "- `corpus:*`: real reviews and Weibo posts (../shared/corpora, see its SOURCES.md for licenses) "
             "labeled none; their mentions are unlabeled and they do not train the mention tagger. A hash-"
             "selected slice of each corpus is held out for false-alarm evaluation "
             f"({card['realtext_holdout']}).", ""]
    for title, key in (("split", "by_split"), ("intent", "by_intent"), ("domain", "by_domain"), ("source", "by_source")):
        lines += [f"## By {title}", "", "| value | count |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in card[key].items()] + [""]
    lines += ["## Intent by source family", "", "| source | " + " | ".join(INTENTS) + " |",
              "|---|" + "---|" * len(INTENTS)]
    for fam, counts in card["intent_by_source_family"].items():
        lines.append(f"| {fam} | " + " | ".join(str(counts.get(i, 0)) for i in INTENTS) + " |")
    lines += ["", f"diversion true: {card['diversion_true']}; with mentions: {card['with_mentions']}", "",
              "## Examples", ""]
    rng = random.Random(0)
    for fam in sorted({r["source"].split(":")[0] for r in rows}):
        subset = [r for r in rows if r["source"].split(":")[0] == fam]
        for r in rng.sample(subset, min(4, len(subset))):
            mentions = ", ".join(f"{m['text']}/{m['type']}" for m in r["mentions"])
            lines.append(f"- `{r['source']}` {r['intent']}{' diversion' if r['diversion'] else ''}: "
                         f"{r['text']}" + (f" [{mentions}]" if mentions else ""))
    return "\n".join(lines) + "\n"
