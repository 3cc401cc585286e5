"""In-silico mutagenesis: every single-base substitution, predicted exactly, in bounded memory.

ISM is the attribution with no approximation in it: change one base, run the model, compare.  It is
the check for DeepLIFT-SHAP scores and the tool for variant effects.  Here it runs over a *prediction
function* rather than a model, so it is the same for every Keras backend and every head: the caller
wraps a model and picks its output or metric (a profile head's weighted mean-normed logits, a counts
head, a class probability), e.g.::

    predict = lambda x: keras.ops.convert_to_numpy(model(x, training=False)[1])[:, 0]
    y0, y_hat = ism(predict, X, start=500, end=1500)

Layout is specdsl's, length-first: ``X`` is ``(N, L, A)``, ``y_hat`` ``(N, L_win, A[, T])``
(tangermeme's ``saturation_mutagenesis(raw_outputs=True)`` gives ``(N, A, L_win, T)``).

Decisions
    - Edits are made in batches of ``batch_size`` substitutions, gathered across sequences, so memory
      is one batch of inputs plus the result, never the N·L·3 mutated copies at once.
    - An *identity edit* (setting a clean one-hot row to the base it already is) needs no forward
      pass: its prediction is ``y0``, copied.  A row that is not one clean base (an N) has no identity
      edit: all A substitutions are run.
    - ``end`` is exclusive and ``None`` means the end of the sequence.  Negative values are refused:
      tangermeme's ``end=-1`` *includes* the last base while Python's slice excludes it, and a port
      that silently dropped a base would be wrong in a way nobody notices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from specdsl.errors import SpecError

#: A batch ``(B, L, A)`` float32 → predictions ``(B,)`` or ``(B, T)``.
Predict = Callable[[np.ndarray], np.ndarray]


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SpecError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


def _inputs(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 3 or X.shape[1] == 0 or X.shape[2] == 0:
        raise SpecError(f"ISM takes a batch of one-hot sequences of shape (N, L, 4), not {X.shape}",
                        hint="for one sequence pass X[None]")
    X = X.astype(np.float32, copy=False)
    if not np.all(np.isfinite(X)):
        raise SpecError("the sequences for ISM have NaN or infinite values")
    return X


def window(start: int, end: int | None, length: int) -> tuple[int, int]:
    """``[start, end)`` checked against a sequence of ``length`` positions (``end=None``: to the end)."""
    end = length if end is None else end
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise SpecError(f"the ISM window's {name} must be a whole number, not {value!r}")
        if value < 0:
            raise SpecError(f"the ISM window's {name} is {value}; negative positions are not taken",
                            hint="end is exclusive; end=None runs to the last base (tangermeme's end=-1)")
    if not 0 <= start < end <= length:
        raise SpecError(f"the ISM window [{start}, {end}) is not inside the sequences' {length} positions",
                        expected=f"0 ≤ start < end ≤ {length}")
    return int(start), int(end)


def identity_edits(X: np.ndarray) -> np.ndarray:
    """``(N, L, A)`` True where setting the row to base b changes nothing (a clean one-hot row, its base)."""
    clean = np.all((X == 0) | (X == 1), axis=-1) & (X.sum(axis=-1) == 1)
    return (X == 1) & clean[..., None]


def _predict(predict: Predict, batch: np.ndarray, tail: tuple[int, ...] | None) -> np.ndarray:
    """``predict(batch)`` as a NumPy array, checked: one row per input, (B,) or (B, T), as before."""
    out = np.asarray(predict(batch))
    if out.ndim not in (1, 2) or out.shape[0] != len(batch):
        raise SpecError(f"the prediction function gave shape {out.shape} for a batch of {len(batch)} "
                        "sequences; ISM needs (batch,) or (batch, targets)",
                        hint="wrap the model so that it returns one output (pick a head, a metric or a task)")
    if tail is not None and out.shape[1:] != tail:
        raise SpecError(f"the prediction function gave shape {out.shape[1:]} per sequence, "
                        f"after {tail} before: it must give the same shape for every batch")
    return out


def _edits(todo: np.ndarray, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(sequence, position, base) index arrays of the edits to run, ``batch_size`` at a time.

    Gathered across sequences so every batch but the last is full; at most one batch plus one
    sequence's edits are held.
    """
    pending: list[tuple[np.ndarray, ...]] = []
    size = 0
    for i in range(len(todo)):
        position, base = np.nonzero(todo[i])
        if not len(position):
            continue
        pending.append((np.full(len(position), i), position, base))
        size += len(position)
        while size >= batch_size:
            seq, position, base = (np.concatenate(parts) for parts in zip(*pending))
            yield seq[:batch_size], position[:batch_size], base[:batch_size]
            pending = [(seq[batch_size:], position[batch_size:], base[batch_size:])]
            size -= batch_size
    if size:
        seq, position, base = (np.concatenate(parts) for parts in zip(*pending))
        yield seq, position, base


