"""Scoring on every core: a predictor shared with forked worker processes, results in order.

The model is loaded once in the parent; fork gives each worker a copy-on-write view of it,
so workers start in milliseconds instead of each reloading the model.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Iterable, Iterator, Sequence

from models.predictor import Predictor

_PREDICTOR: Predictor | None = None


def _predict(texts: Sequence[str], notes: Sequence[str | None]) -> list[dict]:
    return _PREDICTOR.predict(texts, notes)


def die_with_parent() -> None:
    """Worker initializer: ask Linux to kill this worker when its parent dies.

    Without it, a parent killed with SIGKILL (a crashed or cancelled batch job) leaves its
    forked workers behind, holding memory and the model.
    """
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not glibc Linux: nothing to ask for
        pass


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


class PredictorPool:
    """Map batches over worker processes, yielding results in submission order.

    With workers=1 everything runs in this process (no fork, easiest to debug).
    """

    def __init__(self, predictor: Predictor, workers: int | None = None):
        self.predictor = predictor
        self.workers = workers or default_workers()
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> "PredictorPool":
        global _PREDICTOR
        if self.workers > 1:
            _PREDICTOR = self.predictor
            self._executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("fork"),
                                                 initializer=die_with_parent)
            # Start every worker now so that start-up is not counted as scoring time.
            list(self._executor.map(_predict, [["预热"]] * self.workers, [[None]] * self.workers))
        return self

    def __exit__(self, *exc) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None

    def imap(self, batches: Iterable[tuple[Sequence[str], Sequence[str | None]]]) -> Iterator[list[dict]]:
        """Predictions of each (texts, notes) batch, in order, with bounded work in flight."""
        if self._executor is None:
            for texts, notes in batches:
                yield self.predictor.predict(texts, notes)
            return
        pending: deque[Future] = deque()
        for texts, notes in batches:
            pending.append(self._executor.submit(_predict, texts, notes))
            if len(pending) >= 2 * self.workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
