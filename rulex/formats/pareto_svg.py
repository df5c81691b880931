"""Geometry of the fidelity-conditions chart on the ``rulex compare`` HTML page.

:func:`pareto_chart` turns a comparison's columns into plain coordinates (points, labels,
ticks, the Pareto staircase) that the ``pareto_svg`` macro of ``_macros.html`` draws as an
inline SVG: no matplotlib, no script, every label autoescaped by the template. The front is
taken as given (the ``pareto`` column of :func:`rulex.compare`), not recomputed here.

The x axis (conditions, fewer is simpler) is linear up to 12 conditions and ``log10(1 + x)``
beyond, so rule sets of 1 and of 300 conditions both stay readable and 0 conditions (a
default-only rule set) still has a place. A point of 0 conditions (no rules: a constant
prediction, the baseline) is labelled "(no rules)" and never drawn on the front.
"""
from __future__ import annotations

import math

__all__ = ["pareto_chart"]

WIDTH, HEIGHT = 720, 400
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 16, 52      # plot margins (px)
CHAR = 6.3                                     # estimated width of one label character at 11 px
LOG_TICKS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)


def _finite(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _nice_step(span: float, target: int = 6) -> float:
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag   # pragma: no cover - the loop always returns


def _y_axis(ys):
    lo, hi = min(ys), max(ys)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.05, hi + 0.05
    step = _nice_step(hi - lo)
    lo = math.floor(lo / step + 1e-9) * step
    hi = math.ceil(hi / step - 1e-9) * step
    ticks = [round(lo + i * step, 10) for i in range(int(round((hi - lo) / step)) + 1)]
    digits = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if step / 10 ** math.floor(math.log10(step)) == 2.5
                                                               else 0)
    return lo, hi, ticks, digits


def _x_axis(xs):
    top = max(xs)
    if top <= 12:
        top = max(top, 1.0)
        step = 1 if top <= 6 else 2
        ticks = list(range(0, int(math.ceil(top)) + 1, step))
        top = max(top, ticks[-1])
        return (lambda x: x / top), ticks, False
    end = next((t for t in LOG_TICKS if t >= top), top)
    scale = math.log10(1 + end)
    return (lambda x: math.log10(1 + x) / scale), [t for t in LOG_TICKS if t <= end], True


def _overlaps(box, boxes) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in boxes)


def _place_labels(points, width: int, height: int, vertices=()) -> None:
    """Greedy label placement: first spot among right, above/below right, left, above, below that
    covers no point, no other label and no segment of the staircase (``vertices``)."""
    boxes = [(p["cx"] - 5, p["cy"] - 5, p["cx"] + 5, p["cy"] + 5) for p in points]
    for (ax, ay), (bx, by) in zip(vertices, vertices[1:]):
        boxes.append((min(ax, bx) - 1, min(ay, by) - 1, max(ax, bx) + 1, max(ay, by) + 1))
    for p in sorted(points, key=lambda p: (not p["front"], p["cy"])):
        w = CHAR * len(p["label"]) + 2
        spots = [(7, 4, "start"), (7, -8, "start"), (7, 15, "start"), (-7, 4, "end"), (0, -9, "middle"),
                 (0, 17, "middle"), (-7, -8, "end"), (-7, 15, "end")]
        chosen = None
        for dx, dy, anchor in spots:
            x = p["cx"] + dx
            x0 = x if anchor == "start" else x - w if anchor == "end" else x - w / 2
            box = (x0, p["cy"] + dy - 10, x0 + w, p["cy"] + dy + 2)
            if box[0] < 0 or box[2] > width or box[1] < 0 or box[3] > height:
                continue
            if not _overlaps(box, boxes):
                chosen = (x, p["cy"] + dy, anchor, box)
                break
        if chosen is None:      # crowded: to the side with room, overlapping if it must
            dx, anchor = (7, "start") if p["cx"] + 7 + w <= width else (-7, "end")
            x0 = p["cx"] + dx if anchor == "start" else p["cx"] + dx - w
            chosen = (p["cx"] + dx, p["cy"] + 4, anchor, (x0, p["cy"] - 6, x0 + w, p["cy"] + 6))
        p["lx"], p["ly"], p["anchor"] = round(chosen[0], 1), round(chosen[1], 1), chosen[2]
        boxes.append(chosen[3])


