"""``specdsl interpret MODEL.keras (--bed B --genome G | --fasta F) -o SCORES.h5``: contribution scores.

For any specdsl model with one one-hot sequence input: a profile model's profile metric
(BPReveal's weighted mean-normed logits of ``--tasks``) or counts metric of the head ``--output``
names, a classifier's logit of unit ``--tasks`` of the output ``--output`` names.  ``--method
deepshap`` is DeepLIFT-SHAP over ``--shuffles`` k-mer-shuffled references per sequence, ``ism``
exact in-silico mutagenesis of the same number, ``ig`` integrated gradients from the same
references in ``--steps`` points, ``grad-x-input`` the gradient; in every case the file has interpretFlat's layout
(:mod:`specdsl.formats.scores_h5`), so ``specdsl bpreveal shap-to-numpy`` and ``modisco motifs -i``
read it.  The work is :func:`specdsl.interpret.score_files.interpret_to_h5`.  The inputs are read
and checked before Keras starts.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from specdsl.errors import SpecError, did_you_mean
from specdsl.interpret.gradient_methods import DEFAULT_STEPS, RULES
from specdsl.interpret.score_files import METHODS

METRICS = ("profile", "counts", "logit")


def _tasks(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        tasks = [int(v) for v in text.split(",")]
    except ValueError:
        raise SpecError(f"'{text}' is not a list of task numbers", path="--tasks",
                        expected="comma-separated numbers from 0, e.g. 0,1") from None
    if any(t < 0 for t in tasks) or len(set(tasks)) != len(tasks):
        raise SpecError(f"'{text}': tasks are numbers from 0, each once", path="--tasks")
    return tasks


def _pick(given: str | None, names: list[str], what: str) -> int:
    """The index of the head or output ``--output`` names (by name or number; default the first)."""
    if given is None:
        return 0
    if given.isdigit() and int(given) < len(names):
        return int(given)
    if given in names:
        return names.index(given)
    raise SpecError(f"the model has no {what} '{given}'", path="--output",
                    expected=", ".join(f"{i} ({n})" for i, n in enumerate(names)), hint=did_you_mean(given, names))


def _within(tasks: list[int], count: int, what: str) -> None:
    bad = [t for t in tasks if t >= count]
    if bad:
        raise SpecError(f"{what} has {count} task(s): 0…{count - 1}, not {bad[0]}", path="--tasks")


def profile_target_of(model: Any, args: argparse.Namespace, tasks: list[int] | None) -> Any:
    """The profile or counts metric of the head ``--output`` names."""
    from specdsl.interpret.deeplift import counts_target, profile_target
    from specdsl.training.profile_predict import profile_heads

    heads = profile_heads(model) or []
    names = [h.name for h in heads]
    keras_names = list(model.output_names)[:len(heads)]
    head = _pick(args.output, names, "head") if args.output not in keras_names else keras_names.index(args.output)
    metric = args.metric or "profile"
    if metric == "logit":
        raise SpecError("a profile model is explained by its profile or counts metric", path="--metric",
                        expected="profile | counts")
    if metric == "counts":
        if tasks is not None:
            raise SpecError("the counts metric is the head's one log count: it has no tasks", path="--tasks")
        return counts_target(len(heads) + head)
    _within(tasks or [], heads[head].tasks, f"head {names[head]}")
    return profile_target(head, tasks)


def class_target_of(model: Any, args: argparse.Namespace, tasks: list[int] | None) -> Any:
    """The logit of one unit of the output ``--output`` names."""
    from specdsl.interpret.deeplift import class_target

    if args.metric not in (None, "logit"):
        raise SpecError(f"the {args.metric} metric is a profile model's; a classifier is explained by a logit",
                        path="--metric", expected="logit")
    names = list(model.output_names)
    index = _pick(args.output, names, "output")
    if tasks is not None and len(tasks) != 1:
        raise SpecError("a classifier's logit is one unit: give one number", path="--tasks")
    units = int(model.outputs[index].shape[-1] or 1)
    _within(tasks or [0], units, f"output {names[index]}")
    return class_target(index, (tasks or [0])[0])


def cmd_interpret(args: argparse.Namespace) -> int:
    from specdsl.backend.keras_model import load_model
    from specdsl.interpret.score_files import interpret_to_h5, reference_method
    from specdsl.training.profile_predict import as_profile_model, check_writable, profile_heads, read_inputs
    from specdsl.training.region_progress import RegionProgress

    if not args.o.endswith((".h5", ".hdf5")):
        raise SpecError("the scores go to an HDF5 file: give -o SCORES.h5", path="-o")
    tasks = _tasks(args.tasks)
    for name, value in (("--shuffles", args.shuffles), ("--batch-size", args.batch_size),
                        ("--steps", args.steps if args.method == "ig" else 1)):
        if value < 1:
            raise SpecError(f"must be ≥ 1, got {value}", path=name)
    if args.seed < 0:
        raise SpecError(f"must be ≥ 0, got {args.seed}", path="--seed")
    try:
        reference_method(args.kmer_size)
    except SpecError as err:
        raise SpecError(err.message, path="--kmer-size") from None
    inputs = read_inputs(args.bed, args.genome, args.fasta)  # checked before Keras starts
    check_writable(args.o)
    model = load_model(args.model)
    shape = tuple(model.inputs[0].shape[1:]) if len(model.inputs) == 1 else ()
    if len(shape) != 2 or shape[1] != 4 or shape[0] is None:
        raise SpecError(f"specdsl interpret reads models with one one-hot input (length × 4), not "
                        f"{shape or f'{len(model.inputs)} inputs'}", file=args.model)
    if profile_heads(model) is not None:
        pm = as_profile_model(model, args.model)
        target, lengths = profile_target_of(model, args, tasks), (pm.input_length, pm.output_length)
    else:
        target, lengths = class_target_of(model, args, tasks), (int(shape[0]), int(shape[0]))
    config = str({"model": args.model, "bed": args.bed, "genome": args.genome, "fasta": args.fasta,
                  "output": args.output, "tasks": tasks, "metric": args.metric, "method": args.method,
                  "shuffles": args.shuffles, "kmer-size": args.kmer_size, "seed": args.seed,
                  **({"steps": args.steps, "rule": args.rule} if args.method == "ig" else {})})
    with RegionProgress("interpreting", inputs.count) as bar:
        summary = interpret_to_h5(model, inputs, args.o, target, input_length=lengths[0], output_length=lengths[1],
                                  method=args.method, n_shuffles=args.shuffles, kmer_size=args.kmer_size,
                                  seed=args.seed, batch_size=args.batch_size, steps=args.steps, rule=args.rule,
                                  config=config,
                                  progress=bar.advance)
    for line in summary.report(args.o):
        print(line, file=sys.stderr)
    return 0


def add_verbs(sub: Any) -> None:
    p = sub.add_parser(
        "interpret", help="contribution scores (DeepLIFT-SHAP, ISM, integrated gradients, gradient × input) of "
                          "BED regions or FASTA records, into BPReveal's interpretFlat HDF5",
        description="Contribution scores of a model with one one-hot input, for BED regions of a genome or FASTA "
                    "records, written in interpretFlat's layout (hyp_scores float16, input_seqs, input_predictions, "
                    "coordinates or descriptions). Profile models: the profile metric (weighted mean-normed logits "
                    "of --tasks) or the counts metric of a head; classifiers: the logit of one unit of an output.",
        epilog="References: --shuffles shuffles per sequence, each keeping the sequence's k-mer counts for k = "
               "--kmer-size (1 mononucleotide, 2 dinucleotide), seeded by --seed and the sequence's position in "
               "the input, so they do not depend on batching. DeepLIFT-SHAP prints its largest convergence delta "
               "and warns above 1e-3, naming the layers it treated as linear; integrated gradients print theirs as "
               "a share of the mean change in output too, and ask for more --steps above 5%. ISM writes its "
               "hypothetical scores (the change from each substitution, less the mean over the four bases), "
               "grad-x-input the gradient less its mean over the four bases (its contributions are that × input); "
               "input_predictions is the target on the real sequence in every case. Cost in model rows per "
               "sequence: deepshap 2 × shuffles, ig (steps + 2) × shuffles, ism 3 × length, grad-x-input 1.")
    p.add_argument("model", metavar="MODEL.keras", help="a profile model or a classifier with one one-hot input")
    p.add_argument("--bed", metavar="REGIONS.bed", help="regions to score (with --genome): profile models' as wide "
                                                        "as their output, classifiers' as their input")
    p.add_argument("--genome", metavar="GENOME.fa", help="the genome the BED regions lie on")
    p.add_argument("--fasta", metavar="SEQUENCES.fa", help="sequences of the input length to score (--bed and "
                                                           "--genome then give coordinates)")
    p.add_argument("-o", required=True, metavar="SCORES.h5", help="the score file to write (HDF5)")
    p.add_argument("--output", metavar="NAME", help="which model output to explain, by name or number: a profile "
                                                    "model's head, a classifier's output (default: the first)")
    p.add_argument("--tasks", metavar="T,T", help="profile metric: the head's tasks to sum over; a classifier: the "
                                                  "unit whose logit is explained (default: all tasks; unit 0)")
    p.add_argument("--metric", choices=METRICS, help="profile models: profile (the default) or counts; "
                                                     "classifiers: logit (the only one)")
    p.add_argument("--method", choices=METHODS, default="deepshap",
                   help="deepshap: DeepLIFT-SHAP over shuffled references; ism: every single-base substitution; ig: "
                        "integrated gradients from the same references; grad-x-input: the gradient, one pass")
    p.add_argument("--shuffles", type=int, default=20, metavar="N", help="deepshap, ig: references per sequence")
    p.add_argument("--kmer-size", type=int, default=2, metavar="K", help="deepshap, ig: the k-mer counts each "
                                                                         "shuffle keeps")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="deepshap, ig: seed of the shuffles")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N",
                   help="ig: quadrature points along each path from reference to sequence")
    p.add_argument("--rule", choices=RULES, default="midpoint",
                   help="ig: the quadrature: midpoint (ReLU networks, whose gradient is piecewise constant along "
                        "the path) or gauss-legendre (smooth activations, LSTMs: far fewer steps)")
    p.add_argument("--batch-size", type=int, default=64, metavar="N",
                   help="(sequence, reference) pairs per DeepLIFT-SHAP batch, i.e. 2 × N model rows; ISM runs 4 × N "
                        "substitutions, ig and grad-x-input 2 × N model rows (ig splits a longer path over passes)")
    p.set_defaults(func=cmd_interpret)


__all__ = ["METRICS", "add_verbs", "class_target_of", "cmd_interpret", "profile_target_of"]
