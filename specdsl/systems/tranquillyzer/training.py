"""train-model's variants as training runs, and the files tranquillyzer users expect beside each model.

One grid variant (:mod:`.params`) becomes one :class:`~specdsl.training.ir.TrainingIR`:
the ``CnnLstmCrf`` body with the variant's values, a ``labels`` head (CRF or softmax as
``crf_layer`` says, L2 = ``regularization``), the ``labelled-reads`` reader splitting
``reads.h5`` by ``train_fraction``, Adam at ``learning_rate``, ``epochs`` and ``batch_size``,
early stopping (patience 1 with a CRF, 3 without, as tranquillyzer) and the learning rate
halved after an epoch without progress, both on ``val_loss``.  The normal run trains it
(atomic artifacts, ``--resume``, the run lock, validation scores).

In ``OUTPUT_DIR/<model>_<idx>/``, the run writes ``<model>_<idx>.keras`` (the best epoch),
``<model>_<idx>.checkpoint.keras`` and ``<model>_<idx>.history.json``; this module adds
``<model>_<idx>_params.json`` (the variant's values as written, as tranquillyzer writes them),
``<model>_<idx>_labels.json`` (label id → name: what tranquillyzer pickles as a LabelBinarizer),
``<model>_<idx>_history.tsv`` (one row per epoch, Keras's metric names) and the validation
picture (:mod:`.picture`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from specdsl.atomic import atomic_write_text
from specdsl.systems.tranquillyzer.params import ARCHITECTURE, Variant, typed
from specdsl.systems.tranquillyzer.seq_orders import SeqOrder
from specdsl.training.ir import (
    DataIR,
    HeadIR,
    InputIR,
    OptimizerIR,
    OutputIR,
    RuntimeIR,
    ScheduleIR,
    TrainingIR,
    settings,
)

KIND = "tranquillyzer-train"
HEAD = "labels"


def prefix(out_dir: str | Path, variant: Variant) -> Path:
    """``OUTPUT_DIR/<model>_<idx>/<model>_<idx>``: the start of every file of a variant."""
    return Path(out_dir) / variant.name / variant.name


def variant_ir(variant: Variant, order: SeqOrder, reads: str, out_dir: str | Path, seed: int,
               options: dict[str, Any]) -> TrainingIR:
    """One grid variant → the training IR (see the module docstring)."""
    from specdsl.config.bodies import body_preset

    values = typed(variant)
    classes = order.classes
    arch = {k: values[k] for k in ARCHITECTURE}
    arch["num_labels"] = len(classes)
    body = body_preset("CnnLstmCrf", arch, label=variant.name)
    crf = bool(values["crf_layer"])
    head = HeadIR("labels", HEAD, settings(target="labels", classes=tuple(classes),
                                           decoder="crf" if crf else "softmax", l2=values["regularization"],
                                           loss_weight=1.0), "--param-file")
    fraction = float(values["train_fraction"])
    data = DataIR("labelled-reads", (reads,), (reads,) if fraction < 1 else (),
                  settings(train_fraction=fraction), "files", "OUTPUT_DIR/simulated_data", "OUTPUT_DIR/simulated_data",
                  settings(train_fraction="train_fraction (--param-file)"))
    schedule = ScheduleIR(int(values["epochs"]), int(values["batch_size"]),
                          early_stopping_patience=1 if crf else 3, lr_plateau_patience=1)
    config = {"kind": KIND, "model": order.model, "variant": variant.idx, "params": variant.raw(),
              "classes": classes, "options": options}
    return TrainingIR(KIND, "specdsl tranquillyzer train-model", (InputIR("tokens", (None,), "int32", "tokens"),),
                      body, (head,), data, OptimizerIR("adam", float(values["learning_rate"])), schedule,
                      RuntimeIR("INFO", seed), OutputIR(str(prefix(out_dir, variant)), "prefix", "OUTPUT_DIR"),
                      model_name=variant.name, config=config)


def write_before(variant: Variant, classes: list[str], out_dir: str | Path) -> list[Path]:
    """The params and label-names JSON files, written before training (as tranquillyzer does)."""
    p = prefix(out_dir, variant)
    p.parent.mkdir(parents=True, exist_ok=True)
    return [atomic_write_text(f"{p}_params.json", json.dumps(variant.raw(), indent=4) + "\n"),
            atomic_write_text(f"{p}_labels.json", json.dumps(classes) + "\n")]


# Keras logs the labels head's per-base accuracy as ``acc`` (or ``<output>_acc`` beside other
# outputs); tranquillyzer's users read ``accuracy`` (tf2crf logged ``loss_val``/``val_accuracy``,
# which Keras prefixed into ``val_loss_val``/``val_val_accuracy``; those are not reproduced).
RENAMES = {"acc": "accuracy", f"{HEAD}_acc": "accuracy", f"{HEAD}_loss": None, "lr": "learning_rate"}
SKIP = {"config", "validation-scores", "outputs"}


def history_table(history: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(columns, rows): one row per epoch; ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``, ….

    Only per-epoch series of the history are columns (lists as long as ``loss``)."""
    epochs = len(history.get("loss", []))
    columns: dict[str, list[Any]] = {}
    for key, series in history.items():
        if key in SKIP or not isinstance(series, list) or len(series) != epochs:
            continue
        val = key.startswith("val_")
        base = key[4:] if val else key
        name = RENAMES.get(base, base)
        if name is None:
            continue
        columns.setdefault(("val_" if val else "") + name, series)
    order = ["loss", "accuracy", "val_loss", "val_accuracy"]
    names = [c for c in order if c in columns] + [c for c in columns if c not in order]
    return names, [[columns[c][e] for c in names] for e in range(epochs)]


