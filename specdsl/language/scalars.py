"""Scalars and searched values written back as the language writes them (``yes``, ``0.1``, ``{32..128:32}``).

Below the printer and the layer registry, so argument checks can quote a value without
importing the printer, which reads the registry.
"""

from __future__ import annotations

from specdsl.language.ir import Choice, Hyper, Range, Scalar


def format_scalar(value: Scalar) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") and "e" not in text else text
    if isinstance(value, Hyper):
        return format_hyper(value)
    return str(value)


def format_hyper(hyper: Hyper) -> str:
    """``{32,64}``, ``{1..7}``, ``{32..128:32}``, ``{0.0001~0.01:log}``, ``{$units:32..128:32}``."""
    d = hyper.domain
    if isinstance(d, Choice):
        body = ",".join(format_scalar(o) for o in d.options)
    elif isinstance(d, Range):
        step = "" if d.step == 1 and not isinstance(d.step, float) else f":{format_scalar(d.step)}"
        body = f"{format_scalar(d.low)}..{format_scalar(d.high)}{step}"
    else:
        body = f"{format_scalar(d.low)}~{format_scalar(d.high)}{':log' if d.log else ''}"
    return "{" + (f"${hyper.name}:" if hyper.name else "") + body + "}"


__all__ = ["format_hyper", "format_scalar"]
