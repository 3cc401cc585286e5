"""Generate ``docs/language.md``, ``docs/presets.md`` and ``docs/config.md`` from the code itself.

Why generated: the layer registry, the grammars, the limits and the preset spec files
are the single source of truth for what the language accepts and what each preset
counts.  Hand-written reference pages drift the day someone adds a kind or edits a
spec, so these pages are rendered from them, and ``tests/test_docs.py`` fails when
the committed files differ from what this package produces.

Every number on the pages is computed by the pure-Python analysis when the pages
are generated; nothing here imports TensorFlow or Keras, so regenerating is as fast
as ``specdsl params``.  One module per page (:mod:`.language` with :mod:`.kinds`,
:mod:`.presets`, which adds the sections systems contribute, such as DeepCpG's documentation
table), shared helpers in :mod:`.common`.

Regenerate with ``python -m specdsl.docgen`` (``--check`` only compares).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from specdsl.docgen.language import language_markdown
from specdsl.docgen.presets import presets_markdown


def _config_markdown() -> str:
    from specdsl.config import config_docs

    return config_docs()


DOCS: dict[str, Callable[[], str]] = {"language.md": language_markdown, "presets.md": presets_markdown,
                                      "config.md": _config_markdown}


def default_docs_dir() -> Path:
    """``docs/`` of the checkout this module lives in."""
    return Path(__file__).resolve().parent.parent.parent / "docs"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specdsl.docgen", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_docs_dir(), help="folder to write (default: docs/)")
    parser.add_argument("--check", action="store_true", help="only report files that differ; exit 1 if any")
    args = parser.parse_args(argv)
    stale = []
    for name, make in DOCS.items():
        path = args.out / name
        text = make()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        print("out of date: " + ", ".join(stale) + " (run python -m specdsl.docgen)", file=sys.stderr)
        return 1
    if not stale:
        print("docs are up to date")
    return 0


__all__ = ["DOCS", "language_markdown", "presets_markdown", "main", "default_docs_dir"]
