"""The model in its own process, behind the same Predictor interface.

In one process, the HTTP handling (event loop) and the Python half of the model (jieba,
n-gram counting, CRF features) take turns on one GIL, so the batching server used about
one core of a two-core machine (`make loadtest`: 655-850 req/s in-process, 1,124 with the
model in a child process; see README). The server keeps only this proxy; the model is loaded
in a spawned child (spawn, not fork: the parent's ONNX Runtime and anyio threads hold
locks that a forked child would inherit locked).

Each operation has its own pipe, served by its own thread in the child, so the micro-
batcher's two pipeline stages (`predict_steps`) still overlap: batch k+1's linear step
runs while batch k's transformer step does. A first step's state stays in the child; the
parent holds a ticket for it.
"""
from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Sequence

from models.artifact import ArtifactError

log = logging.getLogger("buyintent.model_process")

CHANNELS = ("predict", "first", "second")
START_TIMEOUT_S = 300.0


class ModelProcessError(RuntimeError):
    """The model process failed on a batch (the API answers 500, logged)."""


class ModelProcessGone(ModelProcessError):
    """The model process is no longer running (the API answers 503)."""


def _child(folder: str, threads: int | None, switch_interval_s: float, conns: dict, ready) -> None:
    # Ctrl-C reaches the whole process group; the parent decides when the model stops
    # (it closes the pipes, and every serving thread ends on EOF).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The stage threads hand the GIL to each other at every batch; with the default 5 ms
    # interval a thread woken by ONNX Runtime or a pipe waits up to 5 ms for its turn.
    sys.setswitchinterval(switch_interval_s)
    if threads:
        # Read by the transformer predictor (and OpenMP) when they build their thread pools.
        os.environ["OMP_NUM_THREADS"] = str(threads)
    from models.predictor import freeze_loaded_objects, load_predictor

    try:
        predictor = load_predictor(folder)
    except Exception as exc:  # reported to the parent, which refuses to start
        ready.send((False, f"{type(exc).__name__}: {exc}"))
        return
    freeze_loaded_objects()
    steps = getattr(predictor, "predict_steps", None)
    first, second = steps() if callable(steps) else (None, None)
    states: dict[int, object] = {}
    tickets = itertools.count()

    def run_first(texts, notes):
        ticket = next(tickets)
        states[ticket] = first(texts, notes)
        return ticket

    handlers = {"predict": predictor.predict, "first": run_first, "second": lambda t: second(states.pop(t))}

    def serve(name: str) -> None:
        conn, handler = conns[name], handlers[name]
        while True:
            try:
                args = conn.recv()
            except (EOFError, OSError):  # the parent closed the pipe or died
                return
            try:
                reply = (True, handler(*args))
            except Exception as exc:  # the batch fails, the process keeps serving
                reply = (False, f"{type(exc).__name__}: {exc}")
            try:
                conn.send(reply)
            except OSError:  # the parent is gone
                return

    threads = [threading.Thread(target=serve, args=(name,), name=f"model-{name}") for name in CHANNELS]
    for thread in threads:
        thread.start()
    ready.send((True, {"name": predictor.name, "version": predictor.version,
                       "diversion_threshold": float(predictor.diversion_threshold), "steps": first is not None}))
    for thread in threads:
        thread.join()


