"""The model folder contract: what a saved model carries and what loading checks.

A model folder holds manifest.json (name, version, kind, labels, preprocessing
settings, config hash), config.yaml (the resolved training config), metrics.json, the
lexicon it was trained with, and the kind's own binaries. Loading refuses a folder
whose labels or preprocessing differ from this code, instead of serving wrong numbers.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import yaml

from models.labels import INTENTS
from models.lexicon import Lexicon
from models.normalize import NORMALIZER_VERSION
from models.segment import SEGMENTER_HMM

MANIFEST = "manifest.json"
LEXICON_DIR = "lexicon"


class ArtifactError(RuntimeError):
    """A model folder is missing, incomplete or incompatible with this code."""


def config_hash(config: dict) -> str:
    canonical = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def preprocessing_settings(lexicon: Lexicon) -> dict:
    import jieba

    return {"normalizer_version": NORMALIZER_VERSION, "segmenter": f"jieba-{jieba.__version__}-hmm-{SEGMENTER_HMM}",
            "lexicon_fingerprint": lexicon.fingerprint()}


def write_manifest(folder: Path, *, name: str, version: str, kind: str, config: dict,
                   lexicon: Lexicon, metrics: dict) -> dict:
    manifest = {
        "name": name, "version": version, "kind": kind, "labels": list(INTENTS),
        "preprocessing": preprocessing_settings(lexicon),
        "config_hash": config_hash(config),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    (folder / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    (folder / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    return manifest


def read_manifest(folder: str | Path) -> tuple[dict, Lexicon]:
    """Read and check a model folder; returns its manifest and lexicon.

    Raises:
        ArtifactError: the folder is missing, unreadable or does not match this code.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise ArtifactError(f"{folder}: not a model folder ({MANIFEST} missing)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{path}: unreadable manifest ({exc})") from exc
    for key in ("name", "version", "kind", "labels", "preprocessing"):
        if key not in manifest:
            raise ArtifactError(f"{path}: manifest has no '{key}'")
    if list(manifest["labels"]) != list(INTENTS):
        raise ArtifactError(f"{folder}: labels {manifest['labels']} do not match this code's {list(INTENTS)}")
    try:
        lexicon = Lexicon.load(folder / LEXICON_DIR)
    except (OSError, KeyError) as exc:
        raise ArtifactError(f"{folder}: lexicon unreadable ({exc})") from exc
    expected = preprocessing_settings(lexicon)
    if manifest["preprocessing"] != expected:
        raise ArtifactError(
            f"{folder}: preprocessing {manifest['preprocessing']} does not match this code's {expected}; "
            "retrain the model with this version")
    return manifest, lexicon


@contextlib.contextmanager
def staged_folder(output_dir: str | Path) -> Iterator[Path]:
    """A temporary folder beside `output_dir` that replaces it only if the block succeeds.

    Every trainer writes its model folder through this: a failed or interrupted run leaves
    the previous model in place and no half-written folder behind.
    """
    out = Path(output_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out.parent))
    try:
        yield staging
        if out.exists():
            shutil.rmtree(out)
        staging.chmod(0o755)  # mkdtemp creates 0700; a model folder is shared read-only
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
