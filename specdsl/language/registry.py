"""The layer registry: one entry per layer kind.

An entry says everything about a kind: its keyword and aliases, its argument
signature with defaults, a one-line doc, and how it *lowers* to primitive Keras
layers (see :mod:`specdsl.language.primitives`).  Shapes, exact parameter counts, MACs and
the Keras graph all follow from the lowering, so a kind's counting and building can
never disagree.  Adding a kind is one ``register(Kind(...))`` call; the grammar
does not change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from specdsl.errors import LimitExceeded, Span, SpecError, did_you_mean
from specdsl.language.ir import Chain, Choice, Hyper, Interval, Range, Var
from specdsl.language.limits import MAX_SIZE
from specdsl.language.scalars import format_scalar

if TYPE_CHECKING:
    from specdsl.language.lowering import BlockContext, Tensor

REQUIRED = object()

ACTIVATIONS = (
    "linear", "relu", "gelu", "sigmoid", "tanh", "softmax", "elu", "selu", "swish",
    "softplus", "hard-sigmoid", "leaky-relu", "exp",
)
TRUE_WORDS = {"yes": True, "true": True, "on": True, "no": False, "false": False, "off": False}


@dataclass(frozen=True)
class Arg:
    """One argument of a layer kind.

    ``type`` is one of int, float, choice, bool, stages, chain.  ``setting`` names a
    model-wide setting (a preset parameter such as ``dropout`` or ``l2``) that
    supplies the default, which is how DeepCpG's bare ``do`` takes ``--dropout``.
    """

    name: str
    type: str
    default: Any = REQUIRED
    doc: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_max: bool = False
    setting: str | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def describe(self) -> str:
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        if self.type == "int":
            low = 1 if self.minimum is None else int(self.minimum)
            return f"a whole number ≥ {low}"
        if self.type == "float":
            lo = "" if self.minimum is None else f" ≥ {self.minimum:g}"
            hi = "" if self.maximum is None else f" {'<' if self.exclusive_max else '≤'} {self.maximum:g}"
            return "a number" + lo + (" and" if lo and hi else "") + hi
        if self.type == "bool":
            return "yes or no"
        if self.type == "stages":
            return "stages like 2x128|2x256 (N units of width F, stages separated by |)"
        if self.type == "chain":
            return "an architecture string such as fc[256]"
        return self.type


Positional = Union[str, tuple[str, str]]  # an argument name, or an F@K pair of two


@dataclass(frozen=True)
class Kind:
    name: str
    doc: str
    lower: Callable[[BlockContext, Tensor], Tensor]
    args: tuple[Arg, ...] = ()
    positional: tuple[Positional, ...] = ()
    aliases: tuple[str, ...] = ()
    pointwise: bool = False  # acts on the last axis only (allowed inside each[...])
    recurrent: bool = False
    input_dtype: str = "float32"  # what a model starting with this kind is fed
    #: An architecture string that uses the kind (shown by ``specdsl kinds KIND``, in docs/language.md and in
    #: the errors of a missing argument; tests/test_kinds_view.py analyses every one) and the input shape it
    #: needs, when the default input of an architecture string (1001×4 floats, or 1000 tokens) does not fit.
    example: str = ""
    example_input: tuple[int | None, ...] = ()
    shorthands: dict[str, dict[str, Any]] = field(default_factory=dict)

    def arg(self, name: str) -> Arg:
        for a in self.args:
            if a.name == name:
                return a
        raise KeyError(name)

    def arg_names(self) -> list[str]:
        return [a.name for a in self.args]

    def signature(self) -> str:
        pos = []
        for p in self.positional:
            pos.append(f"{p[0].upper()[0]}@{p[1].upper()[0]}" if isinstance(p, tuple) else p)
        return ", ".join(pos)


KINDS: dict[str, Kind] = {}
_LOOKUP: dict[str, tuple[Kind, dict[str, Any]]] = {}


def register(kind: Kind) -> Kind:
    for key in (kind.name, *kind.aliases):
        assert key.lower() not in _LOOKUP, f"layer keyword {key!r} registered twice"
        _LOOKUP[key.lower()] = (kind, {})
    for key, fixed in kind.shorthands.items():
        assert key.lower() not in _LOOKUP, f"layer keyword {key!r} registered twice"
        _LOOKUP[key.lower()] = (kind, fixed)
    KINDS[kind.name] = kind
    return kind


#: A stage's number of units or width, as a searched stage checks it.
STAGE_NUMBER = Arg("stage", "int", doc="stage's units or width (NxF)", minimum=1)


def _stage_hyper(kind: Kind, x: Any, span: Span | None) -> Any:
    """One side of a stage NxF: a searched one is checked now, a ``$name`` once bound, a number as usual."""
    if isinstance(x, Hyper):
        return check_hyper(None, STAGE_NUMBER, x, span)
    if isinstance(x, Var):
        return x
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise SpecError(f"{kind.name}: a stage needs whole numbers ≥ 1, not {x}", span=span,
                        expected="stages like 2x128|2x256")
    if x >= MAX_SIZE:
        raise LimitExceeded(f"{kind.name}: a stage size of {x:,} is too large to build", span=span,
                            expected=f"a size below {MAX_SIZE:,} (2^31)")
    return x


def check_value(kind: Kind, arg: Arg, value: Any, span: Span | None) -> Any:
    """Validate one argument value against its signature and normalise it."""
    if isinstance(value, Var):
        return value  # checked again once the parameter is bound
    if isinstance(value, Hyper) and arg.type != "stages":
        return check_hyper(kind, arg, value, span)  # every value it can take, checked now

    def bad(what: str) -> SpecError:
        return SpecError(
            f"{kind.name}: argument '{arg.name}' {what}",
            span=span,
            expected=arg.describe(),
            hint=arg.doc or None,
        )

    def too_large(value: int) -> SpecError:
        return LimitExceeded(f"{kind.name}: argument '{arg.name}' is {value:,}, too large to build", span=span,
                             expected=f"a size below {MAX_SIZE:,} (2^31)", hint=arg.doc or None)

    t = arg.type
    if t == "chain":
        if not isinstance(value, Chain):
            raise bad(f"must be an architecture string, not {value!r}")
        return value
    if t == "stages":
        if isinstance(value, Chain) or not isinstance(value, tuple):
            raise bad("must be written as stages")
        out = []
        for n, w in value:
            if isinstance(n, (Var, Hyper)) or isinstance(w, (Var, Hyper)):
                out.append(tuple(_stage_hyper(kind, x, span) for x in (n, w)))
                continue
            if not (isinstance(n, int) and isinstance(w, int)) or n < 1 or w < 1:
                raise bad(f"has a stage {n}x{w} that is not two whole numbers ≥ 1")
            if max(n, w) >= MAX_SIZE:
                raise too_large(max(n, w))
            out.append((n, w))
        return tuple(out)
    if isinstance(value, (tuple, Chain)):
        raise bad("has the wrong form")
    if t == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in TRUE_WORDS:
            return TRUE_WORDS[value.lower()]
        raise bad(f"must be yes or no, not '{value}'")
    if t == "choice":
        if isinstance(value, str) and value.lower() in arg.choices:
            return value.lower()
        hint = did_you_mean(str(value), arg.choices)
        err = bad(f"cannot be '{value}'")
        err.hint = hint or err.hint
        raise err
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise bad(f"must be a whole number, not {value}")
        low = 1 if arg.minimum is None else arg.minimum
        if value < low:
            raise bad(f"must be ≥ {low:g}, not {value}")
        if value >= MAX_SIZE:
            raise too_large(value)
        return value
    if t == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad(f"must be a number, not '{value}'")
        value = float(value)
        if not math.isfinite(value):
            raise bad(f"must be a finite number, not {value}")
        if arg.minimum is not None and value < arg.minimum:
            raise bad(f"must be ≥ {arg.minimum:g}, not {value:g}")
        if arg.maximum is not None and (value > arg.maximum or (arg.exclusive_max and value >= arg.maximum)):
            raise bad(f"must be {'<' if arg.exclusive_max else '≤'} {arg.maximum:g}, not {value:g}")
        return value
    raise AssertionError(t)


# ---------------------------------------------------------------- checks against an argument


def check_hyper(kind: Kind | None, arg: Arg, hyper: Hyper, span: Span | None) -> Hyper:
    """Check every value of ``hyper`` against ``arg`` and normalise them (``Relu`` → ``relu``, 64 → 64.0 for
    a float argument).  ``$parameter`` bounds are checked once they are bound."""
    span = hyper.span or span
    where = f"{kind.name}: argument '{arg.name}'" if kind is not None else f"the {arg.doc or arg.name}"
    domain = hyper.domain

    def fail(what: str, hint: str | None = None) -> SpecError:
        return SpecError(f"{where} {what}", span=span, expected=_expects(arg), hint=hint)

    def one(x: Any) -> Any:
        if isinstance(x, Var):
            return x
        if kind is None:
            return _check_count(arg, x, fail)
        return check_value(kind, arg, x, span)

    if isinstance(domain, Choice):
        options = tuple(one(o) for o in domain.options)
        seen: list[Any] = []
        for o in options:
            if any(o == s and type(o) is type(s) for s in seen):
                raise fail(f"has the value {_shown(o)} twice in {{…}}")
            seen.append(o)
        return Hyper(Choice(options), hyper.name, hyper.span)
    if arg.type not in ("int", "float"):
        raise fail("takes one of its words or values, so a range cannot give it values",
                   hint="list them instead, e.g. {" + ",".join(arg.choices[:3] or ("yes", "no")) + "}")
    if isinstance(domain, Interval):
        if arg.type != "float":
            raise fail("takes whole numbers, so a continuous range {a~b} cannot give it values",
                       hint="use a whole-number range such as {32..128} or {32..128:32}")
        low, high = one(domain.low), one(domain.high)
        if not (isinstance(low, Var) or isinstance(high, Var)):
            if low >= high:
                raise fail(f"has an empty range {{{_shown(low)}~{_shown(high)}}} (the first bound must be smaller)")
            if domain.log and low <= 0:
                raise fail(f"has a log range starting at {_shown(low)}; a log range needs bounds above 0")
        return Hyper(Interval(low, high, domain.log), hyper.name, hyper.span)
    low, high = one(domain.low), one(domain.high)
    step = domain.step
    if not isinstance(step, Var):
        if isinstance(step, bool) or not isinstance(step, (int, float)) or step <= 0:
            raise fail(f"has the step {_shown(step)}; a step must be a number above 0")
        if arg.type == "int" and not float(step).is_integer():
            raise fail(f"takes whole numbers, so its step cannot be {_shown(step)}")
        step = int(step) if arg.type == "int" else float(step)
    if not any(isinstance(x, Var) for x in (low, high, step)):
        if low > high:
            raise fail(f"has an empty range {{{_shown(low)}..{_shown(high)}}} (the first bound must not be larger)")
        if arg.type == "float" and domain.step == 1 and not (float(low).is_integer() and float(high).is_integer()):
            raise fail(f"needs a step for a range of fractions: {{{_shown(low)}..{_shown(high)}:0.1}}, say")
    return Hyper(Range(low, high, step), hyper.name, hyper.span)


def _check_count(arg: Arg, x: Any, fail: Any) -> Any:
    """A value with no layer kind to check it (a repeat count, a stage's number, a searched parameter):
    a number ≥ the argument's minimum, whole for an ``int`` argument."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise fail(f"cannot be {_shown(x)}")
    if arg.type == "int":
        if not float(x).is_integer():
            raise fail(f"cannot be {_shown(x)}: it takes whole numbers")
        x = int(x)
    low = 0 if arg.minimum is None else arg.minimum
    if x < low:
        raise fail(f"cannot be {_shown(x)}: it takes {'whole ' if arg.type == 'int' else ''}numbers ≥ {low:g}")
    return x


def _expects(arg: Arg) -> str:
    return (f"{arg.describe()} for each value: {{a,b,c}}, {{low..high}}, {{low..high:step}}"
            + (", or {low~high} / {low~high:log}" if arg.type == "float" else ""))


def _shown(x: Any) -> str:
    return format_scalar(x)