def ism(predict: Predict, X: np.ndarray, *, batch_size: int = 256, start: int = 0,
        end: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Predictions for every single-base substitution of every position in ``[start, end)``.

    Returns ``(y0, y_hat)``: ``y0`` the predictions on ``X`` itself, ``(N,)`` or ``(N, T)``;
    ``y_hat[i, p, b]`` the prediction with position ``start + p`` of sequence i set to base b,
    ``(N, end − start, A)`` or ``(N, end − start, A, T)``.  Identity edits are ``y0`` (no forward
    pass).  ``predict`` gets float32 batches of at most ``batch_size`` sequences.
    """
    X = _inputs(X)
    batch_size = _positive("batch_size", batch_size)
    start, end = window(start, end, X.shape[1])
    n, _, letters = X.shape
    if n == 0:
        raise SpecError("ISM got no sequences (N = 0)")
    y0 = np.concatenate([_predict(predict, X[i:i + batch_size], None) for i in range(0, n, batch_size)])
    tail = y0.shape[1:]
    if not np.issubdtype(y0.dtype, np.floating):
        y0 = y0.astype(np.float32)
    identity = identity_edits(X[:, start:end])
    y_hat = np.empty((*identity.shape, *tail), y0.dtype)
    y_hat[identity] = np.broadcast_to(y0[:, None, None], y_hat.shape)[identity]
    for seq, position, base in _edits(~identity, batch_size):
        rows = np.arange(len(seq))
        batch = X[seq]  # a copy: fancy indexing
        batch[rows, start + position] = 0.0
        batch[rows, start + position, base] = 1.0
        y_hat[seq, position, base] = _predict(predict, batch, tail)
    return y0, y_hat


def ism_attributions(y0: np.ndarray, y_hat: np.ndarray, X_window: np.ndarray, *, target: int | None = None,
                     hypothetical: bool = False) -> np.ndarray:
    """tangermeme's ISM attribution from :func:`ism`'s output, as ``(N, L_win, A)``.

    ``y_hat − y0``, minus its mean over the A bases at each position (so a position's scores say
    which base the model prefers there, not how much any change matters), for one ``target`` or
    averaged over all targets; times ``X_window`` (the window ``X[:, start:end]``) unless
    ``hypothetical``, which keeps the scores of the bases that are not there (modisco's
    ``hypothetical_contribs``).
    """
    y0, y_hat = np.asarray(y0), np.asarray(y_hat)
    if y_hat.ndim == 4 and target is not None:
        if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not (
                -y_hat.shape[3] <= target < y_hat.shape[3]):
            raise SpecError(f"target {target!r} is not one of the model's {y_hat.shape[3]} targets",
                            expected=f"a whole number from 0 to {y_hat.shape[3] - 1}")
        y0, y_hat = y0[:, target], y_hat[..., target]
    elif target is not None:
        raise SpecError(f"target={target!r} was given, but the predictions have one value per sequence",
                        hint="leave target out, or predict (batch, targets)")
    attr = y_hat - y0.reshape(len(y0), 1, 1, *y0.shape[1:])
    attr = attr - attr.mean(axis=2, keepdims=True)
    if attr.ndim == 4:
        attr = attr.mean(axis=3)
    if hypothetical:
        return attr
    X_window = np.asarray(X_window)
    if X_window.shape != attr.shape:
        raise SpecError(f"the window of sequences has shape {X_window.shape}, the scores {attr.shape}",
                        hint="pass X[:, start:end], the window ISM ran over")
    return attr * X_window


def ism_scores(predict: Predict, X: np.ndarray, *, batch_size: int = 256, start: int = 0, end: int | None = None,
               target: int | None = None, hypothetical: bool = False) -> np.ndarray:
    """ISM attributions ``(N, end − start, A)``: :func:`ism` then :func:`ism_attributions`
    (tangermeme's ``saturation_mutagenesis`` with ``raw_outputs=False``, length-first)."""
    X = _inputs(X)
    start, end = window(start, end, X.shape[1])
    y0, y_hat = ism(predict, X, batch_size=batch_size, start=start, end=end)
    return ism_attributions(y0, y_hat, X[:, start:end], target=target, hypothetical=hypothetical)


__all__ = ["Predict", "ism", "ism_attributions", "ism_scores", "identity_edits", "window"]
