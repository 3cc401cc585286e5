"""Parsed spec files kept between processes, so ``specdsl params PRESET`` needs neither Lark nor the parser.

Parsing a spec file costs more than everything else ``params`` does (importing Lark and the
parser, then lexing every preset of the file), and the preset files change only with specdsl.
The presets parsed from a file are therefore stored in the user's cache folder
(``$SPECDSL_CACHE_DIR``, else ``$XDG_CACHE_HOME/specdsl``, else ``~/.cache/specdsl``), under a key
made of the file's text and name and a fingerprint of the code that reads it (the entry holds the
whole key and is used only when it is equal) (specdsl's
version and the size and modification time of every module of the language and of the
grammars).  Any change to either is a different key, so a stale entry is never read.

Why pickle: the entries are specdsl's own frozen IR objects written by this user's own specdsl,
read back from a folder only this user can write (created with mode 0700), exactly as Lark
caches its parser.  Nothing else is ever unpickled: a file the cache cannot read, or a folder it
cannot write, is passed over silently and the file is parsed as usual.  ``SPECDSL_CACHE_DIR=off``
turns the cache off.
"""

from __future__ import annotations

import os
import pickle
from functools import cache
from pathlib import Path

from specdsl.language.ir import Preset

_FORMAT = 2  # bump when the stored layout changes


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get("SPECDSL_CACHE_DIR")
    if chosen:
        return None if chosen.lower() in ("off", "0", "no") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "specdsl"


@cache
def _fingerprint() -> str:
    """specdsl's version and the size and mtime of every language module and grammar: any edit changes it."""
    from specdsl.language.resources import data_dir
    from specdsl.version import __version__

    here = Path(__file__).resolve().parent
    files = sorted(here.rglob("*.py")) + sorted(data_dir("grammars").glob("*.lark"))
    parts = [__version__, str(_FORMAT)]
    for f in files:
        stat = f.stat()
        parts.append(f"{f.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def _key(text: str, name: str) -> str:
    return "\0".join((_fingerprint(), name, text))


def _entry(key: str) -> Path | None:
    """Where an entry lives: named by checksums of its key (zlib's: hashlib's import alone costs more than
    a cached parse saves), and the entry stores the whole key, compared when it is read."""
    import zlib

    folder = cache_dir()
    if folder is None:
        return None
    data = key.encode("utf-8")
    return folder / f"spec-{zlib.crc32(data):08x}{zlib.adler32(data):08x}{len(data):x}.pickle"


def load(text: str, name: str) -> list[Preset] | None:
    """The presets parsed earlier from exactly this text under this name, or None."""
    try:
        key = _key(text, name)
        entry = _entry(key)
        if entry is None or not entry.is_file():
            return None
        with entry.open("rb") as f:
            stored_key, found = pickle.load(f)
    except Exception:  # an unreadable or foreign entry is only a cache miss
        return None
    if stored_key != key or not isinstance(found, list) or not all(isinstance(p, Preset) for p in found):
        return None
    return found


def store(text: str, name: str, presets: list[Preset]) -> None:
    """Keep ``presets`` for the next process; a folder that cannot be written is passed over."""
    try:
        key = _key(text, name)
        entry = _entry(key)
        if entry is None:
            return
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump((key, presets), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)
    except Exception:  # a full disk, a read-only home, an IR that cannot be stored: parse next time too
        return


def parse_cached(text: str, name: str) -> list[Preset]:
    """The presets of a spec file's ``text``: from the cache when this exact text was parsed before."""
    found = load(text, name)
    if found is not None:
        return found
    from specdsl.language.spec_files import parse_spec_file  # Lark and the parser, on a miss only

    presets = parse_spec_file(text, name)
    store(text, name, presets)
    return presets


__all__ = ["cache_dir", "load", "parse_cached", "store"]
