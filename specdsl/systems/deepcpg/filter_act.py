"""First-layer filter activations in the layout ``dcpg_filter_act.py`` writes.

DeepCpG reads motifs from the filters of the first convolution: the windows a filter fires on
*are* its motif.  This module finds that convolution in any specdsl model (the first ``Conv1D``
fed straight by a 4-channel one-hot input) and streams its activations over DeepCpG data files
or a FASTA file into an HDF5 file that ``dcpg_filter_motifs.py`` — DeepCpG's or
``specdsl deepcpg filter-motifs`` — reads:

``weights/weights`` (k, 4, F) and ``weights/bias`` (F,), channels in DeepCpG's A, T, G, C order;
``act`` (N, L_act, F) float32, or (N, F) with ``act_fun``; ``inputs/dna`` (N, L) DeepCpG codes
A0 T1 G2 C3 N4 (``store_inputs``); ``chromo``/``pos`` (data files) or ``names`` (FASTA);
``outputs/<name>``, ``preds/<name>`` (data files).  Attributes ``act_offset``/``act_stride`` say
where the window of ``act[:, j]`` starts in ``inputs/dna`` (``offset + j·stride``), so motifs
are cut from the right bases whatever the padding, stride or ``act_wlen``.

The activation is DeepCpG's: the output of the first ``Activation`` after the convolution
(post-ReLU), passing through a batch normalisation between them; the convolution's own output
when it carries its activation itself; the linear output (said in the ``act_layer`` attribute)
when no activation follows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError

log = logging.getLogger(__name__)

DEEPCPG_ORDER = "ATGC"  # DeepCpG's channel order (deepcpg/data/dna.py CHAR_TO_INT)
ACT_FUNS = ("mean", "wmean", "max")
_PASS_THROUGH = ("BatchNormalization",)
_ACTIVATIONS = ("Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax")


@dataclass(frozen=True)
class FirstConv:
    """The first convolution, the tensor its activations are read from, and where its windows lie."""

    conv: Any
    input_index: int
    act_tensor: Any
    act_name: str
    kernel: int
    stride: int
    left_pad: int  # bases of zero padding before the sequence ('same' padding)


def _input_of(layer: Any) -> Any:
    nodes = getattr(layer, "_inbound_nodes", [])
    if len(nodes) != 1 or len(nodes[0].input_tensors) != 1:
        return None
    return nodes[0].input_tensors[0]


def _consumers(model: Any, tensor: Any) -> list[Any]:
    return [layer for layer in model.layers if _input_of(layer) is tensor]


def first_conv(model: Any, model_path: str) -> FirstConv:
    """The first ``Conv1D`` after a one-hot DNA input, and its activation as DeepCpG picks it."""
    dna = [i for i, t in enumerate(model.inputs) if len(t.shape) == 3 and t.shape[-1] == 4]
    if not dna:
        raise SpecError("the model has no one-hot DNA input (length × 4)", file=model_path,
                        expected="a model whose first layer after a (L, 4) input is a Conv1D")
    index = next((i for i in dna if model.inputs[i].name.split(":")[0] == "dna"), dna[0])
    firsts = [layer for layer in _consumers(model, model.inputs[index]) if type(layer).__name__ != "InputLayer"]
    conv = next((layer for layer in firsts if type(layer).__name__ == "Conv1D"), None)
    if conv is None:
        seen = ", ".join(f"{layer.name} ({type(layer).__name__})" for layer in firsts) or "nothing"
        raise SpecError(f"the first layer after the DNA input is {seen}, not a Conv1D", file=model_path,
                        expected="a model whose first layer after its one-hot DNA input is a Conv1D",
                        hint="filter motifs are read from the filters of a first convolution")
    if int(conv.dilation_rate[0]) != 1:
        raise SpecError(f"the first convolution '{conv.name}' is dilated ({conv.dilation_rate[0]}); its filters "
                        "do not see contiguous k-mers", file=model_path)
    kernel, stride = int(conv.kernel_size[0]), int(conv.strides[0])
    left = (kernel - 1) // 2 if conv.padding == "same" else 0
    if conv.padding == "causal":
        left = kernel - 1
    tensor, name = conv.output, f"{conv.name} (linear: no activation follows)"
    if getattr(conv.activation, "__name__", "linear") != "linear":
        name = f"{conv.name} ({conv.activation.__name__})"
    else:
        layer = conv
        while True:
            nxt = _consumers(model, layer.output)
            if len(nxt) != 1 or type(nxt[0]).__name__ not in _PASS_THROUGH + _ACTIVATIONS:
                break
            layer = nxt[0]
            if type(layer).__name__ in _ACTIVATIONS:
                tensor, name = layer.output, layer.name
                break
    return FirstConv(conv, index, tensor, name, kernel, stride, left)


def linear_weights(length: int, start: float = 0.1) -> np.ndarray:
    """DeepCpG's triangle weights (deepcpg/utils.py): 1 at the centre, ``start`` at both ends."""
    half = np.linspace(start, 1, int(np.ceil(length / 2)))
    tail = half[:-1] if length % 2 else half
    return np.hstack((half, tail[::-1]))


