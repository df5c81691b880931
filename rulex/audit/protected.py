"""Protected attributes: does the decision ever depend on one? (ALGORITHMS-3 §2.1)

For a category-valued feature the property is: for every pair of its values ``a``, ``b`` and every point
``x`` of the scope, ``class(x with a) == class(x with b)``. For a numeric feature it is: any change of its
value within its range keeps the class, or, with bands (cut points ``[25, 40, 60]``), a move of the value
from any band to another keeps the class (values anywhere in the two bands; changes inside one band are
not audited).

Three answers per feature: the flip rate on the data rows (exact: every row predicted with every value;
a numeric feature with a grid of its values, see :func:`value_grid`), pairs that really flip (rows of the
data first, then points the verifier found, all run through ``network.predict``), and the proof over the
scope through the product network of :mod:`rulex.audit.product` and :func:`rulex.verification.engine.
decide_region` (ReLU: CROWN then exact MILP; sigmoid/tanh: CROWN with branch and bound; ``unknown``
when its share of the budget runs out).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..exceptions import DataError, did_you_mean
from ..schema.features import to_native
from ..verification import Domain, Span
from ._common import STATUS_ORDER, record, scope_boxes
from ._prove import Query, prove_queries
from .product import Copy, PairEncoder, build_product, disagreement_pairs, identical_copies

__all__ = ["parse_protected", "audit_protected", "flip_matrix"]

#: How each row's box came out, at a radius (``row_status``).
ROW_WORDS = {"certified": "proven", "counterexample": "flips", "unknown": "unknown"}
#: Grid size for the flip rate of a numeric protected feature.
GRID = 24


def parse_protected(network, protected) -> list:
    """``[(feature name, cut points or None)]`` from a list of names or a ``{name: cut points}`` dict."""
    if protected is None:
        return []
    if isinstance(protected, str):
        protected = [protected]
    items = protected.items() if isinstance(protected, dict) else [(p, None) for p in protected]
    out = []
    schema = network.schema
    for name, cuts in items:
        if name not in schema:
            raise DataError("protected: " + did_you_mean(name, schema.feature_names, "feature"))
        f = schema[name]
        if cuts is not None:
            if f.is_discrete:
                raise DataError(f"protected feature {name!r} is {f.kind}: bands (cut points) are for numeric "
                                "features; list it without cut points")
            lo, hi = network.encoder.lower_[name], network.encoder.upper_[name]
            try:
                cuts = sorted(float(c) for c in cuts)
            except (TypeError, ValueError):
                raise DataError(f"the bands of protected feature {name!r} must be a list of numbers (cut points), "
                                f"got {cuts!r}") from None
            bad = [c for c in cuts if not lo < c < hi]
            if bad or not cuts or len(set(cuts)) != len(cuts):
                raise DataError(f"the cut points of protected feature {name!r} must be distinct numbers strictly "
                                f"inside its range ({lo:g}, {hi:g}); got {cuts}")
        out.append((name, cuts))
    return out


def _bands(network, name, cuts) -> list:
    lo, hi = network.encoder.lower_[name], network.encoder.upper_[name]
    if cuts is None:
        return [Span(lo, hi)]
    edges = [lo, *cuts, hi]
    return [Span(a, b, hi_open=i < len(cuts)) for i, (a, b) in enumerate(zip(edges, edges[1:]))]


def value_grid(network, frame, name, cuts) -> tuple[np.ndarray, np.ndarray]:
    """Values at which a numeric protected feature is tried on every row, and each value's band."""
    lo, hi = network.encoder.lower_[name], network.encoder.upper_[name]
    col = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    col = col[np.isfinite(col) & (col >= lo) & (col <= hi)]
    vals = np.unique(col) if len(np.unique(col)) <= GRID else np.quantile(col, np.linspace(0, 1, GRID))
    vals = np.unique(np.concatenate([vals, [lo, hi], cuts or []]))
    if network.schema[name].kind == "integer":
        vals = np.unique(np.round(vals))
    band = (np.arange(len(vals)) if cuts is None
            else np.searchsorted(np.asarray(cuts, float), vals, side="right"))
    return vals, band


