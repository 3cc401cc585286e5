"""The presets a config names: built in, in the config's ``spec-files``, or ``FILE.spec:NAME``.

One resolver for every config kind and adapter that names a preset (:func:`.bodies.body_preset`
and the config checks), so a name means the same thing in ``specdsl check`` and ``specdsl train``:

- ``FILE.spec:NAME`` (or ``FILE.spec`` when the file defines one preset) is that file's preset;
- a bare name is looked up in the files listed under ``spec-files`` first, then among the
  built-in presets: a listed file's preset wins over a built-in one of the same name, so a
  preset added to specdsl later never changes a config that already works;
- a bare name defined in two listed files is an error (write ``FILE.spec:NAME``).

Spec file paths are relative to the config file's folder, not the working directory, so a config
and its spec files can be moved together.  Problems come back unplaced, with the config key path
they belong to (``spec-files[0]``, ``model.architecture.preset``); callers place them with
:func:`.reader.place`.  An error inside a spec file keeps its own file, line and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from specdsl.config.reader import ArrayNode, Node, ScalarNode
from specdsl.errors import SpecError, SpecErrors, UnknownName, did_you_mean, quoted_list
from specdsl.language.ir import Preset

SPEC_FILES = "spec-files"


class ConfigPresets:
    """Where the preset names of one config are found (see the module docstring for the rule)."""

    def __init__(self, config_name: str = "", spec_files: Sequence[str] = ()):
        self.folder = Path(config_name).parent if config_name and not config_name.startswith("<") else Path(".")
        self.spec_files = tuple(spec_files)

    @classmethod
    def of_document(cls, root: Node) -> ConfigPresets:
        """The resolver of a positioned config: its file's folder and its ``spec-files`` strings."""
        listed = root.child(SPEC_FILES)
        items = listed.items if isinstance(listed, ArrayNode) else ()
        return cls(root.span.source.name, [str(n.value) for n in items
                                           if isinstance(n, ScalarNode) and isinstance(n.value, str)])

    def path(self, written: str) -> Path:
        """A spec file's path as written in the config, made relative to the config's folder."""
        path = Path(written).expanduser()
        return path if path.is_absolute() else self.folder / path

    def _exists(self, written: str, at: str) -> Path:
        """The file's path, or 'not found' at ``at`` with the nearest .spec file beside it."""
        path = self.path(written)
        if path.is_file():
            return path
        near = did_you_mean(Path(written).name, [p.name for p in path.parent.glob("*.spec")]) \
            if path.parent.is_dir() else None
        where = f"{self.folder}/" if str(self.folder) != "." else "the working directory"
        raise SpecError(f"spec file '{written}' not found", path=at, expected=f"a .spec file; looked for {path}",
                        hint="; ".join(filter(None, [near, f"a spec file's path is relative to the config file's "
                                                                 f"folder ({where})"])))

    def _load(self, written: str, at: str) -> list[Preset]:
        from specdsl.language.presets import load_spec_file

        path = self._exists(written, at)
        try:
            return load_spec_file(path)
        except SpecError as err:
            raise _at(err, at) from None

    @cached_property
    def _listed(self) -> tuple[dict[str, list[tuple[str, Preset]]], list[SpecError]]:
        """Every listed file's presets by lower-case name (with the file each is in), and the problems."""
        found: dict[str, list[tuple[str, Preset]]] = {}
        problems: list[SpecError] = []
        for i, written in enumerate(self.spec_files):
            try:
                presets = self._load(written, f"{SPEC_FILES}[{i}]")
            except SpecErrors as errs:
                problems += errs.errors
                continue
            except SpecError as err:
                problems.append(err)
                continue
            for preset in presets:
                found.setdefault(preset.name.lower(), []).append((written, preset))
        return found, problems

    def listing_errors(self) -> list[SpecError]:
        """What is wrong with the files under ``spec-files`` (missing, unreadable, a syntax error)."""
        return list(self._listed[1])

    def blocked(self, name: str) -> bool:
        """Whether looking ``name`` up would only repeat a problem of the spec-files list: a bare name
        while a listed file is broken, or FILE.spec:NAME of a broken listed file."""
        from specdsl.language.model import spec_file_target

        if not self.listing_errors():
            return False
        target = spec_file_target(name.strip())
        return target is None or self.path(target[0]) in {self.path(w) for w in self.spec_files}

    def listed_presets(self) -> list[Preset]:
        return [preset for entries in self._listed[0].values() for _, preset in entries]

    def find(self, name: str, at: str) -> Preset:
        """The preset ``name`` written at config key ``at``, or a SpecError for that key."""
        from specdsl.language.model import spec_file_target
        from specdsl.language.presets import find_preset, preset_in_file

        target = spec_file_target(name.strip())
        if target is not None:
            path = self._exists(target[0], at)
            try:
                return preset_in_file(path, target[1])
            except SpecError as err:
                raise _at(err, at) from None
        found, problems = self._listed
        if problems:
            raise problems[0] if len(problems) == 1 else SpecErrors(problems)
        entries = found.get(name.strip().lower(), [])
        if len(entries) > 1:
            files = [written for written, _ in entries]
            raise SpecError(f"preset '{name}' is defined in {len(files)} of the spec files: {', '.join(files)}",
                            path=at, hint=f"name the one you mean: {files[0]}:{entries[0][1].name}")
        if entries:
            return entries[0][1]
        preset = find_preset(name.strip())
        if preset is not None:
            return preset
        from specdsl.language.presets import all_presets

        names = [p.name for p in self.listed_presets()] + [p.name for p in all_presets()]
        listed = f" or in {quoted_list(self.spec_files)}" if self.spec_files else ""
        raise UnknownName(f"unknown preset '{name}'", path=at,
                          expected=f"a built-in preset (specdsl presets){listed}, or FILE.spec:NAME",
                          hint=did_you_mean(name, names) or "run 'specdsl presets' (or 'specdsl presets FILE.spec')")


def _at(err: SpecError, at: str) -> SpecError:
    """A problem of a whole spec file (unreadable, no such preset) said at the config key that names it;
    one inside the file (a syntax error) keeps its own file, line and column."""
    if err.span is None and not isinstance(err, SpecErrors):
        err.path, err.file = at, None
    return err


#: Configs without ``spec-files`` whose paths are relative to the working directory (command lines).
BUILT_IN = ConfigPresets()

__all__ = ["ConfigPresets", "BUILT_IN", "SPEC_FILES"]
