import json

from models.labels import DOMAINS, INTENTS
from models.normalize import normalize_text
from training.build import build_dataset
from training.records import record_problems

from conftest import FIXTURES, REPO, SHARED, fixture_data_config, needs_shared


def _rows(folder, split):
    with open(folder / f"{split}.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_every_example_is_valid_and_mentions_are_verbatim(built_data):
    folder, _ = built_data
    rows = _rows(folder, "train") + _rows(folder, "validation")
    assert rows
    for r in rows:
        assert record_problems(r) == [], r
        for m in r["mentions"]:
            assert m["text"] in r["text"]
    assert {r["intent"] for r in rows} == set(INTENTS)


def test_dev_texts_are_dropped(built_data):
    folder, card = built_data
    dev = {normalize_text(json.loads(line)["text"]) for line in open(FIXTURES / "dev_overlap.jsonl", encoding="utf-8")}
    texts = {normalize_text(r["text"]) for r in _rows(folder, "train") + _rows(folder, "validation")}
    assert not dev & texts
    assert card["dropped"]["equal to a dev.jsonl text"] >= 1


def test_build_is_deterministic(built_data, tmp_path):
    folder, _ = built_data
    build_dataset(fixture_data_config(tmp_path), progress=False)
    assert (tmp_path / "train.jsonl").read_text() == (folder / "train.jsonl").read_text()


def test_validation_holds_out_whole_groups(built_data):
    folder, _ = built_data
    val_groups = {r["group"] for r in _rows(folder, "validation")}
    assert val_groups
    assert not val_groups & {r["group"] for r in _rows(folder, "train")}
    # Variants of a held-out comment never reach training.
    train_ids = {r["id"] for r in _rows(folder, "train")}
    assert not any(i.split("~")[0] in val_groups for i in train_ids)


def test_data_card_is_written(built_data):
    folder, card = built_data
    text = (folder / "DATA_CARD.md").read_text(encoding="utf-8")
    assert "## By source" in text and "template" in text
    assert sum(card["by_intent"].values()) == card["n"]


def test_project_hand_labeled_data_is_valid():
    files = sorted((REPO / "data" / "handwritten").glob("*.jsonl"))
    assert files
    for path in files:
        for line_no, line in enumerate(path.open(encoding="utf-8"), 1):
            rec = json.loads(line)
            assert record_problems(rec) == [], f"{path.name}:{line_no}"
            assert rec["domain"] in DOMAINS


@needs_shared("data/dev.jsonl")
def test_project_hand_labeled_data_shares_no_text_with_dev():
    dev = {normalize_text(json.loads(line)["text"]) for line in open(SHARED / "data/dev.jsonl", encoding="utf-8")}
    ours = {normalize_text(json.loads(line)["text"])
            for path in (REPO / "data" / "handwritten").glob("*.jsonl") for line in path.open(encoding="utf-8")}
    # Bare interjections from the guide itself (同求, dd, 蹲蹲) coincide by nature; the
    # build drops them (test_dev_texts_are_dropped). Anything longer would be a copy.
    assert not {t for t in dev & ours if len(t) > 4}
