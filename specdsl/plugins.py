"""Where systems plug in: one :class:`Plugin` per folder of :mod:`specdsl.systems`.

The core (language, formats, training, config, cli) names no system.  Each system's package
``specdsl/systems/<name>/__init__.py`` calls :func:`register` with what it contributes: its
``specdsl <system> VERB`` command group, verbs of the main command line, ``make-data``
generators, config kinds, preset builders, config checks and notes for the generated docs.
A contribution is named by *module path*, never imported here: a registry that needs it
(the config-kind registry, the preset builders, the CLI) calls :func:`modules` and imports
only those modules, so listing the systems costs a handful of small ``__init__`` imports
and no NumPy, h5py or Keras.

:func:`discover` finds the systems as the packages of the ``systems`` folder; that is
the one import the layering contracts cannot see (it is computed), and it only ever goes
from a registry to the packages that asked to fill it.  A new system is one new folder.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType

SYSTEMS_PACKAGE = "specdsl.systems"


@dataclass(frozen=True)
class System:
    """A system's own command line: ``specdsl <name> <verb> ARGS…``.

    A verb module exposes ``main(argv: list[str]) -> int`` and raises ``SpecError`` for user
    mistakes (the CLI prints them and exits 2); it is imported only when its verb runs.
    """

    name: str
    doc: str
    verbs: tuple[tuple[str, str, str], ...]  # (verb, module, one-line help)
    missing: tuple[tuple[str, str], ...] = ()  # (verb, why): the tool's verbs specdsl does not implement

    def verb_names(self) -> list[str]:
        return [v for v, _, _ in self.verbs]


@dataclass(frozen=True)
class Plugin:
    """What one system contributes; every module named here is imported only by the registry that reads it.

    * ``verbs``: modules of main-command-line verbs, each with ``add_verb(subparsers)`` (the parser
      it adds sets ``func``);
    * ``make_data``: modules of ``specdsl make-data <name>`` generators, each with ``NAME``, ``HELP``,
      ``DEFAULT`` (the generator used when no name is given), ``add_arguments(parser)`` and ``run(args)``;
    * ``config_kinds``: modules whose import registers config kinds (:mod:`specdsl.config.kinds`);
    * ``preset_builders``: modules whose import registers preset builders
      (:mod:`specdsl.language.builders`);
    * ``config_checks``: modules whose import registers config checks (:mod:`specdsl.config.checks`);
    * ``docs_notes``: modules with ``preset_notes(name) -> list[str]`` for docs/presets.md;
    * ``predict_inputs``: modules with ``claims(path) -> bool`` and ``predict(model, paths, …)`` for
      input files ``specdsl predict`` does not read itself;
    * ``starters``: modules with ``STARTER``, a task's starter config (:mod:`specdsl.config.starters`).
    """

    name: str
    system: System | None = None
    verbs: tuple[str, ...] = ()
    make_data: tuple[str, ...] = ()
    config_kinds: tuple[str, ...] = ()
    preset_builders: tuple[str, ...] = ()
    config_checks: tuple[str, ...] = ()
    docs_notes: tuple[str, ...] = ()
    predict_inputs: tuple[str, ...] = ()
    starters: tuple[str, ...] = ()
    order: int = field(default=99, compare=False)  # where lists show it


_PLUGINS: dict[str, Plugin] = {}


def register(plugin: Plugin) -> Plugin:
    _PLUGINS[plugin.name] = plugin
    return plugin


@cache
def discover() -> dict[str, Plugin]:
    """Every system's plugin, imported once per process (each system package's ``__init__`` only)."""
    here = Path(__file__).resolve().parent / "systems"
    for folder in sorted(here.iterdir()):
        if (folder / "__init__.py").is_file():
            importlib.import_module(f"{SYSTEMS_PACKAGE}.{folder.name}")
    return dict(sorted(_PLUGINS.items(), key=lambda kv: (kv[1].order, kv[0])))


def systems() -> dict[str, System]:
    """The ``specdsl <system> VERB`` command groups, by name."""
    return {p.system.name: p.system for p in discover().values() if p.system is not None}


def module_names(contribution: str) -> tuple[str, ...]:
    """The module paths every plugin lists under ``contribution`` (a :class:`Plugin` field)."""
    return tuple(name for plugin in discover().values() for name in getattr(plugin, contribution))


def modules(contribution: str) -> list[ModuleType]:
    """Import and return the modules every plugin lists under ``contribution``."""
    return [importlib.import_module(name) for name in module_names(contribution)]


__all__ = ["Plugin", "System", "register", "discover", "systems", "module_names", "modules"]
