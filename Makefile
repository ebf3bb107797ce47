# buyintent: `make serve` sets everything up and runs the API; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MODEL := models/artifacts/buyintent-linear
# Local development key (issue 4 makes /v1 require it); never use it outside your machine.
export BUYINTENT_API_KEYS ?= dev:buyintent-dev-key

.PHONY: install serve test data train model bench bench-batch evaluate falsealarms loadtest clean

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

# The default model: built from the configs when the shipped one is missing.
model: data train

evaluate: install
	$(BIN)/buyintent evaluate --model $(MODEL) --data ../shared/data/dev.jsonl --out reports/dev

falsealarms: install
	$(BIN)/buyintent falsealarms --model $(MODEL) --data data/build/realtext_holdout.jsonl

bench: install
	$(BIN)/buyintent bench --rows 100000

# Batch job on 100,000 and 1,000,000 synthetic comments: local vs Ray engine, peak memory.
bench-batch: install
	$(BIN)/python -m serving.bench_batch --rows 1000000 --small-rows 100000

# 32 concurrent clients for 60 s, micro-batching on vs off (uses wrk when installed).
loadtest: install
	$(BIN)/python -m serving.loadtest --duration 60 --concurrency 32

clean:
	rm -rf $(VENV) data/build reports
