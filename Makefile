# specdsl: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    := out
DCPG   := $(OUT)/deepcpg-demo
WS     := $(OUT)/workshop
TQ     := $(OUT)/tranquillyzer-demo
CF     := $(OUT)/capfinder-demo

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
	@echo "== BPReveal: genome tracks from the trained BPNet (tile-genome, predict, tracks) =="
	$(BIN)/specdsl make-data --genome $(OUT)/demo/genome.fa
	$(BIN)/specdsl bpreveal tile-genome --genome $(OUT)/demo/genome.fa --all-chroms --input-length 354 \
		--output-length 250 --chrom-edge-boundary 0 --spacing 0 --output-bed $(OUT)/demo/tiles.bed
	$(BIN)/specdsl predict $(OUT)/demo/bpnet.keras --bed $(OUT)/demo/tiles.bed --genome $(OUT)/demo/genome.fa \
		-o $(OUT)/demo/preds.h5
	$(BIN)/specdsl tracks $(OUT)/demo/preds.h5 -o $(OUT)/demo/tracks
	@echo "== BPReveal: which bases drive the profiles (DeepLIFT-SHAP, interpretFlat's file, a contribution bigWig) =="
	$(BIN)/specdsl interpret $(OUT)/demo/bpnet.keras --bed $(OUT)/demo/tiles.bed --genome $(OUT)/demo/genome.fa \
		--shuffles 8 -o $(OUT)/demo/scores.h5
	$(BIN)/specdsl bpreveal shap-to-bigwig --h5 $(OUT)/demo/scores.h5 --bw $(OUT)/demo/contributions.bw --verbose
	@echo "== DeepCpG: dcpg_data.py, dcpg_train.py, dcpg_eval.py command lines on synthetic cells =="
	$(BIN)/specdsl make-data deepcpg --out $(DCPG) --sites 4000 --cells 3
	$(BIN)/specdsl deepcpg data --cpg_profiles $(DCPG)/cpg/*.tsv --dna_files $(DCPG)/dna \
		--dna_wlen 101 --cpg_wlen 50 --out_dir $(DCPG)/data
	$(BIN)/specdsl deepcpg train $(DCPG)/data/c1_*.h5 $(DCPG)/data/c2_*.h5 --val_files $(DCPG)/data/c3_*.h5 \
		--dna_model CnnL1h128 --cpg_model RnnL1 --joint_model JointL1h512 \
		--nb_epoch 4 --learning_rate 0.002 --l1_decay 0 --l2_decay 0 --batch_size 64 -o $(DCPG)/model
	$(BIN)/specdsl presets examples/my_models.spec
	$(BIN)/specdsl train examples/spec_file_train.json
	$(BIN)/specdsl deepcpg eval $(DCPG)/data/c3_*.h5 --model_files $(DCPG)/model \
		--out_report $(DCPG)/eval/report.tsv --out_data $(DCPG)/eval/data.h5
	$(BIN)/specdsl deepcpg eval-export $(DCPG)/eval/data.h5 -o $(DCPG)/eval/profiles -f bedGraph
	@echo "== Workshop: TB drug resistance from one-hot DNA (bam2oh.py, inh_model.py, full_model.py) =="
	$(BIN)/specdsl make-data workshop --out $(WS) --isolates 600 --bams 1
	for bam in $(WS)/bam/*.bam; do \
		$(BIN)/specdsl workshop bam2oh $$bam --regions $(WS)/regions.csv --output $(WS)/$$(basename $$bam .bam)_oh.csv \
		|| exit 1; done
	$(BIN)/specdsl onehot $(WS)/isolates/test.fa -o $(WS)/onehot/test
	$(BIN)/specdsl workshop inh-model -lr 0.001 -dr 0.2
	$(BIN)/specdsl workshop full-model -lr 0.001 -dr 0.2
	$(BIN)/specdsl workshop full-model -i $(WS)/*_oh.csv -v -o $(WS)/drug_predictions.csv
	$(BIN)/specdsl evaluate $(WS)/full/TB-model.keras $(WS)/onehot/test --labels $(WS)/isolates/test.labels.csv \
		-o $(WS)/eval/test
	@echo "== tranquillyzer: simulate-data, train-model (a small layout, 2 epochs), annotate =="
	$(BIN)/specdsl tranquillyzer simulate-data 10x3p_sc_ont $(TQ) --num-reads 1500 --min-cDNA 50 --max-cDNA 150 \
		--seed 1 --fasta
	$(BIN)/specdsl tranquillyzer train-model 10x3p_sc_ont $(TQ) --param-file examples/tranquillyzer_small_params.tsv \
		--min-cDNA 50 --max-cDNA 150
	$(BIN)/specdsl annotate $(TQ)/10x3p_sc_ont_0 $(TQ)/simulated_data/reads.fasta.gz -o $(TQ)/annotations.tsv
	head -n 8 $(TQ)/annotations.tsv
	@echo "== tranquillyzer: demultiplex fresh reads of 20 cells (a whitelist, barcode correction, reads per cell) =="
	$(BIN)/specdsl tranquillyzer simulate-data 10x3p_sc_ont $(TQ)/cells --num-reads 300 --min-cDNA 50 --max-cDNA 150 \
		--seed 2 --num-cells 20 --fasta --mismatch-rate 0.01 --insertion-rate 0.01 --deletion-rate 0.01
	$(BIN)/specdsl annotate $(TQ)/10x3p_sc_ont_0 $(TQ)/cells/simulated_data/reads.fasta.gz \
		--whitelist $(TQ)/cells/simulated_data/barcodes.tsv -o $(TQ)/demux
	head -n 6 $(TQ)/demux/cellId_readCount.tsv
	@echo "== Capfinder: a search space in the language, then train-model from a Capfinder config, predict =="
	$(BIN)/specdsl space 'conv[{16,32}@{3,5,7},pad=same]_mp[2]_{1..2}x(lstm[{16..64:16},seq=yes])_gap_dense[4,act=softmax]' \
		--input 200x1 --limit 4
	$(BIN)/specdsl make-data capfinder --out $(CF)/caps --reads 400 --seed 1
	$(BIN)/specdsl capfinder train-model --config_file examples/capfinder_demo.json
	$(BIN)/specdsl predict $$(ls -t $(CF)/run/best_model/classifier/*.keras | head -n 1) $(CF)/caps/data__cap_2.csv \
		-o $(CF)/predictions.csv
	head -n 4 $(CF)/predictions.csv

test: $(STAMP)
	$(BIN)/ruff check specdsl tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/pytest -n auto --dist loadfile --no-loadscope-reorder  # one worker per core; a file stays on one worker (its trained fixtures run once); the longest files first (tests/conftest.py)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

docs: $(STAMP)
	$(BIN)/python -m specdsl.docgen

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache
