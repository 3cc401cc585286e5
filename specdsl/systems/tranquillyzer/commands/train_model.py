"""``specdsl tranquillyzer train-model MODEL_NAME OUTPUT_DIR``: tranquillyzer's command line, unchanged.

Reads the simulated reads of ``OUTPUT_DIR/simulated_data/`` (``reads.h5`` from ``specdsl
tranquillyzer simulate-data``, or tranquillyzer's own ``reads.pkl``/``labels.pkl``, converted
once with an unpickler that admits only lists and strings), the model's column of
``training_params.tsv`` (``--param-file``) and its seq order, then trains every variant of the
grid through the normal run (:mod:`specdsl.systems.tranquillyzer.training`) into
``OUTPUT_DIR/<model>_<idx>/`` and draws each one's validation picture from freshly simulated
reads (the validation-simulation options).  tranquillyzer's GPU batch-size options are accepted
and have no effect (its v0.2.2 train-model ignores them too); ``--resume`` (specdsl) continues an
interrupted grid: finished variants are kept, an interrupted one resumes from its backup.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from specdsl.errors import SpecError
from specdsl.options import ToolParser
from specdsl.systems.tranquillyzer.commands.common import add_simulation_options, simulation_options
from specdsl.systems.tranquillyzer.params import read_grid
from specdsl.systems.tranquillyzer.seq_orders import SeqOrder, seq_order
from specdsl.systems.tranquillyzer.training import (
    prefix,
    validation_picture,
    variant_ir,
    write_before,
    write_history_tsv,
)

PROG = "specdsl tranquillyzer train-model"


def build_parser() -> ToolParser:
    p = ToolParser(PROG, "tranquillyzer train-model", "Trains every variant of a model's parameter grid on the "
                   "simulated reads (tranquillyzer train-model).")
    p.add_argument("model_name", metavar="MODEL_NAME", help="a column of the params file and a row of the seq orders")
    p.add_argument("output_dir", metavar="OUTPUT_DIR", help="holds simulated_data/; each variant goes to "
                                                            "OUTPUT_DIR/<model>_<idx>/")
    p.add_argument("--param-file", metavar="TSV", help="training_params.tsv; default: the one tranquillyzer ships")
    add_simulation_options(p, 20, "--num-val-reads", 2)
    for flag, kind, default, why in (("--gpu-mem", str, None, "GPU memory in GB"),
                                     ("--target-tokens", int, 1_200_000, "tokens per GPU replica"),
                                     ("--vram-headroom", float, 0.35, "GPU memory kept free"),
                                     ("--min-batch-size", int, 1, "smallest inference batch"),
                                     ("--max-batch-size", int, 2000, "largest inference batch")):
        p.add_argument(flag, type=kind, default=default, help=f"accepted, no effect ({why}; tranquillyzer v0.2.2 "
                                                              "train-model does not use it either)")
    p.add_argument("--seed", type=int, default=1, help="specdsl: seed of training and of the validation reads "
                                                       "(tranquillyzer seeds training with 1)")
    p.add_argument("--resume", action="store_true", help="specdsl: keep finished variants, resume an interrupted one")
    return p


def reads_file(out_dir: str | Path, order: SeqOrder, seed: int) -> str:
    """``simulated_data/reads.h5``, converted once from tranquillyzer's pickles when only those exist."""
    folder = Path(out_dir) / "simulated_data"
    h5 = folder / "reads.h5"
    if h5.is_file():
        return str(h5)
    pickles = folder / "reads.pkl", folder / "labels.pkl"
    if all(p.is_file() for p in pickles):
        from specdsl.systems.tranquillyzer.legacy import convert_pickles

        print(f"reading tranquillyzer's {pickles[0]} and {pickles[1]} (lists and strings only) into {h5}",
              file=sys.stderr)
        convert_pickles(pickles[0], pickles[1], h5, order.classes, {"model": order.model})
        return str(h5)
    raise SpecError(f"no simulated reads in {folder}", path="OUTPUT_DIR",
                    hint=f"run 'specdsl tranquillyzer simulate-data {order.model} {out_dir}' first")


def _finished(p: Path) -> bool:
    return Path(f"{p}.keras").is_file() and not Path(f"{p}.backup").exists()


def main(argv: list[str]) -> int:
    from specdsl.console import console as _console
    from specdsl.console import styled
    from specdsl.training.session import run_training

    args = build_parser().parse(argv)
    val_options = simulation_options(args, args.seed + 1, "--num-val-reads")
    order = seq_order(args.model_name, args.training_seq_orders_file)
    grid = read_grid(args.model_name, args.param_file)
    reads = reads_file(args.output_dir, order, args.seed)
    options: dict[str, Any] = {k: v for k, v in vars(args).items() if not k.startswith("_")}
    transcripts = None
    if args.transcriptome:
        from specdsl.systems.tranquillyzer.simulator import load_transcripts

        transcripts = load_transcripts(args.transcriptome)
    console = _console(stderr=True)
    for variant in grid:
        p = prefix(args.output_dir, variant)
        varying = ", ".join(f"{k}={v}" for k, v in variant.raw().items())
        console.print(styled((variant.name, "bold"), f" ({variant.idx + 1} of {len(grid)}): {varying}").to_rich())
        if args.resume and _finished(p):
            console.print(f"  already trained ({p}.keras): kept")
            continue
        ir = variant_ir(variant, order, reads, args.output_dir, args.seed, options)
        write_before(variant, order.classes, args.output_dir)
        resume = bool(args.resume and Path(f"{p}.backup").exists())
        code = run_training(ir, resume=resume, resume_hint="the same 'specdsl tranquillyzer train-model' and")
        if code:
            return code
        written = [write_history_tsv(f"{p}.history.json", f"{p}_history.tsv")]
        files, accuracy, n = validation_picture(p, order, val_options, variant.name, transcripts)
        written += files
        print(f"validation picture: per-base accuracy {accuracy:.3f} on {n} freshly simulated reads; wrote "
              + ", ".join(str(f) for f in written))
    return 0
