"""The memory budget that every parameter-controlled allocation is checked against before it is made."""
from __future__ import annotations

from ..exceptions import DataError

__all__ = ["capped_rows", "check_rows", "memory_budget"]


def memory_budget() -> int:
    """Bytes a parameter-controlled allocation may take: ``RULEX_MEMORY_BUDGET_MB`` if set, else half
    the machine's physical memory, at most 4 GiB."""
    import os
    env = os.environ.get("RULEX_MEMORY_BUDGET_MB")
    if env:
        try:
            return max(1, int(float(env) * 2 ** 20))
        except ValueError:
            raise DataError(f"RULEX_MEMORY_BUDGET_MB must be a number of MiB, got {env!r}") from None
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        physical = 8 * 2 ** 30
    return int(min(4 * 2 ** 30, physical // 2))


def check_rows(name: str, n_rows, n_inputs: int, copies: int = 4) -> None:
    """Raise a :class:`DataError` naming ``name`` when ``n_rows`` points of ``n_inputs`` float64 inputs,
    held ``copies`` times over (points, labels, masks, candidates), exceed :func:`memory_budget`."""
    budget = memory_budget()
    per_row = 8 * max(int(n_inputs), 1) * max(int(copies), 1)
    if int(n_rows) * per_row > budget:
        raise DataError(f"{name}={n_rows} would need about {int(n_rows) * per_row / 2**30:.1f} GiB for "
                        f"{n_inputs} network inputs, over the memory budget of {budget / 2**30:.1f} GiB; the "
                        f"largest value that fits is {budget // per_row} (RULEX_MEMORY_BUDGET_MB sets the budget)")


def capped_rows(n: int, limit, random_state):
    """Sorted indices of a seeded random ``limit`` of ``n`` rows, or None when there are no more than
    ``limit`` (or ``limit`` is None): how a method caps the rows it works on."""
    import numpy as np
    if limit is None or n <= limit:
        return None
    return np.sort(np.random.default_rng(random_state).choice(n, int(limit), replace=False))
