"""Named presets: spec files in ``specs/`` and the presets builders write (:mod:`specdsl.language.builders`),
loaded once, looked up case-insensitively."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

from specdsl.errors import SpecError, UnknownName, did_you_mean, quoted_list
from specdsl.language.ir import Preset
from specdsl.language.resources import data_dir
from specdsl.language.spec_cache import parse_cached


def load_spec_file(path: str | Path) -> list[Preset]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("no such file", file=str(path)) from None
    except OSError as err:
        raise SpecError(f"cannot read the file: {err.strerror}", file=str(path)) from None
    return parse_cached(text, str(path))


def preset_in_file(path: str | Path, name: str = "") -> Preset:
    """The preset ``name`` (any case) of one spec file; without a name, the file's only preset.

    What ``FILE.spec:NAME`` means wherever a preset is named: ``specdsl params``/``check``/``compile``
    and training configs (:mod:`specdsl.config.user_presets`) both come here, so the rule and its
    messages are written once."""
    presets = load_spec_file(path)
    names = [p.name for p in presets]
    if name:
        for preset in presets:
            if preset.name.lower() == name.lower():
                return preset
        raise UnknownName(f"{path} has no preset '{name}'", file=str(path), hint=did_you_mean(name, names),
                          expected=f"one of {quoted_list(names, limit=12)}" if names else "a file with presets")
    if len(presets) != 1:
        raise SpecError(f"{path} defines {len(presets)} presets; pick one as FILE:NAME",
                        expected=", ".join(names) or "a preset", file=str(path))
    return presets[0]


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Preset]:
    from specdsl.language.builders import all_builders, default_preset

    found: dict[str, Preset] = {}
    for path in sorted(data_dir("specs").glob("*.spec")):
        for preset in _file(path).values():
            key = preset.name.lower()
            if key in found:
                raise SpecError(f"preset '{preset.name}' is defined twice", span=preset.span)
            found[key] = preset
    for builder in all_builders():  # presets written by code (specdsl.language.builders), after the spec files'
        for key in (builder.name, *builder.aliases):
            if key.lower() in found or key.lower() in _index():
                raise SpecError(f"preset '{key}' is defined twice (a spec file and {builder.module})")
        found[builder.name.lower()] = default_preset(builder.name)
    return found


def all_presets() -> list[Preset]:
    return list(_catalogue().values())


_DECLARES = re.compile(r"^\s*preset\s+([A-Za-z_][A-Za-z0-9_\-]*)", re.MULTILINE)


@lru_cache(maxsize=1)
def _index() -> dict[str, Path]:
    """Which spec file declares which preset, from a text scan (no parsing)."""
    where: dict[str, Path] = {}
    for path in sorted(data_dir("specs").glob("*.spec")):
        for match in _DECLARES.finditer(path.read_text(encoding="utf-8")):
            where.setdefault(match.group(1).lower(), path)
    return where


@cache
def _file(path: Path) -> dict[str, Preset]:
    return {p.name.lower(): p for p in load_spec_file(path)}


def find_preset(name: str) -> Preset | None:
    """Parse only the spec file that declares ``name``: ``params PRESET`` stays fast.

    Presets written by a builder (:mod:`specdsl.language.builders`) are found by name or alias."""
    path = _index().get(name.lower())
    if path is None:
        from specdsl.language.builders import default_preset, find_builder

        builder = find_builder(name)
        return default_preset(builder.name) if builder is not None else None
    return _file(path).get(name.lower())


def get_preset(name: str) -> Preset:
    preset = find_preset(name)
    if preset is None:
        names = [p.name for p in all_presets()]
        raise SpecError(f"unknown preset '{name}'", hint=did_you_mean(name, names) or "run 'specdsl presets'")
    return preset