def write_history_tsv(history_json: str | Path, out: str | Path) -> Path:
    """``<model>_<idx>_history.tsv`` from the run's history JSON."""
    history = json.loads(Path(history_json).read_text())
    names, rows = history_table(history)

    def cell(v: Any) -> str:
        return "" if v is None else repr(float(v)) if isinstance(v, float) else str(v)

    text = "\t".join(names) + "\n" + "".join("\t".join(cell(v) for v in row) + "\n" for row in rows)
    return atomic_write_text(out, text)




def validation_picture(model_prefix: str | Path, order: SeqOrder, options: Any, name: str,
                       transcripts: list | None = None) -> tuple[list[Path], float, int]:
    """Simulate a fresh validation set, label it with the delivered model, draw it (PNG and PDF).

    Returns (files, per-base accuracy, reads).  The reads are labelled as ``specdsl annotate``
    labels them (both orientations, the more probable kept)."""
    import numpy as np

    from specdsl.systems.tranquillyzer.annotate import label_reads, load_annotator
    from specdsl.systems.tranquillyzer.picture import write_picture
    from specdsl.systems.tranquillyzer.simulator import Simulator, simulate

    sim = Simulator(order, options, transcripts)
    truth, tokens = [], []
    for toks, labs, _, _ in simulate(sim, 1):
        tokens += toks
        truth += labs
    ann = load_annotator(f"{model_prefix}.keras")
    predicted = label_reads(ann, tokens)
    right = sum(int((p == t).sum()) for p, t in zip(predicted, truth))
    total = sum(len(t) for t in truth)
    accuracy = right / max(total, 1)
    title = (f"{name}: {len(tokens)} freshly simulated reads, per-base accuracy {accuracy:.3f} "
             "(top bar: true labels, bottom: predicted; red ticks: wrong bases)")
    files = write_picture(model_prefix, [np.asarray(t) for t in truth], predicted, ann.classes, list(order.labels),
                          title)
    return files, accuracy, len(tokens)


__all__ = ["KIND", "history_table", "prefix", "validation_picture", "variant_ir", "write_before",
           "write_history_tsv"]
