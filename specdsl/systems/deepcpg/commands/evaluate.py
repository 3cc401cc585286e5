"""``specdsl deepcpg eval``: DeepCpG's ``dcpg_eval.py`` command line, unchanged, on specdsl.

Predicts every site of the data files, observed or not (the imputation DeepCpG is used
for), and reports per output AUC, ACC, TPR, TNR, F1, MCC and the number of observed sites,
on observed labels only (:mod:`specdsl.training.metrics`).  As dcpg_eval does, metrics are computed
over blocks of ``--eval_size`` sites and averaged.  ``--out_data`` is dcpg_eval's layout
(``chromo``, ``pos``, ``outputs/cpg/<cell>``, ``preds/cpg/<cell>``), streamed to disk so a
whole genome evaluates in bounded memory.  The model is a ``model.keras`` written by
``specdsl deepcpg train`` (``--model_files`` may name its out dir); the cells feeding the CpG
inputs are chosen from the data files (``--replicate_names``/``--nb_replicate``), as DeepCpG does.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.options import ToolParser
from specdsl.systems.deepcpg.commands.train import setup_logging

MODEL_INPUT_FIELDS = {"dna": "dna", "cpg_state": "cpg/state", "cpg_dist": "cpg/dist"}
PREDICT_ROWS = 4096  # sites per predict call: few calls per genome, ≈65 MB of 1001-bp windows at most


class BlockScores:
    """dcpg_eval.py's metric blocks: scores over every ``eval_size`` sites (0: all at once), averaged later.

    Blocks are cut at exactly ``eval_size`` sites, whatever size the predictions arrive in.
    """

    def __init__(self, outputs: list[str], eval_size: int) -> None:
        self.outputs = outputs
        self.eval_size = eval_size
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.count = 0
        self.blocks: list[dict[str, dict[str, float]]] = []

    def add(self, labels: np.ndarray, preds: np.ndarray) -> None:
        self.pending.append((labels, preds))
        self.count += len(labels)
        if self.eval_size <= 0 or self.count < self.eval_size:
            return
        labels_all = np.concatenate([p[0] for p in self.pending])
        preds_all = np.concatenate([p[1] for p in self.pending])
        start = 0
        while self.count - start >= self.eval_size:
            self._score(labels_all[start:start + self.eval_size], preds_all[start:start + self.eval_size])
            start += self.eval_size
        self.pending = [(labels_all[start:], preds_all[start:])] if start < self.count else []
        self.count -= start

    def _score(self, labels: np.ndarray, preds: np.ndarray) -> None:
        from specdsl.training.metrics import binary_metrics

        self.blocks.append({name: binary_metrics(labels[:, i], preds[:, i]) for i, name in enumerate(self.outputs)})

    def finish(self) -> list[dict[str, dict[str, float]]]:
        if self.count:
            self._score(np.concatenate([p[0] for p in self.pending]), np.concatenate([p[1] for p in self.pending]))
            self.pending, self.count = [], 0
        return self.blocks


def build_parser() -> ToolParser:
    p = ToolParser("specdsl deepcpg eval", "dcpg_eval.py", "Evaluates a DeepCpG model and imputes every site.")
    p.add_argument("data_files", nargs="+", help="data files to evaluate")
    p.add_argument("--model_files", nargs="+", help="the trained model: an out dir of 'specdsl deepcpg train' or "
                                                    "its model.keras")
    p.add_argument("-o", "--out_report", help="TSV report of the metrics")
    p.add_argument("--out_data", help="HDF5 file of labels and predictions")
    p.add_argument("--replicate_names", nargs="+", help="regexes selecting the cells of the CpG inputs")
    p.add_argument("--nb_replicate", type=int, help="maximum number of cells")
    p.add_argument("--eval_size", type=int, default=100000, help="sites per metric block (0: all at once)")
    p.add_argument("--batch_size", type=int, default=128, help="sites per batch")
    p.add_argument("--seed", type=int, default=0, help="accepted; missing neighbours are not sampled in specdsl")
    p.add_argument("--nb_sample", type=int, help="evaluate only the first N sites")
    p.add_argument("--verbose", action="store_true", help="more detailed log messages")
    p.add_argument("--log_file", help="also write log messages to this file")
    return p


def model_file(values: list[str] | None) -> Path:
    if not values:
        raise SpecError("no model given", path="--model_files", hint="--model_files OUT_DIR of 'specdsl deepcpg train'")
    path = Path(values[0])
    model = path / "model.keras" if path.is_dir() else path
    if not model.is_file():
        raise SpecError(f"no trained model at {model}", path="--model_files")
    return model


def _layout(model: Any, files: list[str], args: Any) -> Any:
    from specdsl.training.readers.deepcpg_h5 import DeepCpGH5, Layout, open_h5

    shapes = {t.name.split(":")[0]: tuple(t.shape[1:]) for t in model.inputs}
    unknown = sorted(set(shapes) - set(MODEL_INPUT_FIELDS))
    if unknown:
        raise SpecError(f"the model has input '{unknown[0]}', which DeepCpG data files do not feed",
                        path="--model_files", expected="a model trained by 'specdsl deepcpg train'")
    cells: tuple[str, ...] = ()
    cpg_wlen = None
    if "cpg_state" in shapes:
        cells = tuple(DeepCpGH5.select_cells(DeepCpGH5.cells_of(files[0]), args.replicate_names, args.nb_replicate))
        if len(cells) != shapes["cpg_state"][0]:
            raise SpecError(f"the model reads {shapes['cpg_state'][0]} cells, but {len(cells)} are selected in "
                            f"{files[0]}", path="--replicate_names",
                            hint="select the cells the model was trained with (--replicate_names/--nb_replicate)")
        cpg_wlen = int(shapes["cpg_state"][1])
    dna_wlen = int(shapes["dna"][0]) if "dna" in shapes else None
    with open_h5(files[0]) as h5:
        widths = {"dna": h5["inputs/dna"].shape[1] if "inputs/dna" in h5 else 0,
                  "cpg": h5[f"inputs/cpg/{cells[0]}/state"].shape[1] if cells else 0}
    for what, need, have in (("DNA windows", dna_wlen, widths["dna"]), ("CpG neighbours", cpg_wlen, widths["cpg"])):
        if need is not None and have < need:
            raise SpecError(f"the model reads {what} of {need}, but {files[0]} holds {have}", file=files[0],
                            hint="evaluate on files prepared with the windows the model was trained on")
    return Layout(dna_wlen, cpg_wlen, cells)


def _outputs(model: Any, files: list[str]) -> dict[str, str]:
    """Model output layer → DeepCpG output name (``cpg_BS27`` → ``cpg/BS27``), found in the data."""
    from specdsl.training.heads import layer_name
    from specdsl.training.readers.deepcpg_h5 import DeepCpGH5

    names = {layer_name(n): n for n in DeepCpGH5.outputs_of(files[0])}
    missing = [o for o in model.output_names if o not in names]
    if len(missing) == len(model.output_names):
        raise SpecError(f"the model's outputs ({', '.join(model.output_names)}) are not DeepCpG cell outputs",
                        path="--model_files", hint="evaluate a model trained by 'specdsl deepcpg train' (or a "
                        "specdsl-train config with a binary head over cpg/.*)")
    if missing:
        raise SpecError(f"the model predicts '{missing[0]}', which {files[0]} does not hold", file=files[0],
                        hint="evaluate on files with the same cells the model was trained on")
    return {o: names[o] for o in model.output_names}


def evaluate(args: Any) -> dict[str, dict[str, float]]:
    from specdsl.backend.keras_model import load_model
    from specdsl.systems.deepcpg.evaluation import EvalDataWriter, write_eval_report
    from specdsl.training.metrics import average_blocks
    from specdsl.training.readers.deepcpg_h5 import DeepCpGH5, open_h5

    for flag in ("batch_size", "nb_sample", "nb_replicate"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise SpecError(f"must be a whole number ≥ 1, got {getattr(args, flag)}", path=f"--{flag}")
    if args.eval_size < 0:
        raise SpecError(f"must be ≥ 0 (0: all sites at once), got {args.eval_size}", path="--eval_size")
    for flag, target in (("--out_report", args.out_report), ("--out_data", args.out_data)):
        if target and Path(target).is_dir():
            raise SpecError("is a folder; give a file name", path=flag, file=target)
    files = list(args.data_files)
    for f in files:
        open_h5(f).close()
    model = load_model(model_file(args.model_files))
    lay = _layout(model, files, args)
    outputs = _outputs(model, files)
    inputs = [t.name.split(":")[0] for t in model.inputs]
    reader = DeepCpGH5()
    writer = EvalDataWriter(args.out_data) if args.out_data else None
    limit = args.nb_sample or float("inf")
    scores = BlockScores(list(outputs.values()), args.eval_size)
    seen = 0
    try:
        for path in files:
            with open_h5(path) as h5:
                n = int(h5["pos"].shape[0])
                chromo_all, pos_all = h5["chromo"][:], h5["pos"][:]
                labels_all = {name: np.asarray(h5[f"outputs/{name}"][:]) for name in outputs.values()}
            for start in range(0, n, PREDICT_ROWS):
                stop = int(min(n, start + PREDICT_ROWS, start + limit - seen))
                if stop <= start:
                    break
                fields = reader.read_block(lay, path, start, stop, [MODEL_INPUT_FIELDS[i] for i in inputs])
                x = {i: fields[MODEL_INPUT_FIELDS[i]] for i in inputs}
                pred = model.predict(x if len(x) > 1 else next(iter(x.values())), batch_size=args.batch_size,
                                     verbose=0)
                pred = np.hstack([np.asarray(p).reshape(stop - start, -1) for p in (pred if isinstance(pred, list)
                                                                                     else [pred])])
                labels = np.stack([labels_all[name][start:stop] for name in outputs.values()], axis=1)
                if writer is not None:
                    writer.append(chromo_all[start:stop], pos_all[start:stop],
                                  {name: labels[:, i] for i, name in enumerate(outputs.values())},
                                  {name: pred[:, i] for i, name in enumerate(outputs.values())})
                scores.add(labels.astype(np.float64), pred.astype(np.float64))
                seen += stop - start
            if seen >= limit:
                break
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    report = average_blocks(scores.finish())
    if args.out_report:
        write_eval_report(args.out_report, report)
    return report


def main(argv: list[str]) -> int:
    from specdsl.training.metrics import report_table

    args = build_parser().parse(argv)
    setup_logging(args.log_file, args.verbose)
    report = evaluate(args)
    print(report_table(report))
    written = [p for p in (args.out_report, args.out_data) if p]
    if written:
        print("wrote " + " and ".join(written), file=sys.stderr)
    return 0
