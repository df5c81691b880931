"""Progress of long work, on stderr only: a tqdm bar on a terminal, one plain line per step when
stderr is piped or written to a file (never a bar redrawn in a log), nothing when switched off.

Nothing shows for work that ends within :data:`DELAY` seconds, so quick commands, and errors found
before any long work, print exactly what they printed before. The Python API reports progress only
when asked (``progress=True``, scikit-learn's ``verbose`` convention); the ``rulex`` command asks
for it unless ``--quiet`` is given.

:func:`progress_bar` follows counted steps (training epochs, compared methods); :func:`working`
follows one step of unknown length (an extraction) with its elapsed time.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time

from tqdm import tqdm

__all__ = ["DELAY", "progress_bar", "working"]

DELAY = 2.0            # seconds of work before anything shows
_TICK = 0.5            # how often a waiting line or an elapsed-time bar is checked
_STILL = 60.0          # plain lines: a step still running after so many seconds without a line says so


def _on_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):      # a closed or replaced stream
        return False


def _stream():
    return sys.stderr


class _Reporter:
    """The shared protocol: ``start(note)`` when a step begins, ``update(n=1, note=None)`` when ``n`` steps
    are done; a context manager that closes the report (saying "done" only when the work succeeded)."""

    def start(self, note: str) -> None:
        pass

    def update(self, n: int = 1, note: str | None = None) -> None:
        pass

    def close(self, ok: bool = True) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        self.close(ok=kind is None)
        return False


class _Lines(_Reporter):
    """Steps as plain lines, written once the work has run :data:`DELAY` seconds (a step under way then
    gets its line late) and at most one every ``every`` seconds: ``rulex: DESC: NOTE (3 of 15)`` when a
    step starts (and ``DESC: still NOTE`` every :data:`_STILL` seconds of a long one), or
    ``rulex: DESC: 40 of 200 epochs; NOTE`` when steps are only counted; a closing ``done`` line when
    any line was written."""

    def __init__(self, total, desc, unit, every):
        self.total, self.desc, self.unit, self.every = total, desc, unit, every
        self.done = self.begun = 0
        self.note = ""
        self.started = time.monotonic()
        self.last_line: float | None = None
        self.pending: str | None = None
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _of(self, n) -> str:
        return f"{n} of {self.total}" if self.total else f"{n}"

    def _flush(self) -> None:
        now = time.monotonic()
        if self.pending is None and self.done < self.begun and self.last_line is not None \
                and now - self.last_line >= _STILL:
            self.pending = f"{self.desc}: still {self.note} ({self._of(self.begun)})"      # a long step
        if self.pending is None or now - self.started < DELAY:
            return
        if self.last_line is None or now - self.last_line >= self.every:
            print(f"rulex: {self.pending} after {now - self.started:.0f} s", file=_stream(), flush=True)
            self.pending, self.last_line = None, now

    def _watch(self):
        while not self.stop.wait(_TICK):
            with self.lock:
                self._flush()

    def start(self, note: str) -> None:
        with self.lock:
            self.begun += 1
            self.note = note
            self.pending = f"{self.desc}: {note} ({self._of(self.begun)})"
            self._flush()

    def update(self, n: int = 1, note: str | None = None) -> None:
        with self.lock:
            self.done += n
            if not self.begun:
                self.pending = f"{self.desc}: {self._of(self.done)} {self.unit}" + (f"; {note}" if note else "")
                self._flush()

    def close(self, ok: bool = True) -> None:
        self.stop.set()
        self.thread.join()
        with self.lock:
            if ok and self.last_line is not None:
                print(f"rulex: {self.desc}: done, {self.done} {self.unit} in {time.monotonic() - self.started:.1f} s",
                      file=_stream(), flush=True)


class _Bar(_Reporter):
    """Steps as a tqdm bar on the terminal (shown after :data:`DELAY` seconds, removed when done)."""

    def __init__(self, total, desc, unit):
        self.bar = tqdm(total=total, desc=desc, unit=unit, delay=DELAY, leave=False, file=_stream(),
                        dynamic_ncols=True)
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._tick, daemon=True)
        self.thread.start()

    def _tick(self):
        """Redraw while a long step runs, so the elapsed time moves."""
        while not self.stop.wait(_TICK):
            if time.monotonic() - self.started >= DELAY:
                with self.lock:
                    self.bar.refresh()

    def start(self, note: str) -> None:
        with self.lock:
            self.bar.set_postfix_str(str(note), refresh=False)

    def update(self, n: int = 1, note: str | None = None) -> None:
        with self.lock:
            if note is not None:
                self.bar.set_postfix_str(str(note), refresh=False)
            self.bar.update(n)

    def close(self, ok: bool = True) -> None:
        self.stop.set()
        self.thread.join()
        self.bar.close()


def progress_bar(total: int | None, desc: str, unit: str, enabled: bool | None, *, every: float = 10.0):
    """A progress report over ``total`` steps: ``start(note)`` as a step begins, ``update(n=1, note=None)``
    as steps end, ``close()`` (or use it as a context manager).

    Parameters
    ----------
    total : int or None
        The number of steps, if known.
    desc, unit : str
        What the work is (``"training network"``) and what its steps are (``"epochs"``).
    enabled : bool or None
        False: nothing. True or None: a bar on a terminal, plain lines on a piped stderr.
    every : float, default 10.0
        Plain lines: at most one every so many seconds (0: a line for every step once the work has run
        :data:`DELAY` seconds).

    Returns
    -------
    object
        The reporter.
    """
    if enabled is False or _stream() is None:          # no stderr (pythonw): never fall back to stdout
        return _Reporter()
    if _on_terminal(_stream()):
        return _Bar(total, desc, unit)
    return _Lines(total, desc, unit, every)


@contextlib.contextmanager
def working(desc: str, enabled: bool | None):
    """While one step of unknown length runs: after :data:`DELAY` seconds an elapsed-time bar on a
    terminal, or one line ``rulex: DESC ...`` on a piped stderr (and, when it succeeds, a closing line
    with the time taken)."""
    if enabled is False or _stream() is None:
        yield
        return
    terminal = _on_terminal(_stream())
    bar = tqdm(desc=desc, bar_format="{desc}: {elapsed}", delay=DELAY, leave=False, file=_stream(),
               disable=not terminal)
    stop = threading.Event()
    started = time.monotonic()
    said = threading.Event()

    def tick():
        while not stop.wait(_TICK):
            if time.monotonic() - started < DELAY:
                continue
            if terminal:
                bar.refresh()
            elif not said.is_set():
                print(f"rulex: {desc} ...", file=_stream(), flush=True)
                said.set()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    ok = False
    try:
        yield
        ok = True
    finally:
        stop.set()
        thread.join()
        bar.close()
        if ok and said.is_set():
            print(f"rulex: {desc}: done in {time.monotonic() - started:.1f} s", file=_stream(), flush=True)