def summarise(act: np.ndarray, act_fun: str | None, act_wlen: int | None) -> tuple[np.ndarray, int]:
    """``--act_wlen`` centre crop, then ``--act_fun`` over positions; returns the first kept position too."""
    first = 0
    if act_wlen:
        delta, ctr = act_wlen // 2, act.shape[1] // 2
        first = max(ctr - delta, 0)
        act = act[:, first:ctr + delta + 1]
    if act_fun == "mean":
        act = act.mean(axis=1)
    elif act_fun == "wmean":
        act = np.average(act, axis=1, weights=linear_weights(act.shape[1]))
    elif act_fun == "max":
        act = act.max(axis=1)
    return act.astype(np.float32), first


def to_deepcpg_codes(onehot: np.ndarray, order: str) -> np.ndarray:
    """(N, L, 4) one-hot in channel ``order`` → int8 DeepCpG codes; a zero row (N) → 4."""
    lookup = np.array([DEEPCPG_ORDER.index(c) for c in order], dtype=np.int8)
    codes = lookup[onehot.argmax(axis=-1)]
    return np.where(onehot.sum(axis=-1) > 0, codes, 4).astype(np.int8)


def deepcpg_kernel(kernel: np.ndarray, order: str) -> np.ndarray:
    """A (k, 4, F) kernel in channel ``order`` → DeepCpG's A, T, G, C order."""
    return kernel[:, [order.index(c) for c in DEEPCPG_ORDER], :]


class ActWriter:
    """The output HDF5, dataset by dataset as batches arrive (gzip, as DeepCpG writes it)."""

    def __init__(self, path: str, total: int) -> None:
        import h5py

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.h5 = h5py.File(path, "w")
        self.total = total

    def put(self, name: str, data: np.ndarray, start: int) -> None:
        import h5py

        text = data.dtype.kind == "U"
        if name not in self.h5:
            shape = (self.total, *data.shape[1:])
            chunks = (min(self.total, 128), *data.shape[1:-1], 1) if name == "act" and data.ndim == 3 else True
            dtype = h5py.string_dtype() if text else data.dtype
            self.h5.create_dataset(name, shape=shape, dtype=dtype, compression="gzip", chunks=chunks)
        self.h5[name][start:start + len(data)] = data.astype(object) if text else data

    def close(self) -> None:
        self.h5.close()


def compute(model: Any, model_path: str, batches: Any, total: int, out_file: str, *, order: str,
            act_fun: str | None = None, act_wlen: int | None = None, store_inputs: bool = False,
            predict: bool = False) -> dict[str, Any]:
    """Stream ``batches`` (dicts with ``dna`` one-hot, optional ``meta``/``outputs``/``model_inputs``).

    Returns a summary (shape of ``act``, activation layer) for the log.
    """
    import keras

    fc = first_conv(model, model_path)
    act_model = keras.Model(model.inputs[fc.input_index], fc.act_tensor)
    weights = fc.conv.get_weights()
    writer = ActWriter(out_file, total)
    h5 = writer.h5
    try:
        h5["weights/weights"] = deepcpg_kernel(np.asarray(weights[0]), order)
        h5["weights/bias"] = np.asarray(weights[1]) if len(weights) > 1 else np.zeros(weights[0].shape[-1],
                                                                                         np.float32)
        start, first = 0, 0
        for batch in batches:
            dna = batch["dna"]
            act = np.asarray(keras.ops.convert_to_numpy(act_model(dna, training=False)))
            act, first = summarise(act, act_fun, act_wlen)
            writer.put("act", act, start)
            if store_inputs:
                writer.put("inputs/dna", to_deepcpg_codes(dna, order), start)
            for name, value in batch.get("meta", {}).items():
                writer.put(name, np.asarray(value), start)
            for name, value in batch.get("outputs", {}).items():
                writer.put(f"outputs/{name}", np.asarray(value), start)
            if predict:
                pred = model.predict(batch["model_inputs"], verbose=0)
                for name, value in zip(batch["output_names"], pred if isinstance(pred, list) else [pred]):
                    value = np.asarray(value).reshape(len(dna), -1)
                    writer.put(f"preds/{name}", value[:, 0] if value.shape[1] == 1 else value, start)
            start += len(dna)
        h5.attrs.update({"act_layer": fc.act_name, "act_offset": first * fc.stride - fc.left_pad,
                         "act_stride": fc.stride if not act_fun else 0, "alphabet": order,
                         "act_fun": act_fun or "", "model": str(model_path)})
        shape = tuple(h5["act"].shape) if "act" in h5 else (0,)
    except BaseException:
        writer.close()
        Path(out_file).unlink(missing_ok=True)
        raise
    writer.close()
    return {"act_shape": shape, "act_layer": fc.act_name, "conv": fc.conv.name}


__all__ = ["ACT_FUNS", "DEEPCPG_ORDER", "FirstConv", "compute", "deepcpg_kernel", "first_conv", "linear_weights",
           "summarise", "to_deepcpg_codes"]