class ProcessPredictor:
    """A Predictor whose model runs in a child process.

    Raises ArtifactError at construction when the child cannot load the model, so a bad
    folder stops the service at start exactly as an in-process load does. `threads`: the
    model's compute threads (ONNX Runtime intra-op; default: every core).

    A child that dies later (killed, out of memory) is started again in the background
    the first time a call or `alive()` finds it gone; until it has loaded, calls raise
    ModelProcessGone (the API's 503) and `alive()` is False (a failing /readyz).
    """

    def __init__(self, folder: str | Path, *, threads: int | None = None, switch_interval_ms: float = 0.2):
        self._folder, self._threads, self._switch_interval_ms = folder, threads, switch_interval_ms
        self._locks = {name: threading.Lock() for name in CHANNELS}
        self._restart_lock = threading.Lock()
        self._restart_pending = False
        self._closed = False
        self.restarts = 0
        self._process, self._conns, info = self._spawn()
        self.name, self.version = info["name"], info["version"]
        self.diversion_threshold = info["diversion_threshold"]
        self._has_steps = info["steps"]

    def _spawn(self) -> tuple:
        """A started child that has loaded the model, its pipes, and what it reported."""
        folder = self._folder
        ctx = mp.get_context("spawn")
        ends = {name: ctx.Pipe() for name in CHANNELS}
        ready, ready_child = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_child, name="buyintent-model", daemon=True,
                              args=(str(folder), self._threads, self._switch_interval_ms / 1000,
                                    {name: child for name, (_, child) in ends.items()}, ready_child))
        process.start()
        for _, child in ends.values():
            child.close()
        ready_child.close()
        conns = {name: parent for name, (parent, _) in ends.items()}
        try:
            if not ready.poll(START_TIMEOUT_S):
                raise ArtifactError(f"{folder}: the model process did not load the model in {START_TIMEOUT_S:.0f} s")
            try:
                ok, info = ready.recv()
            except EOFError:
                ok, info = False, f"the model process exited with code {process.exitcode} while loading"
            if not ok:
                raise ArtifactError(info if str(folder) in info else f"{folder}: {info}")
        except BaseException:
            _stop(process, conns)
            raise
        finally:
            ready.close()
        return process, conns, info

    def _restart_soon(self, dead) -> None:
        if self._closed or self._restart_pending:
            return
        self._restart_pending = True
        threading.Thread(target=self._restart, args=(dead,), name="model-restart", daemon=True).start()

    def _restart(self, dead) -> None:
        with self._restart_lock:
            try:
                if self._closed or self._process is not dead:
                    return
                log.error("the model process exited (code %s); starting a new one", dead.exitcode)
                _stop(dead, self._conns)
                try:
                    process, conns, _ = self._spawn()
                except Exception:
                    log.exception("the model process could not be started again; retrying on the next call")
                    return
                # Pipes first: a call that sees the new process must find its pipes.
                self._conns, self._process = conns, process
                self.restarts += 1
                log.warning("model process restarted (%d so far)", self.restarts)
            finally:
                self._restart_pending = False

    @property
    def model_info(self) -> dict:
        return {"name": self.name, "version": self.version}

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def alive(self) -> bool:
        process = self._process
        if not process.is_alive():
            self._restart_soon(process)
            return False
        return True

    def _call(self, channel: str, *args):
        with self._locks[channel]:
            process, conn = self._process, self._conns[channel]
            try:
                conn.send(args)
                ok, value = conn.recv()
            except (EOFError, OSError) as exc:
                self._restart_soon(process)
                raise ModelProcessGone("the model process is gone; a new one is starting, retry shortly") from exc
        if not ok:
            raise ModelProcessError(f"the model failed on a batch: {value}")
        return value

    def predict(self, texts: Sequence[str], notes: Sequence[str | None] | None = None) -> list[dict]:
        if not texts:
            return []
        return self._call("predict", *_batch(texts, notes))

    def predict_steps(self):
        """The child's (first, second) pipeline stages, or None when its model has none."""
        if not self._has_steps:
            return None

        def first(texts: Sequence[str], notes: Sequence[str | None] | None = None) -> int:
            return self._call("first", *_batch(texts, notes))

        def second(ticket: int) -> list[dict]:
            return self._call("second", ticket)

        return first, second

    def close(self) -> None:
        """Stop the child: closing the pipes ends its serving threads."""
        self._closed = True
        with self._restart_lock:
            _stop(self._process, self._conns)


def _batch(texts: Sequence[str], notes: Sequence[str | None] | None) -> tuple[list, list | None]:
    """Texts and notes as plain lists, which pickle to the child whatever sequence they were."""
    return list(texts), list(notes) if notes is not None else None


def _stop(process, conns: dict) -> None:
    for conn in conns.values():
        conn.close()
    process.join(timeout=5)
    if process.is_alive():
        process.terminate()
        process.join(timeout=5)
