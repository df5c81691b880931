"""The budgets of an extraction: the memory budget that every parameter-controlled allocation is
checked against before it is made, and :class:`WorkClock`, a count of work with the wall clock as a
safety net.

Same seed, same rules: a method stops on a count of work (terms, clauses, queries, rows scanned,
integer-program nodes...), never on the time it took, so a busy machine gives the rules an idle one
gives. The wall clock (``max_seconds``) is only a safety net against a runaway run; when it, and not
the work count, stops a method, the result says so (provenance ``budget.stopped_by == "max_seconds"``
and ``complete: False``, and a :class:`~rulex.PartialResultWarning` naming the method and the
parameter to raise; see :func:`wall_clock_note`).
"""
from __future__ import annotations

import time

from ..exceptions import BudgetExceededError, DataError
from ..network.budget import memory_budget

__all__ = ["capped_rows", "check_rows", "memory_budget", "WorkClock", "WALL_CLOCK", "wall_clock_note",
           "cut_by_wall_clock", "SAFETY_SECONDS"]

#: the ``stopped_by`` of a result the wall clock cut short
WALL_CLOCK = "max_seconds"
#: default ``max_seconds`` of a method: a safety net that a normal run on a busy 2-core machine never
#: reaches. Measured (benchmarks/results/load_determinism.md): ``rulex compare breast_cancer`` beside
#: four busy loops on 2 cores took up to 288 s in one method (brcg; 67 s idle), 4.3 times its idle time;
#: this is four times that. ``auto`` (411 s there, 59 s idle) gets three times this for all its candidates.
SAFETY_SECONDS = 1200.0


def check_rows(name: str, n_rows, n_inputs: int, copies: int = 4) -> None:
    """Raise a :class:`DataError` naming ``name`` when ``n_rows`` points of ``n_inputs`` float64 inputs,
    held ``copies`` times over (points, labels, masks, candidates), exceed :func:`memory_budget`."""
    budget = memory_budget()
    per_row = 8 * max(int(n_inputs), 1) * max(int(copies), 1)
    if int(n_rows) * per_row > budget:
        what = f"{name}={n_rows}" if name.isidentifier() else f"{name} ({n_rows})"
        raise DataError(f"{what} would need about {int(n_rows) * per_row / 2**30:.1f} GiB for "
                        f"{n_inputs} network inputs, over the memory budget of {budget / 2**30:.1f} GiB; the "
                        f"largest value that fits is {budget // per_row} (RULEX_MEMORY_BUDGET_MB sets the budget)")


def capped_rows(n: int, limit, random_state):
    """Sorted indices of a seeded random ``limit`` of ``n`` rows, or None when there are no more than
    ``limit`` (or ``limit`` is None): how a method caps the rows it works on."""
    import numpy as np
    if limit is None or n <= limit:
        return None
    return np.sort(np.random.default_rng(random_state).choice(n, int(limit), replace=False))


class WorkClock:
    """A count of work (``work``, against ``max_work``, the parameter ``work_name``) with the wall clock
    (``max_seconds``, read from :func:`time.monotonic`) as a safety net.

    ``spend(n)`` adds work; ``exhausted(where)`` returns the name of the budget that has run out
    (the work count is looked at first, so a run that both spent its work and its time is a
    deterministic stop) or None, and remembers the first budget that ran out and where.
    ``provenance()`` is what the result records.
    """

    def __init__(self, method: str, max_work=None, work_name: str | None = None, max_seconds=None):
        self.method, self.max_work, self.work_name, self.max_seconds = method, max_work, work_name, max_seconds
        self.work = 0
        self.start = time.monotonic()
        self.stopped_by: str | None = None
        self.where = ""

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def spend(self, n: int = 1) -> None:
        self.work += int(n)

    @property
    def wall_clock(self) -> bool:
        """Whether the wall clock (not the work count) stopped the run."""
        return self.stopped_by == WALL_CLOCK

    def exhausted(self, where: str = "") -> str | None:
        if self.stopped_by is not None:
            return self.stopped_by
        if self.max_work is not None and self.work_name and self.work >= self.max_work:
            self.stopped_by = self.work_name
        elif self.max_seconds is not None and self.elapsed() > self.max_seconds:
            self.stopped_by = WALL_CLOCK
        if self.stopped_by is not None:
            self.where = where
        return self.stopped_by

    def stop(self, name: str, where: str) -> None:
        """Record that the budget ``name`` stopped the run (a budget the caller checks itself)."""
        if self.stopped_by is None:
            self.stopped_by, self.where = name, where

    def message(self) -> str:
        """One sentence: which budget stopped the run, where, and what to raise."""
        if self.wall_clock:
            work = (f" before its work budget ({self.work:,} of {self.work_name}={self.max_work:,})"
                    if self.work_name and self.max_work is not None else f" ({self.work:,} units of work done)")
            return (f"{self.method}: the wall clock stopped it after {self.elapsed():.1f} s "
                    f"(max_seconds={self.max_seconds}) while {self.where}{work}; the result depends on the "
                    "machine's load. Raise max_seconds")
        limit = self.max_work if self.stopped_by == self.work_name else "its limit"
        return (f"{self.method}: stopped by its work budget {self.stopped_by}={limit} while {self.where} "
                f"(the same on any machine). Raise {self.stopped_by}")

    def error(self, text: str) -> BudgetExceededError:
        """A :class:`BudgetExceededError` with ``text``, its ``stopped_by`` the budget that ran out (so
        that a comparison can tell a wall-clock stop from a work-budget one)."""
        exc = BudgetExceededError(text)
        exc.stopped_by = self.stopped_by        # type: ignore[attr-defined]
        return exc

    def provenance(self) -> dict:
        """``{"budget": {...}}`` (the work done, the budgets and which one stopped the run), plus
        ``complete: False`` when the wall clock stopped it."""
        info = {"stopped_by": self.stopped_by, "max_seconds": self.max_seconds, "work_done": int(self.work)}
        if self.work_name:
            info.update({"work": self.work_name, self.work_name: self.max_work})
        if self.stopped_by is not None:
            info["where"] = self.where
        out: dict = {"budget": info}
        if self.wall_clock:
            out["complete"] = False
        return out


def cut_by_wall_clock(provenance=None, error=None) -> bool:
    """Whether a result's ``provenance`` (or the ``error`` a method raised) says the wall clock, not a
    work budget, stopped the method."""
    if error is not None:
        return getattr(error, "stopped_by", None) == WALL_CLOCK
    budget = (provenance or {}).get("budget")
    return isinstance(budget, dict) and budget.get("stopped_by") == WALL_CLOCK


def wall_clock_note(method: str, extra: dict) -> str | None:
    """The warning for a result whose provenance ``extra`` says the wall clock cut it short (or one of
    its parts, e.g. an ``auto`` candidate), else None."""
    budget = extra.get("budget")
    if not isinstance(budget, dict) or budget.get("stopped_by") != WALL_CLOCK:
        return None
    where = f" while {budget['where']}" if budget.get("where") else ""
    work = budget.get("work")
    tail = f" (its work budget {work}={budget.get(work)} was not reached)" if work else ""
    return (f"{method}: cut short by the wall clock (max_seconds={budget.get('max_seconds')}){where}{tail}; the "
            "rules depend on the machine's load and may differ on an idle one. Raise max_seconds for the "
            "deterministic result")
