"""The canonical printer: IR → architecture-string text that parses back to the same IR.

``parse_chain(format_chain(ir)) == ir`` for every chain the parser accepts (the
grammar tests check it).  A block is printed in its shortest form: positional
arguments in signature order (``conv[128@11]``), the rest as ``key=value``, and a
bare keyword when nothing was written (``do``).
"""

from __future__ import annotations

from .ir import ArgValue, Block, Chain, Choice, Hyper, Range, Repeat, Scalar, Var
from .registry import all_kinds


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


def format_value(value: ArgValue) -> str:
    if isinstance(value, Chain):
        return format_chain(value)
    if isinstance(value, tuple):
        # a $name count needs a space, or the name would swallow the 'x'
        return "|".join(f"{format_scalar(n)}{' ' if isinstance(n, Var) else ''}x{format_scalar(w)}"
                        for n, w in value)
    return format_scalar(value)


def format_block(block: Block) -> str:
    kind = all_kinds()[block.kind]  # the signature decides positional vs keyword form
    if not block.args:
        return kind.name
    parts: list[str] = []
    args = dict(block.args)
    for pos in kind.positional:
        if isinstance(pos, tuple):  # an F@K pair
            if pos[0] in args:
                parts.append(f"{format_scalar(args.pop(pos[0]))}@{format_scalar(args.pop(pos[1]))}")
        elif pos in args:
            parts.append(format_value(args.pop(pos)))
        else:
            break
    parts.extend(f"{k}={format_value(v)}" for k, v in args.items())
    return f"{kind.name}[{','.join(parts)}]"


def format_chain(chain: Chain) -> str:
    out = []
    for item in chain.items:
        if isinstance(item, Repeat):
            # a $name count needs a space, or the name would swallow the 'x'
            gap = " " if isinstance(item.times, Var) else ""
            out.append(f"{format_scalar(item.times)}{gap}x({format_chain(item.body)})")
        else:
            out.append(format_block(item))
    return "_".join(out)


__all__ = ["format_scalar", "format_hyper", "format_value", "format_block", "format_chain"]
