# specdsl: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    := out

.PHONY: setup demo test lint bench docs clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/specdsl presets
	$(BIN)/specdsl params CnnL2h128
	$(BIN)/specdsl compile CnnL2h128 -o $(OUT)/CnnL2h128.keras
	$(BIN)/specdsl inspect $(OUT)/CnnL2h128.keras
	$(BIN)/specdsl make-data --train $(OUT)/demo/train.h5 --val $(OUT)/demo/val.h5 \
		--input-length 354 --output-length 250 --max-jitter 16 --tasks 2
	$(BIN)/specdsl train examples/bpnet_demo.json
	$(BIN)/specdsl plot $(OUT)/demo/bpnet.history.json -o $(OUT)/demo/loss.png

test: $(STAMP)
	$(BIN)/ruff check specdsl tests benchmarks
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

docs: $(STAMP)
	$(BIN)/python -m specdsl.docgen

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache
