"""The canonical printer: IR → architecture-string text that parses back to the same IR.

``parse_chain(format_chain(ir)) == ir`` for every chain the parser accepts (the
grammar tests check it).  A block is printed in its shortest form: positional
arguments in signature order (``conv[128@11]``), the rest as ``key=value``, and a
bare keyword when nothing was written (``do``).
"""

from __future__ import annotations

from specdsl.language.ir import ArgValue, Block, Chain, Repeat, Var
from specdsl.language.kinds import all_kinds
from specdsl.language.scalars import format_hyper, format_scalar


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
