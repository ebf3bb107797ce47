# buyintent: `make serve` sets everything up and runs the API; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The shipped default model: the folder models/artifacts/DEFAULT names (`make choose-default`).
MODEL := models/artifacts/$(shell cat models/artifacts/DEFAULT 2>/dev/null || echo buyintent-ensemble)
LINEAR := runs/linear
# Local development key (issue 4 makes /v1 require it); never use it outside your machine.
export BUYINTENT_API_KEYS ?= dev:buyintent-dev-key

.PHONY: install serve test data train model bench bench-features bench-batch evaluate falsealarms loadtest clean \
	pretrain train-transformer train-random train-ensemble choose-default bench-transformer parity

$(BIN)/buyintent: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/buyintent
	@test -f $(MODEL)/manifest.json || $(MAKE) model

serve: install
	$(BIN)/buyintent serve --host 127.0.0.1 --port 8000

test: $(BIN)/buyintent
	$(BIN)/python -m pytest

data: $(BIN)/buyintent
	$(BIN)/buyintent data build --config configs/data.yaml

train: $(BIN)/buyintent
	$(BIN)/buyintent train --config configs/linear.yaml

# The default model, rebuilt from the configs when the shipped one is missing: the data
# build, the linear member, the offline encoder (about 40 minutes on 2 cores), the
# transformer member, the ensemble, and the choice by evidence on dev.jsonl.
model: data train pretrain train-transformer train-ensemble choose-default

# The transformer path (issue 3), in order. pretrain resumes from its last checkpoint:
# run it again (or raise max_steps in configs/pretrain.yaml) to continue a stopped run.
pretrain: $(BIN)/buyintent
	$(BIN)/buyintent pretrain --config configs/pretrain.yaml

train-transformer: $(BIN)/buyintent
	$(BIN)/buyintent train --config configs/transformer.yaml

# The control: same architecture and tokenizer, random initial weights.
train-random: $(BIN)/buyintent
	$(BIN)/buyintent train --config configs/transformer.yaml --set model.init=random \
		--set output_dir=runs/transformer-random --set name=buyintent-transformer-random

train-ensemble: $(BIN)/buyintent
	$(BIN)/buyintent train --config configs/ensemble.yaml

# The default model by evidence: best dev intent macro-F1 with single-comment p99 < 20 ms.
choose-default: $(BIN)/buyintent
	$(BIN)/buyintent choose-default --data ../shared/data/dev.jsonl --install \
		--candidate $(LINEAR) --candidate runs/transformer --candidate runs/ensemble

# Plain transformers pipeline vs our torch and ONNX int8 predictors, batch 1/8/64.
bench-transformer: install
	$(BIN)/buyintent bench --suite transformer --model runs/transformer --rows 5000

# ONNX fp32 vs torch probabilities and int8 vs fp32 intents on dev.jsonl.
parity: install
	$(BIN)/python -m training.parity --model runs/transformer --data ../shared/data/dev.jsonl

evaluate: install
	$(BIN)/buyintent evaluate --model $(MODEL) --data ../shared/data/dev.jsonl --out reports/dev

falsealarms: install
	$(BIN)/buyintent falsealarms --model $(MODEL) --data data/build/realtext_holdout.jsonl

bench: install
	$(BIN)/buyintent bench --rows 100000

# The featurizer's numpy n-gram counting vs sklearn's transforms, same process.
bench-features: install
	$(BIN)/python -m serving.bench_features

# Batch job on 100,000 and 1,000,000 synthetic comments: local vs Ray engine, peak memory.
bench-batch: install
	$(BIN)/python -m serving.bench_batch --rows 1000000 --small-rows 100000

# 32 concurrent clients for 60 s, micro-batching on vs off (uses wrk when installed).
loadtest: install
	$(BIN)/python -m serving.loadtest --duration 60 --concurrency 32

clean:
	rm -rf $(VENV) data/build reports
