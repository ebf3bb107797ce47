"""Turn raw comments into what every model component reads, computed once per comment."""
from __future__ import annotations

from dataclasses import dataclass

from models.detectors import Detection, detect, flags
from models.lexicon import Lexicon
from models.normalize import Normalized, normalize
from models.segment import Segmenter


@dataclass(frozen=True, slots=True)
class Prepared:
    """One comment after normalization, detection and segmentation."""

    norm: Normalized
    words: list[tuple[str, int, int]]  # offsets into norm.text
    detections: list[Detection]
    flags: dict[str, bool]
    note: str  # normalized note title, "" when absent

    @property
    def text(self) -> str:
        return self.norm.text


class Preprocessor:
    """Normalizer + detectors + segmenter, shared by training and serving."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        self.segmenter = Segmenter(lexicon)

    def prepare(self, text: str, note: str | None = None) -> Prepared:
        norm = normalize(text)
        detections = detect(norm)
        return Prepared(
            norm=norm,
            words=self.segmenter.cut(norm.text),
            detections=detections,
            flags=flags(detections, norm),
            note=normalize(note).text if note else "",
        )

    def prepare_many(self, texts, notes=None) -> list[Prepared]:
        notes = notes if notes is not None else [None] * len(texts)
        return [self.prepare(t, n) for t, n in zip(texts, notes)]
