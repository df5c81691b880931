"""The memory budget that every parameter-controlled allocation is checked against before it is made."""
from __future__ import annotations

from ..exceptions import DataError
from ..network.budget import memory_budget

__all__ = ["capped_rows", "check_rows", "memory_budget"]


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
