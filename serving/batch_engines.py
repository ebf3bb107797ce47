"""Where batch chunks are scored: this machine's cores (`local`) or a Ray cluster (`ray`).

Both engines run the same `score_chunk` on the same chunk plan, so their rows are identical.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from itertools import islice
from pathlib import Path
from typing import Callable

from models.predictor import load_predictor
from serving.batch_input import ChunkSpec
from serving.batch_job import score_chunk
from serving.parallel import default_workers, die_with_parent

_PREDICTOR = None


def _score_in_worker(spec: ChunkSpec, out: Path, run_date: str) -> dict:
    return score_chunk(_PREDICTOR, spec, out, run_date)


def run_local(chunks: list[ChunkSpec], *, out: Path, model_dir: Path, run_date: str, workers: int | None,
              on_done: Callable[[dict], None], **_) -> None:
    """Chunks in parallel on forked processes sharing one loaded model; streaming, one chunk per worker."""
    global _PREDICTOR
    if not chunks:
        return
    _PREDICTOR = load_predictor(model_dir)
    workers = min(workers or default_workers(), len(chunks))
    if workers == 1:
        for spec in chunks:
            on_done(score_chunk(_PREDICTOR, spec, out, run_date))
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=die_with_parent) as pool:
        # At most 2 chunks per worker in flight: memory stays flat however large the input.
        queue = iter(chunks)
        running = {pool.submit(_score_in_worker, spec, out, run_date) for spec in islice(queue, 2 * workers)}
        while running:
            finished = next(as_completed(running))
            running.remove(finished)
            on_done(finished.result())
            running |= {pool.submit(_score_in_worker, spec, out, run_date) for spec in islice(queue, 1)}


class RayChunkScorer:
    """Ray Data actor: loads the model once, then scores and writes whole chunks."""

    def __init__(self, model_dir: str, out: str, run_date: str):
        self.predictor = load_predictor(model_dir)
        self.out, self.run_date = Path(out), run_date

    def __call__(self, batch: dict) -> dict:
        keys = list(batch)
        results = []
        for i in range(len(batch["id"])):
            values = {k: batch[k][i] for k in keys}
            spec = ChunkSpec(**{k: (v.item() if hasattr(v, "item") else v) for k, v in values.items()})
            results.append(score_chunk(self.predictor, spec, self.out, self.run_date))
        return {k: [r[k] for r in results] for k in results[0]} if results else {}


def run_ray(chunks: list[ChunkSpec], *, out: Path, model_dir: Path, run_date: str, workers: int | None,
            ray_address: str | None, on_done: Callable[[dict], None], **_) -> None:
    """A Ray Data pipeline over the chunk plan: read the plan, map_batches with a pool of
    model-holding actors that score and write Parquet parts, stream the results back."""
    if not chunks:
        return
    import ray

    if not ray.is_initialized():
        if ray_address:
            ray.init(address=ray_address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or default_workers(), include_dashboard=False, log_to_driver=False)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    actors = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    ds = ray.data.from_items([c.to_dict() for c in chunks], override_num_blocks=len(chunks))
    ds = ds.map_batches(RayChunkScorer, fn_constructor_kwargs={"model_dir": str(model_dir), "out": str(out),
                                                                "run_date": run_date},
                        batch_size=1, concurrency=min(actors, len(chunks)), num_cpus=1)
    for row in ds.iter_rows():
        on_done({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})


ENGINES = {"local": run_local, "ray": run_ray}
