"""A bare architecture string as a preset: one input, the model-wide settings, its ``$name`` parameters."""

from __future__ import annotations

from specdsl.errors import Span
from specdsl.language.ir import Block, Chain, Choice, Hyper, InputDecl, Node, ParamDecl, Preset, Ref, Repeat, Var
from specdsl.language.kinds import all_kinds

DEFAULT_SETTINGS = (("dropout", 0.0), ("l1", 0.0), ("l2", 0.0))
NAME = "spec"  # the preset an architecture string becomes is known by this name in messages


def is_architecture_string(preset: Preset) -> bool:
    """Whether ``preset`` is a bare architecture string wrapped by :func:`adhoc_preset`."""
    return preset.name == NAME and not preset.family


def model_name(preset: Preset) -> str:
    """The name a model built from ``preset`` gets: the preset's own (``InhModel``), or for an
    architecture string ``model_<6 hex digits>`` of its canonical text — short, a valid Keras
    name, and the same wherever the string is compiled or trained (never the string itself,
    whose brackets would become ``conv_16_9__mp_4__…``)."""
    if not is_architecture_string(preset):
        return preset.name
    import hashlib

    from specdsl.language.printer import format_chain

    chain = preset.main_chain()
    text = format_chain(chain) if chain is not None else ""
    return f"model_{hashlib.sha256(text.encode()).hexdigest()[:6]}"


def adhoc_preset(text: str, chain: Chain | None = None, *, shape: tuple | None = None,
                 input_name: str = "input", node_name: str = "") -> Preset:
    """Wrap a bare architecture string as a one-input preset (model-wide settings default to 0)."""
    if chain is None:
        from specdsl.language.parsing import parse_chain  # the parser (and Lark) only for a string

        chain = parse_chain(text)
    first = _first_block(chain)
    dtype = all_kinds()[first.kind].input_dtype if first else "float32"
    if shape is None:
        shape = (1000,) if dtype == "int32" else (1001, 4)
    params = [ParamDecl(n, v, "model-wide default") for n, v in DEFAULT_SETTINGS]
    declared: set[str] = set()
    used = _vars_in(chain, declared=declared)
    params += [ParamDecl(v, None, "set with --set", used[v]) for v in sorted(used) if v not in declared]
    return Preset(NAME, "", "", tuple(params), (InputDecl(input_name, shape, dtype),),
                  (Node(node_name, Ref(input_name), chain),))


def _first_block(chain: Chain) -> Block | None:
    for item in chain.items:
        return _first_block(item.body) if isinstance(item, Repeat) else item
    return None


def _vars_in(chain: Chain, found: dict[str, Span | None] | None = None, *,
             declared: set[str] | None = None) -> dict[str, Span | None]:
    """Every ``$name`` of the chain, with where it is first written (for 'no value was given').

    The names of searched choices ``{$name: …}`` go to ``declared``: a ``$name`` that refers to
    one is bound by the search, not by ``--set``.
    """
    found = {} if found is None else found
    declared = set() if declared is None else declared

    def note(v: object) -> None:
        if isinstance(v, Var):
            found.setdefault(v.name, v.span)
        elif isinstance(v, Hyper):
            if v.name:
                declared.add(v.name)
            d = v.domain
            for x in (d.options if isinstance(d, Choice) else vars(d).values()):
                note(x)

    for item in chain.items:
        if isinstance(item, Repeat):
            note(item.times)
            _vars_in(item.body, found, declared=declared)
            continue
        for _, value in item.args:
            if isinstance(value, Chain):
                _vars_in(value, found, declared=declared)
                continue
            for v in [v for pair in value for v in pair] if isinstance(value, tuple) else [value]:
                note(v)
    return found


__all__ = ["DEFAULT_SETTINGS", "adhoc_preset"]
