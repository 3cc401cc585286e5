"""The ``specdsl`` command: thin verbs over the library, in a few modules of this package.

The core verbs live in :mod:`.analysis` (language only), :mod:`.models`, :mod:`.training`,
:mod:`.interpret` and :mod:`.motifs`; systems add theirs (``specdsl annotate``, ``specdsl onehot``) and
their command groups (``specdsl deepcpg train …``, :mod:`.systems`) through :mod:`specdsl.plugins`, so this package
names no system.  User mistakes are :class:`~specdsl.errors.SpecError`: printed with position
and caret, exit status 2, no traceback (``--debug`` shows one).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from specdsl.errors import SpecError

EXIT_USER_ERROR = 2


#: The core verbs, by the module that adds them (a verb named on the command line builds only its module's).
CORE_VERBS = {
    "analysis": ("presets", "params", "space", "check", "length", "kinds"),
    "models": ("compile", "inspect", "predict", "tracks", "evaluate", "plot"),
    "training": ("train", "make-data", "init", "schema"),
    "interpret": ("interpret",),
    "motifs": ("motifs",),
}


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or, given a core ``verb``, only the verbs of its module: ``specdsl params``
    then builds six subparsers instead of every verb and every system's (a few tens of ms)."""
    import importlib

    from specdsl.options import Parser  # a did-you-mean for a misspelt verb, choice or option, in every verb
    from specdsl.version import __version__

    parser = Parser(
        prog="specdsl",
        description="Compile architecture strings, presets and training configs into Keras 3 models.",
    )
    parser.add_argument("--version", action="version", version=f"specdsl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    owner = next((name for name, verbs in CORE_VERBS.items() if verb in verbs), None)
    for name in CORE_VERBS if owner is None else (owner,):
        importlib.import_module(f"specdsl.cli.{name}").add_verbs(sub)
    if owner is not None:
        return parser
    from specdsl.cli import systems
    from specdsl.plugins import modules

    for verbs in modules("verbs"):
        verbs.add_verb(sub)
    systems.add_groups(sub)
    return parser


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what the shell reports for any program a closed pipe stopped


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; its exit status.

    A reader that leaves early (``specdsl presets | head -3``, ``train … 2>&1 | head``) is not an
    error: every verb ends quietly, without a traceback or a message, with status 141, the status
    a shell gives a program stopped by SIGPIPE (so ``set -o pipefail`` scripts still see that the
    command did not finish; argparse's own ``--help`` ignores the closed pipe and ends with 0).
    A training run stopped this way delivers nothing: the outputs beside its prefix stay the
    previous run's (:mod:`specdsl.training.delivery`).
    """
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # a reader that left shows here (argparse's --help hides it), not at exit
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for stream in (sys.stdout, sys.stderr):  # what is still buffered for the pipe goes nowhere at exit
            with contextlib.suppress(OSError, ValueError):  # a stream without a descriptor (captured)
                os.dup2(devnull, stream.fileno())
        return EXIT_BROKEN_PIPE


def _run(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    call = None
    if not any(first in verbs for verbs in CORE_VERBS.values()):  # a system's command line, perhaps
        from specdsl.cli.systems import system_call

        call = system_call(argv)
    if call is not None:
        from specdsl.cli.systems import run

        debug, rest = call
        args = argparse.Namespace(debug=debug, func=lambda _a: run(rest[0], rest[1], rest[2:]))
    else:
        args = build_parser(first).parse_args(argv)
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
    except BrokenPipeError:
        raise  # the reader left: not a path the user gave (see main)
    except OSError as err:  # a path the user gave cannot be read or written
        if args.debug:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"{where}{err.strerror or err}", file=sys.stderr)
        return EXIT_USER_ERROR


__all__ = ["EXIT_BROKEN_PIPE", "EXIT_USER_ERROR", "build_parser", "main"]
