"""The ``specdsl`` command: thin verbs over the library, in a few modules of this package.

The core verbs live in :mod:`.analysis` (language only), :mod:`.models` and :mod:`.training`;
systems add theirs (``specdsl annotate``, ``specdsl onehot``) and their command groups
(``specdsl deepcpg train …``, :mod:`.systems`) through :mod:`specdsl.plugins`, so this package
names no system.  User mistakes are :class:`~specdsl.errors.SpecError`: printed with position
and caret, exit status 2, no traceback (``--debug`` shows one).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from specdsl.errors import SpecError

EXIT_USER_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    from specdsl import __version__
    from specdsl.cli import analysis, models, systems, training
    from specdsl.plugins import modules

    parser = argparse.ArgumentParser(
        prog="specdsl",
        description="Compile architecture strings, presets and training configs into Keras 3 models.",
    )
    parser.add_argument("--version", action="version", version=f"specdsl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    analysis.add_verbs(sub)
    models.add_verbs(sub)
    training.add_verbs(sub)
    for verbs in modules("verbs"):
        verbs.add_verb(sub)
    systems.add_groups(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from specdsl.cli.systems import run, system_call

    argv = list(sys.argv[1:] if argv is None else argv)
    call = system_call(argv)
    if call is not None:
        debug, rest = call
        args = argparse.Namespace(debug=debug, func=lambda _a: run(rest[0], rest[1], rest[2:]))
    else:
        args = build_parser().parse_args(argv)
    if not args.debug:  # TensorFlow's C++ start-up chatter is not for users
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        return int(args.func(args) or 0)
    except SpecError as err:
        if args.debug:
            raise
        print(err.render(), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `specdsl params X --json | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a path the user gave cannot be read or written
        if args.debug:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"{where}{err.strerror or err}", file=sys.stderr)
        return EXIT_USER_ERROR


__all__ = ["EXIT_USER_ERROR", "build_parser", "main"]
