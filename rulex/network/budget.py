"""The memory budget a network's size is checked against before torch allocates it."""
from __future__ import annotations

import os

from ..exceptions import DataError, Param

__all__ = ["memory_budget", "check_network_size"]


def memory_budget() -> int:
    """Bytes a parameter-controlled allocation may take: ``RULEX_MEMORY_BUDGET_MB`` if set, else half
    the machine's physical memory, at most 4 GiB."""
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


def check_network_size(n_inputs: int, hidden: tuple, n_outputs: int, batch_size: int) -> None:
    """Raise a :class:`DataError` naming ``hidden_layer_sizes`` when training the network would exceed
    :func:`memory_budget`: float32 weights with their gradients and Adam's two moments (4 copies), the
    float64 copy the :class:`Network` keeps (2 more), and a batch's activations and their gradients."""
    sizes = (int(n_inputs), *(int(h) for h in hidden), int(n_outputs))
    n_weights = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    needed = 4 * (6 * n_weights + 2 * int(batch_size) * sum(sizes))
    budget = memory_budget()
    if needed > budget:
        raise DataError("a network of ", Param("hidden_layer_sizes", tuple(hidden)),
                        f" on {n_inputs} inputs has {n_weights:,} weights and would need about "
                        f"{needed / 2 ** 30:.1f} GiB to train, over the memory budget of {budget / 2 ** 30:.1f} GiB; "
                        "use fewer hidden units (RULEX_MEMORY_BUDGET_MB sets the budget)")
