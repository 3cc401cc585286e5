"""tranquillyzer's ``reads.pkl`` / ``labels.pkl``, read without trusting them.

A pickle can name any Python callable and have it called while loading (``os.system`` …), so
``pickle.load`` on a file from elsewhere runs whatever it holds.  These files only ever hold a
list of strings (reads) and a list of lists of strings (labels), which pickle encodes without
naming a single callable.  :class:`ListsAndStrings` therefore refuses every global the stream
names, before anything is called, and the loaded value is then checked to be exactly lists of
strings: anything else (a dict, a tuple, a number, a class instance) is refused with a message.

:func:`convert_pickles` turns a pair into specdsl's ``reads.h5`` (:mod:`.readsfile`).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from specdsl.errors import SpecError
from specdsl.systems.tranquillyzer.tokens import encode


class ListsAndStrings(pickle.Unpickler):
    """An unpickler that builds lists and strings only: every named global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"it names {module}.{name}; only lists and strings are read")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("it holds a persistent reference; only lists and strings are read")


def load_lists(path: str | Path, depth: int) -> list[Any]:
    """A pickled list of strings (``depth`` 1) or of lists of strings (``depth`` 2), or a SpecError."""
    path = str(path)
    try:
        with open(path, "rb") as handle:
            value = ListsAndStrings(io.BufferedReader(handle)).load()
    except FileNotFoundError:
        raise SpecError("no such file", file=path) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, MemoryError) as err:
        raise SpecError(f"refused: {err}" if isinstance(err, pickle.UnpicklingError) else
                        f"not a readable pickle: {err or type(err).__name__}", file=path,
                        expected="a pickled list of strings (reads.pkl) or of lists of strings (labels.pkl)") from None
    what = "a list of strings" if depth == 1 else "a list of lists of strings"
    if type(value) is not list:
        raise SpecError(f"refused: it holds a {type(value).__name__}, not {what}", file=path)
    for i, item in enumerate(value):
        if depth == 1:
            if type(item) is not str:
                raise SpecError(f"refused: item {i} is a {type(item).__name__}, not a string", file=path)
        elif type(item) is not list or any(type(x) is not str for x in item):
            raise SpecError(f"refused: item {i} is not a list of strings", file=path)
    return value


def convert_pickles(reads_pkl: str | Path, labels_pkl: str | Path, out: str | Path, classes: list[str],
                    info: dict[str, Any]) -> int:
    """Write ``out`` (reads.h5) from tranquillyzer's two pickles; returns the number of reads.

    ``classes`` are the label names of the model's seq order; a label outside them is an error."""
    from specdsl.formats.reads_h5 import write_reads

    reads = load_lists(reads_pkl, 1)
    labels = load_lists(labels_pkl, 2)
    if len(reads) != len(labels):
        raise SpecError(f"{len(reads)} reads but {len(labels)} label lists", file=str(labels_pkl))
    ids = {name: i for i, name in enumerate(classes)}
    with write_reads(out, classes, ["unknown"], {"converted_from": [str(reads_pkl), str(labels_pkl)], **info}) as w:
        for start in range(0, len(reads), 4096):
            toks, labs = [], []
            for i in range(start, min(len(reads), start + 4096)):
                read, lab = reads[i], labels[i]
                if len(read) != len(lab):
                    raise SpecError(f"read {i} has {len(read)} bases but {len(lab)} labels", file=str(labels_pkl))
                unknown = set(lab) - set(ids)
                if unknown:
                    raise SpecError(f"read {i} has label(s) {', '.join(sorted(unknown))}, which the seq order does "
                                    f"not name", file=str(labels_pkl), expected="one of " + ", ".join(classes))
                toks.append(encode(read))
                labs.append(np.fromiter((ids[x] for x in lab), np.int8, len(lab)))
            w.append(toks, labs, [0] * len(toks), [0] * len(toks))
    return len(reads)


__all__ = ["ListsAndStrings", "convert_pickles", "load_lists"]
