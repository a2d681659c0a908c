"""The progress of seed_demo's steps: tqdm bars on a terminal, one plain line per step elsewhere.

tqdm switches itself off when its stream is not a terminal (`make run > log`, CI, an IDE's run window),
which left such a run silent for minutes; forced on, it would write a line per redraw instead. So when
the output is not a terminal each step writes one line when it is done, with its count and the time it
took and the time since the command began:

    seed_demo: facts: 120 days in 21.4 s, CPU 18.9 s (52.0 s in all)

(the CPU time tells a busy machine from a slow step).

The command's output is for developers and stays in English (it is not translated).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm


class StepReporter:
    """`bar(description, total, unit)` is a demo.facts.Bar; `step(name)` counts one of the network's steps."""

    def __init__(self, stream: TextIO, *, terminal: bool | None = None, prefix: str = "seed_demo") -> None:
        self.stream = stream
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.prefix = prefix
        self.started = time.monotonic()

    def line(self, text: str) -> None:
        """A plain line, with the time since the command began (written on a terminal too)."""
        self.stream.write(f"{self.prefix}: {text} ({self.elapsed():.1f} s in all)\n")
        self.stream.flush()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @contextmanager
    def bar(self, description: str, total: int, unit: str) -> Iterator[Callable[[int], None]]:
        began, cpu = time.monotonic(), time.process_time()
        done = 0
        if self.terminal:
            # tqdm on the real stderr: Django's OutputWrapper would end every redraw with a newline.
            with tqdm(total=total, desc=description, unit=unit, file=sys.stderr) as progress:
                yield progress.update
            return

        def advance(n: int = 1) -> None:
            nonlocal done
            done += n

        yield advance
        units = unit if done == 1 else f"{unit}s"
        self.line(f"{description}: {done} {units} in {_took(began, cpu)}")

    @contextmanager
    def steps(self, description: str, total: int) -> Iterator[Callable[[str], None]]:
        """A bar over named steps (the network's): each call names the step just done."""
        began, cpu = time.monotonic(), time.process_time()
        done: list[str] = []
        if self.terminal:
            with tqdm(total=total, desc=description, unit="step", file=sys.stderr) as progress:

                def advance_bar(name: str) -> None:
                    progress.set_postfix_str(name, refresh=False)
                    progress.update()

                yield advance_bar
            return
        yield done.append
        self.line(f"{description}: {len(done)} steps ({', '.join(done)}) in {_took(began, cpu)}")


def _took(began: float, cpu: float) -> str:
    return f"{time.monotonic() - began:.1f} s, CPU {time.process_time() - cpu:.1f} s"
