"""argparse parsers with specdsl's error policy: every command line, the main one and the adapters'.

:class:`Parser` is what ``specdsl`` and its verbs are parsed with: a misspelt verb, choice or option
gets a did-you-mean (``specdsl param`` → "did you mean 'params'?", ``--inptu`` → "unknown option
--inptu; did you mean '--input'?"), found from the argv and the declared options, never from
argparse's wording, and named before any other complaint it may have caused (a required argument
the misspelt option stood for).  argparse's usage line and exit status 2 stay.

:class:`ToolParser` is an adapter's: the original tool's options.  Every one of them is declared,
so each is *known*; the ones specdsl does not implement are declared with
:meth:`ToolParser.unsupported` and refused by name when used (never silently ignored).  Any
mistake — an unknown or misspelt option, a missing or malformed value — is a :class:`SpecError`
naming the option, so the CLI exits 2 with a plain message instead of argparse's usage dump.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from specdsl.errors import SpecError, did_you_mean

_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")  # a value, as argparse reads it, not an option


class HelpFormatter(argparse.HelpFormatter):
    """Each option's default once: added as "(default: X)" where the help does not already speak of its
    default, left out where there is none to tell (None, False, an empty list, a suppressed one)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (not text or "default" in text.lower() or not action.option_strings or default is None
                or default is False or default is argparse.SUPPRESS or default == []):
            return action.help
        shown = " ".join(map(str, default)) if isinstance(default, (list, tuple)) else str(default)
        return text + f" (default: {shown})".replace("%", "%%")


class Parser(argparse.ArgumentParser):
    """argparse with did-you-mean for verbs, choices and options (subparsers are of this class too),
    and every option's default said once in its help (:class:`HelpFormatter`)."""

    _argv: list[str] = []  # what this parser was last given (a subparser: the words after its verb)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        self._argv = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(self._argv, namespace)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """As argparse's, but words left over are reported by the verb's parser, which knows their options."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self._chosen(parsed).error("unrecognized arguments: " + " ".join(extras))
        return parsed

    def _chosen(self, parsed: argparse.Namespace) -> Parser:
        """The innermost subparser ``parsed`` went through (``specdsl params …`` → the params parser)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                sub = action.choices.get(getattr(parsed, action.dest, None))
                if isinstance(sub, Parser):
                    return sub._chosen(parsed)
        return self

    def option_strings(self) -> list[str]:
        return [o for action in self._actions for o in action.option_strings]

    def _flags(self) -> list[str]:
        """The words of this parser's argv that are options (up to ``--``), without their ``=value``."""
        flags = []
        for word in self._argv:
            if word == "--":
                break
            if word.startswith("-") and word != "-" and not _NEGATIVE_NUMBER.match(word):
                flags.append(word.split("=", 1)[0])
        return flags

    def _action_of(self, flag: str) -> argparse.Action | None:
        """The option ``flag`` stands for: itself, a short one with its value attached (-n5), or the one
        option an abbreviation (--inp) begins."""
        table = self._option_string_actions
        if flag in table:
            return table[flag]
        if not flag.startswith("--") and flag[:2] in table:
            return table[flag[:2]]
        if flag.startswith("--") and self.allow_abbrev:
            matches = {id(a): a for o, a in table.items() if o.startswith(flag)}
            if len(matches) == 1:
                return next(iter(matches.values()))
        return None

    def given(self) -> list[argparse.Action]:
        """The options the user typed, in order (a default is not given: this tells the two apart)."""
        return [action for flag in self._flags() if (action := self._action_of(flag)) is not None]

    def unknown_option(self) -> tuple[str, str | None] | None:
        """The first word of this parser's argv that looks like an option and is none (nor an
        unambiguous prefix of one), with a did-you-mean; None when every option is known."""
        for flag in self._flags():
            if self._action_of(flag) is None and not (flag.startswith("--") and any(
                    o.startswith(flag) for o in self.option_strings())):  # an ambiguous prefix: argparse says so
                known = [o for o in self.option_strings() if o not in ("-h", "--help")]
                return flag, did_you_mean(flag, known)
        return None

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is not None and isinstance(value, str) and value not in action.choices:
            hint = did_you_mean(value, [str(c) for c in action.choices])
            if hint:
                choices = ", ".join(map(repr, action.choices))
                raise argparse.ArgumentError(action, f"invalid choice: {value!r}; {hint} (choose from {choices})")
        super()._check_value(action, value)

    def complaint(self, message: str) -> str:
        """What to tell the user: an unknown option first (it may be why a required argument is missing)."""
        unknown = self.unknown_option()
        if unknown is None:
            return message
        flag, hint = unknown
        return f"unknown option {flag}" + (f"; {hint}" if hint else "")

    def error(self, message: str) -> NoReturn:
        super().error(self.complaint(message))


class ToolParser(Parser):
    """``prog`` is the command as the user types it, e.g. ``specdsl deepcpg train``."""

    def __init__(self, prog: str, tool: str, description: str = "") -> None:
        # Unambiguous prefixes (--nb_ep) work, as in the tools' own argparse parsers.
        super().__init__(prog=prog, description=description)
        self.tool = tool
        self._unsupported: dict[str, str] = {}

    def unsupported(self, *flags: str, nargs: Any = None, why: str = "") -> None:
        """Declare options of the original tool that specdsl refuses (with ``why``)."""
        note = ("not supported by specdsl" + (f": {why}" if why else "")).replace("%", "%%")
        kwargs: dict[str, Any] = {"help": note, "default": argparse.SUPPRESS, "dest": f"_unsupported_{flags[0]}"}
        if nargs == 0:
            kwargs["action"] = "store_const"
            kwargs["const"] = True
        else:
            kwargs["metavar"] = "VALUE"
            if nargs is not None:
                kwargs["nargs"] = nargs
            if nargs == "?":
                kwargs["const"] = True
        self.add_argument(*flags, **kwargs)
        for flag in flags:
            self._unsupported[flag] = why or f"{flags[0]} is an option of {self.tool} that specdsl does not implement"

    def parse(self, argv: Sequence[str]) -> argparse.Namespace:
        """Parse ``argv``; unknown and unsupported options are SpecErrors naming them."""
        args, extras = self.parse_known_args(list(argv))
        for extra in extras:
            if extra.startswith("-"):
                self.error(f"unknown option {extra}")
            raise SpecError(f"unexpected argument '{extra}' for {self.prog}", hint=f"see '{self.prog} --help'")
        for flag, why in self._unsupported.items():
            if hasattr(args, f"_unsupported_{self._primary(flag)}"):  # set only when the option was given
                raise SpecError(f"not supported: {why}", path=flag)
        return args

    def _primary(self, flag: str) -> str:
        for action in self._actions:
            if flag in action.option_strings:
                return action.option_strings[0]
        return flag

    def error(self, message: str) -> NoReturn:
        unknown = self.unknown_option()
        if unknown is not None:
            flag, hint = unknown
            raise SpecError(f"unknown option {flag} for {self.prog}", path=flag,
                            hint=hint or f"see '{self.prog} --help'")
        raise SpecError(f"{self.prog}: {message}", hint=f"see '{self.prog} --help'")


__all__ = ["HelpFormatter", "Parser", "ToolParser"]
