"""The micro-batcher with stand-in predictors: results stay with their requests, and a
two-step predictor's steps overlap across batches."""
from __future__ import annotations

import asyncio
import threading

import pytest

from serving.batching import MicroBatcher


class OneStep:
    def __init__(self):
        self.batches: list[int] = []

    def predict(self, texts, notes=None):
        self.batches.append(len(texts))
        return [{"text": t, "note": n} for t, n in zip(texts, notes)]


class TwoSteps(OneStep):
    """second() of a batch waits (bounded) until first() of a later batch has started."""

    def __init__(self, fail_on: str | None = None):
        super().__init__()
        self.fail_on = fail_on
        self.first_calls = 0
        self.later_first_started = threading.Event()
        self.overlapped: list[bool] = []

    def predict_steps(self):
        def first(texts, notes):
            self.first_calls += 1
            if self.first_calls > 1:
                self.later_first_started.set()
            return texts, notes

        def second(state):
            texts, notes = state
            if self.fail_on in texts:
                raise RuntimeError("model failed")
            if len(self.overlapped) == 0:
                self.overlapped.append(self.later_first_started.wait(timeout=2.0))
            return self.predict(texts, notes)

        return first, second


async def _requests(batcher, groups):
    await batcher.start()
    try:
        return await asyncio.gather(*(batcher.predict(g, [f"n-{t}" for t in g]) for g in groups),
                                    return_exceptions=True)
    finally:
        await batcher.stop()


def test_every_request_gets_its_own_results_in_order():
    predictor = OneStep()
    groups = [[f"{i}-{j}" for j in range(i % 3 + 1)] for i in range(20)]
    out = asyncio.run(_requests(MicroBatcher(predictor, max_size=8, max_wait_ms=1), groups))
    assert out == [[{"text": t, "note": f"n-{t}"} for t in g] for g in groups]
    assert max(predictor.batches) <= 8 and len(predictor.batches) < 20  # batched, within the cap


def test_two_step_predictor_overlaps_batches_and_keeps_results_with_requests():
    predictor = TwoSteps()

    async def scenario():
        batcher = MicroBatcher(predictor, max_size=4, max_wait_ms=0)
        await batcher.start()
        try:
            first = asyncio.ensure_future(batcher.predict(["a", "b"], [None, None]))
            await asyncio.sleep(0.05)  # the first batch is in its second step by now
            second = asyncio.ensure_future(batcher.predict(["c"], ["x"]))
            return await asyncio.gather(first, second), batcher.waiting
        finally:
            await batcher.stop()

    (a, c), waiting = asyncio.run(scenario())
    assert predictor.overlapped == [True]  # batch 2's first step ran during batch 1's second
    assert [r["text"] for r in a] == ["a", "b"] and c == [{"text": "c", "note": "x"}]
    assert waiting == 0


def test_a_failing_second_step_fails_its_requests_and_the_batcher_goes_on():
    predictor = TwoSteps(fail_on="boom")

    async def scenario():
        batcher = MicroBatcher(predictor, max_size=4, max_wait_ms=0)
        await batcher.start()
        try:
            with pytest.raises(RuntimeError, match="model failed"):
                await batcher.predict(["boom", "ok"], [None, None])
            return await asyncio.wait_for(batcher.predict(["fine"], [None]), timeout=5), batcher.waiting
        finally:
            await batcher.stop()

    result, waiting = asyncio.run(scenario())
    assert result == [{"text": "fine", "note": None}]
    assert waiting == 0