def pareto_chart(methods, fidelity, conditions, pareto, *, score: str = "fidelity",
                 width: int = WIDTH, height: int = HEIGHT) -> dict | None:
    """Coordinates of a fidelity-against-conditions chart, for the ``pareto_svg`` template macro.

    Parameters
    ----------
    methods : sequence of str
        Method names (the point labels), one per row of the comparison.
    fidelity, conditions : sequence of float
        The rows' scores (y) and sizes (x); a row with a missing or non-finite value (a failed
        method) is left out of the chart and listed in ``omitted``.
    pareto : sequence of bool
        Which rows are on the front (the ``pareto`` column of :func:`rulex.compare`); a row of 0
        conditions never is, whatever this says.
    score : str, default "fidelity"
        The y-axis title (e.g. ``"fidelity (R²)"`` for a regression network).
    width, height : int
        Size of the SVG in pixels.

    Returns
    -------
    dict or None
        ``points`` (label, value, pixel position, label position, front flag), ``front`` (the
        staircase's vertices as an SVG ``points`` string), ``front_methods``, ``xticks`` and
        ``yticks`` (pixel position, text), the plot box, axis titles, ``title``, ``desc`` and
        ``omitted``; None when no row has both values.
    """
    rows = list(zip(methods, fidelity, conditions, pareto))
    points, omitted = [], []
    for name, f, c, front in rows:
        f, c = _finite(f), _finite(c)
        if f is None or c is None:
            omitted.append(str(name))
            continue
        empty = c == 0                  # no rules: the constant baseline, not a trade-off
        points.append({"label": f"{name} (no rules)" if empty else str(name), "fidelity": f, "conditions": c,
                       "front": bool(front) and not empty})
    if not points:
        return None
    x0, x1, y0, y1 = LEFT, width - RIGHT, TOP, height - BOTTOM
    fx, xticks, log = _x_axis([p["conditions"] for p in points])
    lo, hi, yticks, digits = _y_axis([p["fidelity"] for p in points])

    def px(x):
        return round(x0 + fx(x) * (x1 - x0), 1)

    def py(y):
        return round(y1 - (y - lo) / (hi - lo) * (y1 - y0), 1)

    for p in points:
        p["cx"], p["cy"] = px(p["conditions"]), py(p["fidelity"])
        p["tip"] = f"{p['label']}: {score} {p['fidelity']:.4f}, {p['conditions']:g} conditions" + (
            " (Pareto front)" if p["front"] else "")
    front = sorted((p for p in points if p["front"]), key=lambda p: (p["conditions"], p["fidelity"]))
    vertices: list[tuple[float, float]] = []
    for p in front:                      # staircase: along the previous fidelity, then up to this point
        if vertices:
            vertices.append((p["cx"], vertices[-1][1]))
        vertices.append((p["cx"], p["cy"]))
    _place_labels(points, width, height, vertices)
    front_names = [p["label"] for p in front]
    n = len(points)
    return {
        "width": width, "height": height, "left": x0, "right": x1, "top": y0, "bottom": y1,
        "points": sorted(points, key=lambda p: p["front"]),        # front drawn last, on top
        "front": " ".join(f"{x:g},{y:g}" for x, y in vertices), "front_methods": front_names,
        "xticks": [(px(t), str(t)) for t in xticks],
        "yticks": [(py(t), f"{t:.{digits}f}") for t in yticks],
        "xlabel": "conditions (fewer is simpler" + (", log scale)" if log else ")"), "ylabel": score,
        "title": f"{score} against conditions, {n} method{'s' if n != 1 else ''}",
        "desc": (f"One point per method: {score} on the test rows (up) against the number of conditions "
                 f"(right). Pareto front, from fewest conditions: {', '.join(front_names)}."
                 + (f" Not drawn (no result): {', '.join(omitted)}." if omitted else "")),
        "omitted": omitted,
    }
