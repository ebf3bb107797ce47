"""Micro-batching: comments from concurrent requests are scored in one model call.

One model call per request wastes most of its time on fixed per-call costs; under load,
requests that arrive while the model is busy are queued and scored together next. The
model runs in one worker thread, off the event loop, so the server keeps accepting.

A predictor that offers `predict_steps()` (the ensemble: a Python linear step, then an
ONNX Runtime step that releases the GIL) is run as a two-stage pipeline on two threads:
batch k's second step overlaps batch k+1's first, and at most one batch waits for the
second step, so a slow second step makes the next batch larger instead of the queue longer.
"""
from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

from models.predictor import Predictor


class Overloaded(RuntimeError):
    """More comments are waiting than the queue allows."""


class MicroBatcher:
    def __init__(self, predictor: Predictor, *, enabled: bool = True, max_size: int = 128,
                 max_wait_ms: float = 5.0, max_queue: int = 4096,
                 on_batch: Callable[[int], None] | None = None):
        self.predictor = predictor
        self.enabled, self.max_size, self.max_wait = enabled, max_size, max_wait_ms / 1000
        self.max_queue = max_queue
        self.on_batch = on_batch or (lambda n: None)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        steps = getattr(predictor, "predict_steps", None)
        self._steps = steps() if callable(steps) and enabled else None  # unbatched: predict() alone
        self._second = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-step2") if self._steps else None
        self._second_free: asyncio.Semaphore | None = None
        self._finishing: set[asyncio.Task] = set()
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self._waiting = 0

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._second_free = asyncio.Semaphore(1)
        if self.enabled:
            self._task = asyncio.create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._finishing):
            task.cancel()
        while self._queue and not self._queue.empty():
            _, _, future = self._queue.get_nowait()
            if not future.done():
                future.set_exception(Overloaded("service shutting down"))
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._second:
            self._second.shutdown(wait=False, cancel_futures=True)

    @property
    def waiting(self) -> int:
        return self._waiting

    async def predict(self, texts: Sequence[str], notes: Sequence[str | None]) -> list[dict]:
        """Predictions for one request's comments, in order."""
        if self._waiting + len(texts) > self.max_queue:
            raise Overloaded(f"{self._waiting} comments waiting; max_queue is {self.max_queue}")
        loop = asyncio.get_running_loop()
        if not self.enabled:
            self._waiting += len(texts)
            try:
                self.on_batch(len(texts))
                return await loop.run_in_executor(self._executor, self.predictor.predict, list(texts), list(notes))
            finally:
                self._waiting -= len(texts)
        futures = []
        for text, note in zip(texts, notes):
            future = loop.create_future()
            self._queue.put_nowait((text, note, future))
            futures.append(future)
        self._waiting += len(texts)
        return list(await asyncio.gather(*futures))

    def _drain(self, batch: list) -> None:
        while len(batch) < self.max_size and not self._queue.empty():
            batch.append(self._queue.get_nowait())

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            self._drain(batch)
            if len(batch) < self.max_size and self.max_wait > 0:
                await asyncio.sleep(self.max_wait)  # let a burst of concurrent requests join
                self._drain(batch)
            texts = [t for t, _, _ in batch]
            notes = [n for _, n, _ in batch]
            self.on_batch(len(batch))
            if self._steps is None:
                ok, results = await self._call(batch, self._executor, self.predictor.predict, texts, notes)
                if ok:
                    self._settle(batch, None, results)
                continue
            first, second = self._steps
            ok, state = await self._call(batch, self._executor, first, texts, notes)
            if not ok:
                continue
            await self._second_free.acquire()  # released when the previous batch's second step ends
            task = asyncio.create_task(self._finish(batch, second, state))
            self._finishing.add(task)
            task.add_done_callback(self._finishing.discard)

    async def _finish(self, batch: list, second, state) -> None:
        try:
            ok, results = await self._call(batch, self._second, second, state)
            if ok:
                self._settle(batch, None, results)
        finally:
            self._second_free.release()

    async def _call(self, batch: list, executor, fn, *args) -> tuple[bool, object]:
        """fn(*args) on `executor`; if it fails, every request of the batch gets the error."""
        try:
            return True, await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        except asyncio.CancelledError:
            self._settle(batch, Overloaded("service shutting down"))
            raise
        except Exception as exc:  # the model failed: every waiting request gets the error
            self._settle(batch, exc)
            return False, None

    def _settle(self, batch: list, error: BaseException | None, results: list | None = None) -> None:
        for i, (_, _, future) in enumerate(batch):
            if not future.done():
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(results[i])
        self._waiting -= len(batch)
