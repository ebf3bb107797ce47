"""The one `buyintent` command line. Commands are thin: each parses options and calls a function.

Heavy imports live inside the commands so `buyintent --help` is instant.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from serving.logs import setup_logging

app = typer.Typer(help="buyintent: purchase intent, diversion and product mentions in Chinese comments.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Build training data.", no_args_is_help=True)
app.add_typer(data_app, name="data")

ConfigOpt = typer.Option(..., "--config", "-c", help="YAML config file.")
SetOpt = typer.Option(None, "--set", help="Override a config value: --set intent.C=2 (repeatable).")
ModelOpt = typer.Option(None, "--model", "-m", help="Model folder (default: BUYINTENT_MODEL or the shipped model).")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _run(fn):
    """Run a command body, turning expected failures into one clear line instead of a trace."""
    from models.artifact import ArtifactError
    from serving.rows import InputError
    from training.config import ConfigError
    from training.records import RecordError

    try:
        return fn()
    except (ArtifactError, ConfigError, InputError, RecordError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))


def _load(model: Optional[Path]):
    from models.predictor import load_predictor

    return load_predictor(model)


@data_app.command("build")
def data_build(config: Path = ConfigOpt, set_: Optional[list[str]] = SetOpt) -> None:
    """Build the labeled training set and its data card."""
    from training.build import build_dataset
    from training.config import DataConfig, load_config

    def body():
        cfg = load_config(config, DataConfig, set_)
        card = build_dataset(cfg)
        typer.echo(f"wrote {card['n']} examples to {cfg.output_dir} "
                   f"(train {card['by_split'].get('train', 0)}, validation {card['by_split'].get('validation', 0)})")
        typer.echo(f"by intent: {card['by_intent']}")
        typer.echo(f"data card: {Path(cfg.output_dir) / 'DATA_CARD.md'}")

    _run(body)


@data_app.command("synth")
def data_synth(rows: int = typer.Option(..., min=1, help="Comments to generate."),
               notes: int = typer.Option(..., min=1, help="Notes they are spread over."),
               out: Path = typer.Option(..., "--out", help="Output file: .jsonl, .csv or .parquet."),
               seed: int = typer.Option(7), bad_fraction: float = typer.Option(0.0, min=0.0, max=1.0,
                                                                                help="Share of malformed rows.")) -> None:
    """Generate a realistic synthetic comment dump (for tests and benchmarks)."""
    from training.synth import write_synth

    _run(lambda: typer.echo(f"wrote {rows} comments over {notes} notes to "
                            f"{write_synth(out, rows, notes, seed=seed, bad_fraction=bad_fraction)}"))


@app.command()
def train(config: Path = ConfigOpt, set_: Optional[list[str]] = SetOpt) -> None:
    """Train a model (kind linear, transformer or ensemble, from the config) and save its folder."""
    from training.metrics import format_metrics
    from training.train import train_from_config

    def body():
        output_dir, metrics = train_from_config(config, set_)
        typer.echo(f"saved {output_dir}; validation metrics:")
        typer.echo(format_metrics(metrics))

    _run(body)


@app.command("choose-default")
def choose_default(candidate: list[Path] = typer.Option(..., "--candidate", help="Model folder (repeatable)."),
                   data: Path = typer.Option(..., "--data", "-d", help="Labeled JSONL never trained on (dev)."),
                   max_p99_ms: float = typer.Option(20.0, help="Single-comment latency limit."),
                   install: bool = typer.Option(False, help="Copy the winner under models/artifacts/ and make it "
                                                            "the default (models/artifacts/DEFAULT)."),
                   ) -> None:
    """Pick the default model: best intent macro-F1 on --data among candidates under the latency limit."""
    from training.select_default import choose_default as choose, install_default

    def body():
        evidence = choose(candidate, data, max_p99_ms=max_p99_ms)
        for row in evidence["candidates"]:
            typer.echo(json.dumps(row, ensure_ascii=False))
        typer.echo(f"chosen: {evidence['chosen']}")
        if install:
            typer.echo(f"installed {install_default(evidence)} as the default model")

    _run(body)


@app.command()
def pretrain(config: Path = ConfigOpt, set_: Optional[list[str]] = SetOpt,
             max_minutes: Optional[float] = typer.Option(None, min=0.1, help="Stop (with a checkpoint) after this long."),
             ) -> None:
    """Pretrain (or resume) the offline character encoder; Ctrl-C or SIGTERM stop with a checkpoint."""
    from training.config import PretrainConfig, load_config
    from training.pretrain import pretrain as run_pretrain

    def body():
        cfg = load_config(config, PretrainConfig, set_)
        folder = run_pretrain(cfg, max_minutes=max_minutes)
        card = json.loads((folder / "pretrain.json").read_text())
        last = card["evals"][-1]
        typer.echo(f"encoder at {folder}: step {card['step']}, held-out masked accuracy "
                   f"{last['masked_accuracy']:.3f}, [UNK] rate on dev {card['unk_rate_dev']}")

    _run(body)


@app.command()
def score(input: Path = typer.Option(..., "--input", "-i", help="JSONL, CSV or Parquet with id, text, optional note."),
          output: Path = typer.Option(..., "--output", "-o", help="JSONL, one result per input row, in order."),
          model: Optional[Path] = ModelOpt,
          rejects: Optional[Path] = typer.Option(None, help="Where bad rows go (default OUTPUT.rejects.jsonl)."),
          batch_size: int = typer.Option(1024, min=1, help="Comments per model call."),
          workers: Optional[int] = typer.Option(None, min=1, help="Scoring processes (default: all cores)."),
          progress: bool = typer.Option(True, help="Progress bar on stderr.")) -> None:
    """Score a file of comments."""
    from serving.parallel import default_workers
    from serving.score import score_file

    def body():
        predictor = _load(model)
        summary = score_file(input, output, predictor, rejects_path=rejects, batch_size=batch_size,
                             workers=workers or default_workers(), progress=progress)
        typer.echo(summary.line(), err=True)

    _run(body)


@app.command()
def evaluate(model: Optional[Path] = ModelOpt,
             data: Path = typer.Option(..., "--data", "-d", help="Labeled JSONL (LABELING.md)."),
             out: Path = typer.Option(Path("reports/eval"), "--out", help="Folder for metrics and plots.")) -> None:
    """Official metrics (as ../shared/data/referee.py), confusion matrix and per-domain table."""
    from training.evaluate import evaluate as run_eval
    from training.metrics import format_metrics

    def body():
        metrics = run_eval(_load(model), data, out)
        typer.echo(format_metrics(metrics))
        typer.echo("\nper domain:")
        keys = list(metrics["per_domain"][0])
        typer.echo("  ".join(f"{k:>18}" for k in keys))
        for row in metrics["per_domain"]:
            typer.echo("  ".join(f"{row[k]!s:>18}" for k in keys))
        typer.echo(f"\nwrote {out}/metrics.json, per_domain.csv, confusion_matrix.png, predictions.jsonl")

    _run(body)


@app.command()
def falsealarms(model: Optional[Path] = ModelOpt,
                data: Path = typer.Option(Path("data/build/realtext_holdout.jsonl"), "--data", "-d",
                                          help="Held-out real posts (written by `data build`).")) -> None:
    """Share of real posts (never trained on) predicted ask_* or spam, per corpus."""
    from training.evaluate import false_alarms

    def body():
        for key, r in false_alarms(_load(model), data).items():
            typer.echo(f"{key:<28} n={r['n']:>6}  ask_*={r['ask_rate']:.2%}  spam={r['spam_rate']:.2%}  "
                       f"any buying={r['buying_rate']:.2%}")

    _run(body)


@app.command()
def baselines(data: Path = typer.Option(..., "--data", "-d", help="Labeled JSONL to score."),
              seed_dir: Path = typer.Option(Path("../shared/data/train_seed"), help="Training data of the plain model.")) -> None:
    """Official metrics of two reference baselines: keyword rules and a plain char n-gram model."""
    from training.baselines import baseline_predictors
    from training.evaluate import predict_records, read_jsonl
    from training.metrics import HEADLINE, referee_metrics

    def body():
        gold = read_jsonl(data)
        for predictor in baseline_predictors(seed_dir):
            preds = {p["id"]: p for p in predict_records(predictor, gold)}
            m = referee_metrics({g["id"]: g for g in gold}, preds)
            typer.echo(f"{predictor.name:<26}" + "  ".join(f"{k}={m[k]:.4f}" for k in HEADLINE))

    _run(body)


@app.command()
def bench(rows: Optional[int] = typer.Option(None, min=1, help="Comments (default 100,000 for scoring, "
                                                                  "5,000 for transformer)."),
          model: Optional[Path] = ModelOpt,
          batch_size: int = typer.Option(1024, min=1, help="Scoring suite: comments per model call."),
          suite: str = typer.Option("scoring", help="scoring: `buyintent score` throughput, 1 process vs all "
                                                    "cores. transformer: plain pipeline vs torch vs ONNX int8 "
                                                    "predictor at batch sizes 1, 8, 64 (--model: a transformer "
                                                    "folder with torch weights)."),
          ) -> None:
    """Benchmarks that print one JSON line per measurement; nothing here gates CI."""
    def body():
        if suite == "scoring":
            from serving.bench import bench_score

            results = bench_score(rows or 100_000, model, batch_size=batch_size)
        elif suite == "transformer":
            from serving.bench_transformer import bench_transformer

            if model is None:
                raise ValueError("--model: the transformer suite needs a transformer folder, e.g. runs/transformer")
            results = bench_transformer(model, rows=rows or 5000)
        else:
            raise ValueError(f"--suite: {suite!r} is not one of scoring, transformer")
        for r in results:
            typer.echo(json.dumps(r, ensure_ascii=False))

    _run(body)


@app.command()
def batch(input: Path = typer.Option(..., "--input", "-i", help="JSONL, CSV or Parquet file, or a folder of them."),
          output: Path = typer.Option(..., "--output", "-o", help="Output folder (Parquet parts, _MANIFEST.json)."),
          engine: str = typer.Option("local", help="local (this machine's cores) or ray."),
          ray_address: Optional[str] = typer.Option(None, help="Existing Ray cluster (default: a local Ray)."),
          date: Optional[str] = typer.Option(None, help="Run date YYYY-MM-DD stamped on every row (default: today, UTC)."),
          model: Optional[Path] = ModelOpt,
          chunk_rows: int = typer.Option(20_000, min=1, help="Rows per chunk: the unit of parallelism and resume."),
          workers: Optional[int] = typer.Option(None, min=1, help="Processes or Ray actors (default: all cores)."),
          progress: bool = typer.Option(True, help="Progress bar on stderr.")) -> None:
    """Score a comment dump into Parquet exactly once; rerun the same command to resume after a crash."""
    from models.predictor import default_model_dir
    from serving.batch_job import BatchError, run_batch

    def body():
        try:
            m = run_batch(input, output, model_dir=model or default_model_dir(), engine=engine, run_date=date,
                          chunk_rows=chunk_rows, workers=workers, ray_address=ray_address, progress=progress,
                          log=lambda msg: typer.echo(msg, err=True))
        except BatchError as exc:
            _fail(str(exc))
        typer.echo(f"{m['output_rows']} rows scored, {m['rejected_rows']} rejected, {m['chunks']} chunks -> "
                   f"{output}/_MANIFEST.json", err=True)

    _run(body)


@app.command()
def report(scored: Path = typer.Option(..., "--scored", help="Output folder of `buyintent batch`."),
           out: Path = typer.Option(..., "--out", help="Folder for CSV, PNG charts and index.html.")) -> None:
    """Unmet demand, top products and moderation hot spots from a scored dump."""
    from serving.report import build_report

    _run(lambda: typer.echo(f"wrote {build_report(scored, out)}"))


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Interface to bind."),
          port: int = typer.Option(8000, help="Port."),
          model: Optional[Path] = ModelOpt,
          workers: Optional[int] = typer.Option(None, min=1, help="Worker processes (default: setting `workers`).")) -> None:
    """Run the HTTP API."""
    import os

    import uvicorn

    from models.artifact import read_manifest
    from serving.settings import get_settings

    if model is not None:
        os.environ["BUYINTENT_MODEL"] = str(model)
    settings = get_settings()
    # Refuse to start on a missing or incompatible model, with one clear line.
    _run(lambda: read_manifest(settings.model))
    # access_log=False: serving/metrics.py logs each request with its caller instead.
    uvicorn.run("serving.app:create_app", factory=True, host=host, port=port, workers=workers or settings.workers,
                access_log=False)


def main() -> None:
    setup_logging()
    app()


if __name__ == "__main__":
    main()
