"""An argparse parser for adapters: the original tool's options, with specdsl's error policy.

Every option of the original tool is declared, so each is *known*; the ones specdsl
does not implement are declared with :meth:`ToolParser.unsupported` and refused by
name when used (never silently ignored).  Any mistake — an unknown or misspelt option,
a missing or malformed value — is a :class:`SpecError` naming the option, so the CLI
exits 2 with a plain message instead of argparse's usage dump.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from specdsl.errors import SpecError, did_you_mean


class ToolParser(argparse.ArgumentParser):
    """``prog`` is the command as the user types it, e.g. ``specdsl deepcpg train``."""

    def __init__(self, prog: str, tool: str, description: str = "") -> None:
        # Unambiguous prefixes (--nb_ep) work, as in the tools' own argparse parsers.
        super().__init__(prog=prog, description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
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
                flag = extra.split("=", 1)[0]
                known = [o for a in self._actions for o in a.option_strings]
                raise SpecError(f"unknown option {flag} for {self.prog}", path=flag,
                                hint=did_you_mean(flag, known) or f"see '{self.prog} --help'")
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
        raise SpecError(f"{self.prog}: {message}", hint=f"see '{self.prog} --help'")


__all__ = ["ToolParser"]