def flip_matrix(network, X: np.ndarray, name: str, values) -> np.ndarray:
    """Class index of every encoded row with the feature set to each of ``values`` (rows x values)."""
    enc = network.encoder
    f = network.schema[name]
    cols = enc.groups_[name]
    n = len(X)
    Xv = np.tile(X, (len(values), 1))
    for j, v in enumerate(values):
        if f.is_discrete:
            Xv[j * n:(j + 1) * n][:, cols] = enc.category_codes(f)[v]
        else:
            off, sc = enc.scale(name)
            Xv[j * n:(j + 1) * n, cols[0]] = (v - off) / sc
    return network.predict_index(Xv).reshape(len(values), n).T.astype(np.int64)


class ProtectedFeature:
    """One protected feature: its values to try, its flip oracle and its product networks."""

    def __init__(self, network, name, cuts, frame):
        self.network, self.name, self.cuts = network, name, cuts
        self.feature = network.schema[name]
        if self.feature.is_discrete:
            self.values = list(range(len(self.feature.categories)))
            self.band = np.arange(len(self.values))
        else:
            self.values, self.band = value_grid(network, frame, name, cuts)

    def own_index(self, value) -> int:
        if self.feature.is_discrete:
            return self.feature.categories.index(to_native(value))
        return int(np.argmin(np.abs(np.asarray(self.values, float) - float(value))))

    def label(self, j):
        return self.feature.categories[self.values[j]] if self.feature.is_discrete else float(self.values[j])

    def flips(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each encoded row flips, and the class matrix."""
        M = flip_matrix(self.network, X, self.name, self.values)
        return (M != M[:, :1]).any(axis=1), M

    def data_pairs(self, frame: pd.DataFrame, M: np.ndarray, flips: np.ndarray, limit: int) -> list:
        """Real pairs from the data rows that flip (values from two bands, two classes); the row's own
        value (for a numeric feature: the nearest value of the grid) is tried first as the pair's first row."""
        xs, xps = [], []
        for i in np.flatnonzero(flips)[:limit]:
            row = M[i]
            own = self.own_index(frame[self.name].iloc[i])
            for a in [own, *range(len(row))]:
                hit = np.flatnonzero((row != row[a]) & (self.band != self.band[a]))
                if len(hit):
                    x, xp = frame.iloc[i].copy(), frame.iloc[i].copy()
                    x[self.name], xp[self.name] = self.label(a), self.label(hit[0])
                    xs.append(x)
                    xps.append(xp)
                    break
        if not xs:
            return []
        X1, X2 = pd.DataFrame(xs).infer_objects(), pd.DataFrame(xps).infer_objects()
        y1, y2 = self.network.predict(X1), self.network.predict(X2)
        return [record(self.name, X1.iloc[k], X2.iloc[k], y1[k], y2[k], "data")
                for k in range(len(xs)) if y1[k] != y2[k]]

    # -- proofs ----------------------------------------------------------------------------------
    def queries(self) -> list:
        """``(copies, domain, free box part, decoder)`` per pair of values (or of bands) to compare."""
        net, enc = self.network, self.network.encoder
        n = enc.n_inputs
        out = []
        if self.feature.is_discrete:
            cols = enc.groups_[self.name]
            codes = enc.category_codes(self.feature)
            domain = Domain(enc)
            A = np.eye(n)
            A[:, cols] = 0.0
            for a in range(len(self.values)):
                for b in range(a + 1, len(self.values)):
                    a0, b0 = np.zeros(n), np.zeros(n)
                    a0[cols], b0[cols] = codes[a], codes[b]
                    copies = [Copy(net, A, a0), Copy(net, A, b0)]
                    out.append((copies, domain, {self.name: frozenset({a})}, (a, b)))
            return out
        alias = self.name + " (second value)"
        pair_enc = PairEncoder(enc, self.name, alias)
        domain = Domain(pair_enc)
        (A1, a1), (A2, a2) = pair_enc.copy_inputs()
        copies = [Copy(net, A1, a1), Copy(net, A2, a2)]
        bands = _bands(net, self.name, self.cuts)
        pairs = [(0, 0)] if len(bands) == 1 else [(p, q) for p in range(len(bands)) for q in range(p + 1, len(bands))]
        for p, q in pairs:
            out.append((copies, domain, {self.name: bands[p], alias: bands[q]}, alias))
        return out

    def confirm(self, domain, box, key):
        """Decode candidate points of the product's input, keep the first whose two rows really flip."""
        net = self.network
        names = net.schema.feature_names

        def check(C):
            frame = domain.decode(C, box)
            x, xp = frame[names].copy(), frame[names].copy()
            if isinstance(key, tuple):
                x[self.name] = self.feature.categories[key[0]]
                xp[self.name] = self.feature.categories[key[1]]
            else:
                xp[self.name] = frame[key].to_numpy()
            y, yp = net.predict(x), net.predict(xp)
            hit = np.flatnonzero(y != yp)
            if not len(hit):
                return None
            i = hit[0]
            return pd.DataFrame([x.iloc[i], xp.iloc[i]])
        return check


def audit_protected(network, frame, X, name, cuts, radius, deadline: float, max_pairs: int):
    """The row of ``Audit.protected`` for one feature, its real pairs, and which data rows flip."""
    t0 = time.monotonic()
    pf = ProtectedFeature(network, name, cuts, frame)
    flips, M = pf.flips(X)
    pairs = pf.data_pairs(frame, M, flips, max_pairs)
    row = {"feature": name, "kind": pf.feature.kind, "bands": None if cuts is None else list(cuts),
           "flip_rate": float(flips.mean()), "flipped_rows": int(flips.sum()), "rows": int(len(frame)),
           "scope": "domain" if radius is None else f"radius {radius:g}", "radius": radius}
    rng = np.random.default_rng(0)
    queries = pf.queries()
    n_boxes = 1 if radius is None else len(frame)
    verdicts = np.full(n_boxes, "certified", dtype=object)
    engines = set()
    if radius is None and pairs and _in_domain(network, pairs[0]):
        verdicts[:] = "counterexample"            # a data row that flips is a counterexample in the domain
        engines.add("data")
        queries = []
    if radius is not None:
        verdicts[flips] = "counterexample"        # the row itself flips: its box holds a counterexample
    products = {}
    for qi, (copies, _, _, _) in enumerate(queries):
        if identical_copies(copies):
            engines.add("identical copies")
        else:
            products[qi] = build_product(copies, disagreement_pairs(max(2, network.layers[-1].n_units)))
    records = frame.to_dict("records")
    tasks = []
    for qi, product in products.items():
        copies, domain, free, key = queries[qi]
        for bi, box in enumerate(scope_boxes(domain, records, radius, free)):
            if verdicts[bi] != "counterexample":
                tasks.append(Query(copies, product, domain, box, pf.confirm(domain, box, key), bi))
    tasks.sort(key=lambda q: q.group)
    prove_queries(tasks, deadline, rng, stop_on_first=radius is None)
    for q in tasks:
        engines.add(q.engine or "budget")
        if q.status == "counterexample":
            r = q.row
            y = network.predict(r)
            if y[0] != y[1] and len(pairs) < max_pairs:
                pairs.append(record(name, r.iloc[0], r.iloc[1], y[0], y[1], "verifier"))
        verdicts[q.group] = min(verdicts[q.group], q.status, key=STATUS_ORDER.index)
    row.update(_status(verdicts, radius))
    row.update({"engine": ", ".join(sorted(engines)) or "none", "seconds": round(time.monotonic() - t0, 4)})
    return row, pairs, flips


def _status(verdicts, radius) -> dict:
    n_cex = int((verdicts == "counterexample").sum())
    n_unk = int((verdicts == "unknown").sum())
    status = "depends" if n_cex else ("unknown" if n_unk else "proven independent")
    out: dict = {"status": status}
    if radius is not None:
        out.update({"rows_proven": int(len(verdicts) - n_cex - n_unk), "rows_flipping": n_cex,
                    "rows_unknown": n_unk,
                    "row_status": [ROW_WORDS[v] for v in verdicts]})
    return out


def _in_domain(network, pair: dict) -> bool:
    rows = pd.DataFrame([pair["x"], pair["x_prime"]])[network.schema.feature_names]
    return bool(Domain(network.encoder).contains(rows).all())
