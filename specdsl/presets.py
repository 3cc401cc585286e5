"""Named presets: spec files in ``specs/``, loaded once, looked up case-insensitively."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .errors import SpecError, did_you_mean
from .ir import Preset
from .parsing import parse_spec_file
from .resources import data_dir


def load_spec_file(path: str | Path) -> list[Preset]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("no such file", file=str(path)) from None
    except OSError as err:
        raise SpecError(f"cannot read the file: {err.strerror}", file=str(path)) from None
    return parse_spec_file(text, str(path))


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Preset]:
    found: dict[str, Preset] = {}
    for path in sorted(data_dir("specs").glob("*.spec")):
        for preset in load_spec_file(path):
            key = preset.name.lower()
            if key in found:
                raise SpecError(f"preset '{preset.name}' is defined twice", span=preset.span)
            found[key] = preset
    return found


def all_presets() -> list[Preset]:
    return list(_catalogue().values())


def find_preset(name: str) -> Preset | None:
    return _catalogue().get(name.lower())


def get_preset(name: str) -> Preset:
    preset = find_preset(name)
    if preset is None:
        names = [p.name for p in all_presets()]
        raise SpecError(f"unknown preset '{name}'", hint=did_you_mean(name, names) or "run 'specdsl presets'")
    return preset
