"""A progress bar for region-by-region work (predicting windows, writing tracks): regions done and regions/s.

Shown with rich on stderr when stderr is a terminal (or ``COLUMNS`` asks for it, as the console
does); otherwise nothing is drawn and the command prints one summary line at the end, so logs
and pipes get no control characters.
"""

from __future__ import annotations

import time
from typing import Any


class RegionProgress:
    """``with RegionProgress("predicting", total) as bar: bar.advance(n)``; ``stage()`` relabels it."""

    def __init__(self, label: str, total: int | None = None, *, show: bool | None = None) -> None:
        from specdsl.console import printer

        self.label, self.total = label, total
        self.show = printer(stderr=True).fancy if show is None else show
        self.done = 0
        self.began = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> RegionProgress:
        self.began = time.perf_counter()
        if self.show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            from specdsl.console import console

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=console(stderr=True),
                                 transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, rate="")
        return self

    def stage(self, text: str, total: int | None) -> None:
        """A new part of the work (a chromosome): its own label and total."""
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.label} {text}", total=total, completed=0)

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, advance=n, rate=f"{self.rate:,.0f} regions/s")

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.began

    @property
    def rate(self) -> float:
        seconds = self.seconds
        return self.done / seconds if seconds > 0 else 0.0

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def summary(self, what: str) -> str:
        return f"{what}: {self.done:,} regions in {self.seconds:.1f} s ({self.rate:,.0f} regions/s)"


__all__ = ["RegionProgress"]
