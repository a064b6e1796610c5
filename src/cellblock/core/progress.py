"""A progress bar for long management commands (imports, exports).

On a terminal the bar redraws itself in place::

    [#########---------------------] 120/500 rows checked

Anywhere else (a log file, cron mail, a CI job) carriage returns would pile up
into one unreadable line, so the bar writes a plain line each time another
tenth of the work is done, and one at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.core.management.base import OutputWrapper


class Stream(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> None: ...

    def isatty(self) -> bool: ...


class ProgressBar:
    """``advance(n)`` as work gets done, ``close()`` when it is over."""

    def __init__(self, total: int, stream: Stream, label: str = "", *, width: int = 30) -> None:
        self.total = max(total, 0)
        self.stream = stream
        self.label = label
        self.width = width
        self.done = 0
        self.closed = False
        self._tty = _is_tty(stream)
        # Plain output: the last tenth reported, so each tenth is written once.
        self._last_tenth = 0
        self._last_step = 0
        if self._tty:
            self._draw()

    def advance(self, n: int = 1) -> None:
        if self.closed or n <= 0:
            return
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        if self._tty:
            # At most a thousand redraws, however many steps.
            step = self._step()
            if step != self._last_step:
                self._last_step = step
                self._draw()
            return
        tenth = self._tenth()
        if tenth > self._last_tenth and self.done < self.total:
            self._last_tenth = tenth
            self._line()

    def close(self) -> None:
        """Finish the bar: the final count on its own line."""
        if self.closed:
            return
        self.closed = True
        if self._tty:
            self._draw()
            self.stream.write("\n")
        else:
            self._line()
        self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _step(self) -> int:
        return self.done if self.total < 1000 else self.done * 1000 // self.total

    def _tenth(self) -> int:
        return 10 if not self.total else self.done * 10 // self.total

    def _counts(self) -> str:
        text = f"{self.done}/{self.total}"
        return f"{text} {self.label}" if self.label else text

    def _draw(self) -> None:
        filled = self.width if not self.total else self.done * self.width // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self._counts()}")
        self.stream.flush()

    def _line(self) -> None:
        self.stream.write(f"{self._counts()}\n")
        self.stream.flush()


def _is_tty(stream: Stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or bare stream
        return False


class Tracker(Protocol):
    """What long-running services report progress to (a ``ProgressBar``, or nothing)."""

    def advance(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


# Services ask for a tracker per phase: ``progress("rows checked", 500)``.
TrackerFactory = Callable[[str, int], Tracker]


class _Silent:
    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def silent(label: str, total: int) -> Tracker:
    """A tracker that reports nothing: the default when no one watches."""
    return _Silent()


class CommandOutput:
    """A management command's ``self.stderr`` as a ``Stream``.

    Django's ``OutputWrapper`` ends every write with a newline (and colours
    stderr red on a terminal), which would break a bar redrawn in place.
    """

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str, /) -> None:
        # As written: not in the error colour Django gives everything on stderr.
        self.wrapper.write(text, style_func=_plain, ending="")

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()


def _plain(text: str) -> str:
    return text


def bars(wrapper: OutputWrapper) -> TrackerFactory:
    """A ``TrackerFactory`` drawing one bar per phase on a command's output."""
    stream = CommandOutput(wrapper)
    return lambda label, total: ProgressBar(total, stream, label)
