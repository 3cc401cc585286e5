"""``specdsl deepcpg filter-act``: ``dcpg_filter_act.py``'s command line, on any specdsl model.

The work is :mod:`specdsl.systems.deepcpg.filter_act`; this module reads the sequences — DeepCpG
data files, or a FASTA file for models trained on other data — and names the options.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.options import HelpFormatter, ToolParser

log = logging.getLogger(__name__)
PROG = "specdsl deepcpg filter-act"

EPILOG = """\
example (DeepCpG's own command line, with its program name replaced):
  specdsl deepcpg filter-act data/c*.h5 --model_files models/dna --out_file act.h5 \\
      --nb_sample 25000 --store_inputs
  specdsl deepcpg filter-motifs act.h5 --out_dir motifs --motif_db JASPAR.meme

The model is any specdsl .keras model whose first layer after its one-hot DNA input is a Conv1D
(a 'specdsl deepcpg train' out dir or its model.keras, or a compiled spec).  A FASTA file
instead of data files gives 'names' instead of 'chromo'/'pos'; its channel order defaults to
specdsl's ACGT (--alphabet), data files' to DeepCpG's ATGC.  The file holds 'act', 'weights/*',
'inputs/dna' (--store_inputs; DeepCpG codes A0 T1 G2 C3, N kept as 4 where DeepCpG writes 0),
'chromo', 'pos', 'outputs/*', 'preds/*', as dcpg_filter_act.py writes them.  Differences:
--shuffle draws --nb_sample rows at random and keeps 'chromo'/'pos' on the same rows (DeepCpG
writes them unshuffled); --chromos is a specdsl addition; --store_preds also works for joint
models (their CpG inputs are read from the data files, cells as in 'specdsl deepcpg eval').
"""


class _Formatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """Defaults said once, and the epilog's example kept as written."""


def build_parser() -> ToolParser:
    from specdsl.systems.deepcpg.filter_act import ACT_FUNS

    p = ToolParser(PROG, "dcpg_filter_act.py", "Computes the activations of the first-layer convolution filters "
                   "of a model, for dcpg_filter_motifs.py / 'specdsl deepcpg filter-motifs'.")
    p.formatter_class = _Formatter
    p.epilog = EPILOG
    p.add_argument("data_files", nargs="+", help="DeepCpG data files, or one FASTA file")
    p.add_argument("--model_files", nargs="+", help="the model: a 'specdsl deepcpg train' out dir or a .keras file")
    p.add_argument("-o", "--out_file", default="activations.h5", help="output file")
    p.add_argument("--act_fun", choices=ACT_FUNS, help="summarise the activations of each window")
    p.add_argument("--act_wlen", type=int, help="keep only this many central activation positions")
    p.add_argument("--store_outputs", action="store_true", help="store the output labels (data files)")
    p.add_argument("--store_preds", action="store_true", help="store the model's predictions")
    p.add_argument("--store_inputs", action="store_true", help="store the DNA windows (needed by filter-motifs)")
    p.add_argument("--chromos", nargs="+", help="only these chromosomes (a specdsl addition)")
    p.add_argument("--alphabet", choices=("ATGC", "ACGT"), help="the model's one-hot channel order (default: ATGC "
                   "for DeepCpG data files, ACGT for FASTA)")
    p.add_argument("--nb_sample", type=int, help="number of windows")
    p.add_argument("--shuffle", action="store_true", help="draw the --nb_sample windows at random")
    p.add_argument("--batch_size", type=int, default=128, help="windows per batch")
    p.add_argument("--seed", type=int, default=0, help="seed of --shuffle")
    p.add_argument("--verbose", action="store_true", help="more detailed log messages")
    p.add_argument("--log_file", help="also write log messages to this file")
    return p


def _rows(counts: list[int], nb_sample: int | None, shuffle: bool, seed: int) -> list[np.ndarray]:
    """The selected rows of each file: the first ``nb_sample``, or as many drawn at random."""
    total = sum(counts)
    n = min(nb_sample or total, total)
    picked = np.sort(np.random.default_rng(seed).choice(total, n, replace=False)) if shuffle else np.arange(n)
    bounds = np.cumsum([0, *counts])
    return [picked[(picked >= lo) & (picked < hi)] - lo for lo, hi in zip(bounds[:-1], bounds[1:])]


def _is_hdf5(path: str) -> bool:
    import h5py

    try:
        return bool(h5py.is_hdf5(path))
    except OSError:
        return False


def _h5_batches(model: Any, fc: Any, args: Any, order: str) -> tuple[int, Iterator[dict[str, Any]]]:
    from specdsl.systems.deepcpg.commands.evaluate import MODEL_INPUT_FIELDS, _layout, _outputs
    from specdsl.training.readers.deepcpg_h5 import DeepCpGH5, Layout, open_h5

    files = list(args.data_files)
    width = int(model.inputs[fc.input_index].shape[1])
    counts, keep = [], []
    for path in files:
        with open_h5(path) as h5:
            if "inputs/dna" not in h5:
                raise SpecError("has no 'inputs/dna'", file=path, hint="prepare data files with DNA windows")
            if h5["inputs/dna"].shape[1] < width:
                raise SpecError(f"holds DNA windows of {h5['inputs/dna'].shape[1]} bp; the model reads {width}",
                                file=path)
            chromo = h5["chromo"][:].astype(str) if "chromo" in h5 else None
        mask = np.ones(len(chromo), bool) if chromo is not None else None
        if args.chromos and chromo is not None:
            mask = np.isin(np.char.replace(chromo, "chr", ""), [c.replace("chr", "") for c in args.chromos])
        keep.append(np.flatnonzero(mask))
        counts.append(len(keep[-1]))
    if sum(counts) == 0:
        raise SpecError("no windows on the chromosomes asked for", path="--chromos")
    rows = [k[r] for k, r in zip(keep, _rows(counts, args.nb_sample, args.shuffle, args.seed))]
    outputs = _outputs(model, files) if args.store_outputs else {}
    if args.store_preds and not outputs:
        try:  # DeepCpG's names (cpg/<cell>) where the data files hold the outputs, else the layers' names
            outputs = _outputs(model, files)
        except SpecError:
            outputs = {o: o for o in model.output_names}
    lay = _layout(model, files, args) if args.store_preds else Layout(width, None, ())
    inputs = [t.name.split(":")[0] for t in model.inputs]
    reorder = ["ATGC".index(c) for c in order]
    reader = DeepCpGH5()

    def batches() -> Iterator[dict[str, Any]]:
        for path, picked in zip(files, rows):
            for at in range(0, len(picked), args.batch_size):
                sel = picked[at:at + args.batch_size]
                lo, hi = int(sel[0]), int(sel[-1]) + 1
                names = ["dna"] + ([MODEL_INPUT_FIELDS[i] for i in inputs if i != "dna"] if args.store_preds else [])
                fields = {k: v[sel - lo] for k, v in reader.read_block(lay, path, lo, hi, names).items()}
                batch: dict[str, Any] = {"dna": fields["dna"][..., reorder]}
                with open_h5(path) as h5:
                    batch["meta"] = {k: h5[k][lo:hi][sel - lo] for k in ("chromo", "pos") if k in h5}
                    if args.store_outputs:
                        batch["outputs"] = {n: h5[f"outputs/{n}"][lo:hi][sel - lo] for n in outputs.values()}
                if args.store_preds:
                    x = {i: fields[MODEL_INPUT_FIELDS[i]] for i in inputs}
                    batch["model_inputs"] = x if len(x) > 1 else next(iter(x.values()))
                    batch["output_names"] = [outputs[o] for o in model.output_names]
                yield batch

    return sum(len(r) for r in rows), batches()


def _fasta_batches(model: Any, fc: Any, args: Any, order: str) -> tuple[int, Iterator[dict[str, Any]]]:
    from specdsl.formats.fasta import read_fasta
    from specdsl.formats.onehot_csv import encode

    if len(args.data_files) > 1:
        raise SpecError("give one FASTA file, or DeepCpG data files", file=args.data_files[1])
    for flag in ("store_outputs", "chromos"):
        if getattr(args, flag):
            raise SpecError("applies to DeepCpG data files, not to FASTA", path=f"--{flag}")
    if args.store_preds and len(model.inputs) > 1:
        raise SpecError("the model has other inputs than DNA, which a FASTA file does not hold", path="--store_preds")
    width = int(model.inputs[fc.input_index].shape[1])
    records = read_fasta(args.data_files[0])
    short = [(n, len(s)) for n, s in records if len(s) < width]
    if short:
        raise SpecError(f"record '{short[0][0]}' has {short[0][1]} bases; the model reads {width}",
                        file=args.data_files[0])
    (picked,) = _rows([len(records)], args.nb_sample, args.shuffle, args.seed)
    reorder = ["ACGT".index(c) for c in order]

    def batches() -> Iterator[dict[str, Any]]:
        for at in range(0, len(picked), args.batch_size):
            chosen = [records[i] for i in picked[at:at + args.batch_size]]
            cut = [(len(s) - width) // 2 for _, s in chosen]
            dna = np.stack([encode(s[c:c + width])[:, reorder] for (_, s), c in zip(chosen, cut)])
            batch: dict[str, Any] = {"dna": dna, "meta": {"names": np.array([n for n, _ in chosen])}}
            if args.store_preds:
                batch["model_inputs"], batch["output_names"] = dna, list(model.output_names)
            yield batch

    return len(picked), batches()


def run(args: Any) -> dict[str, Any]:
    from specdsl.backend.keras_model import load_model
    from specdsl.systems.deepcpg.commands.evaluate import model_file
    from specdsl.systems.deepcpg.filter_act import compute, first_conv

    for flag in ("batch_size", "nb_sample", "act_wlen"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            raise SpecError(f"must be a whole number ≥ 1, got {getattr(args, flag)}", path=f"--{flag}")
    path = str(model_file(args.model_files))
    model = load_model(path)
    fc = first_conv(model, path)
    fasta = not _is_hdf5(args.data_files[0])
    order = args.alphabet or ("ACGT" if fasta else "ATGC")
    total, batches = (_fasta_batches if fasta else _h5_batches)(model, fc, args, order)
    log.info("Using activation layer '%s' of convolution '%s'", fc.act_name, fc.conv.name)
    return compute(model, path, batches, total, args.out_file, order=order, act_fun=args.act_fun,
                   act_wlen=args.act_wlen, store_inputs=args.store_inputs, predict=args.store_preds)


def main(argv: list[str]) -> int:
    from specdsl.systems.deepcpg.commands.train import setup_logging

    args = build_parser().parse(argv)
    setup_logging(args.log_file, args.verbose)
    summary = run(args)
    print(f"wrote {args.out_file}: act {summary['act_shape']} from '{summary['act_layer']}'", file=sys.stderr)
    return 0


__all__ = ["build_parser", "main", "run"]
