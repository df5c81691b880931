"""Which inputs matter: potential and expected influence of each input variable, weight importance."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from ..exceptions import DataError
from ._common import CONTINUOUS, check_classifier, dataset_frame, value_grid

__all__ = ["influence", "weight_importance"]


def _variable_values(net, f, n_grid: int) -> np.ndarray:
    """Encoded values (rows x group columns) a variable can take: every category, or a grid."""
    enc = net.encoder
    if f.kind in CONTINUOUS:
        off, sc = enc.scale(f.name)
        return ((value_grid(enc, f, n_grid) - off) / sc)[:, None]
    return enc.category_codes(f)


_BLOCK_BYTES = 32 * 2 ** 20     # working memory of one block of modified rows


def _block_rows(per_row: int, n_inputs: int) -> int:
    """Rows per block so that ``rows * per_row`` modified copies of ``n_inputs`` floats fit the block budget."""
    return max(1, _BLOCK_BYTES // (8 * max(1, per_row) * max(1, n_inputs)))


def _neighbours(X: np.ndarray, R: np.ndarray, other: np.ndarray, k: int, self_row: np.ndarray | None) -> np.ndarray:
    """Indices into ``R`` of the ``k`` nearest rows to each row of ``X`` in the columns ``other``
    (Euclidean). ``self_row[r]`` is the row of ``X`` that reference row ``r`` is (None: ``R`` is not
    drawn from ``X``); a row is never its own neighbour. Computed by scikit-learn's
    :class:`~sklearn.neighbors.NearestNeighbors` (chunked distances: memory stays linear in rows);
    the neighbours found are ordered by distance, then row order (which of several rows tied at the
    k-th distance is kept is the search's choice)."""
    n = len(X)
    extra = 0 if self_row is None else 1
    if len(other) == 0:         # one variable only: every reference row is equally near
        idx = np.tile(np.arange(len(R)), (n, 1))
    else:
        nbrs = NearestNeighbors(n_neighbors=min(k + extra, len(R)), algorithm="brute").fit(R[:, other])
        dist, idx = nbrs.kneighbors(X[:, other])
        order = np.lexsort((idx, dist), axis=1)      # by distance, then by row index
        idx = np.take_along_axis(idx, order, axis=1)
    if self_row is None:
        return idx[:, :k]
    others = self_row[idx] != np.arange(n)[:, None]
    keep = np.argsort(~others, axis=1, kind="stable")[:, :k]      # the first k entries that are not the row
    return np.take_along_axis(idx, keep, axis=1)


def weight_importance(net) -> pd.Series:
    """Classic weight-product importance per input variable.

    For input ``j``: the sum over every path input -> hidden units -> output unit of the
    absolute product of the weights along the path, i.e. the column sums of
    ``|W_L| ... |W_2| |W_1|``. Inputs are on the encoder's [0, 1] scale; a one-hot group's
    inputs are summed, and so is a feature's ``is missing`` input with its value inputs.
    """
    M = np.abs(net.layers[0].weights)
    for layer in net.layers[1:]:
        M = np.abs(layer.weights) @ M
    per_input = M.sum(axis=0)
    enc = net.encoder
    cols = {f.name: list(enc.groups_[f.name]) + ([enc.missing_inputs_[f.name]] if f.name in enc.missing_inputs_
                                                 else []) for f in net.schema.features}
    return pd.Series({name: float(per_input[c].sum()) for name, c in cols.items()}, name="weight_importance")


def influence(net, dataset, random_state=0, n_draws: int = 20, *, n_grid: int = 50, per_row: bool = False,
              measure: str = "expected", max_rows: int | None = None, reference=None,
              max_reference: int | None = 10_000) -> pd.DataFrame:
    """Influence of each input variable on the network's decisions.

    A one-hot group is one variable. With ``x`` a row of ``dataset`` and ``v`` a variable:

    potential influence
        The share of rows on which SOME value of ``v`` (every other variable fixed)
        changes the network's decision: every category of a discrete variable, a grid of
        ``n_grid`` values across the training range of a numeric one (every integer of
        the range when there are at most ``n_grid``), plus the replacement values the
        expected influence tries (so potential >= expected on every row).
    expected influence
        The probability that the decision changes when ``v`` is redrawn from its
        distribution conditional on the other variables, estimated from the data: the
        replacement values are the values of ``v`` in the ``n_draws`` nearest neighbours
        of the row (Euclidean distance in the encoded space over the other variables'
        inputs) among the ``reference`` rows (default: ``dataset``; the row itself is
        left out), and the change indicator is averaged over them.
    weight importance
        See :func:`weight_importance` (the same for every row).

    A variable the network ignores has potential and expected influence exactly 0.

    Parameters
    ----------
    net : Network (classification)
    dataset : Dataset or DataFrame
        The rows to analyse.
    random_state : int, default 0
        Only used to choose the rows when ``max_rows`` is set.
    n_draws : int, default 20
        Neighbours (replacement values) per row for the expected influence.
    n_grid : int, default 50
    per_row : bool, default False
        Return a rows x variables frame of one measure (``measure``) instead of the aggregated table.
    measure : {"expected", "potential"}, default "expected"
        The measure ``per_row`` returns.
    max_rows : int, optional
        Analyse a random subset of this many rows.
    reference : Dataset or DataFrame, optional
        Rows the neighbours are drawn from (default: ``dataset``).
    max_reference : int or None, default 10000
        Look for neighbours among at most this many reference rows (a sample drawn with
        ``random_state`` when there are more), so that time grows linearly with the rows analysed;
        None searches them all. Memory stays linear in rows either way (neighbours are found in
        chunks, modified rows are predicted in blocks).

    Returns
    -------
    DataFrame indexed by variable with columns ``potential_influence``,
    ``expected_influence`` and ``weight_importance`` (means over rows), in schema order;
    or, with ``per_row=True``, rows x variables.
    """
    check_classifier(net, "influence")
    if measure not in ("expected", "potential"):
        raise DataError(f"measure must be 'expected' or 'potential', got {measure!r}")
    if not (isinstance(n_draws, (int, np.integer)) and n_draws >= 1):
        raise DataError(f"n_draws must be a positive integer, got {n_draws!r}")
    rows, X, R, self_row = _analysed_rows(net, dataset, random_state, max_rows, reference, max_reference)
    base = net.predict_index(X)
    feats = net.schema.features
    potential = np.zeros((len(X), len(feats)))
    expected = np.zeros((len(X), len(feats)))
    for v, f in enumerate(feats):
        potential[:, v] = _potential(net, X, base, f, n_grid)
        k = min(int(n_draws), len(R) - (1 if self_row is not None else 0))
        if k <= 0:
            continue
        expected[:, v], observed = _expected(net, X, R, base, f, k, self_row)
        potential[:, v] = np.maximum(potential[:, v], observed)       # observed values count too
    names = [f.name for f in feats]
    if per_row:
        data = expected if measure == "expected" else potential
        return pd.DataFrame(data, columns=names, index=pd.Index(rows, name="row"))
    out = pd.DataFrame({"potential_influence": potential.mean(axis=0),
                        "expected_influence": expected.mean(axis=0)}, index=pd.Index(names, name="variable"))
    out["weight_importance"] = weight_importance(net).reindex(names).to_numpy()
    return out


def _analysed_rows(net, dataset, random_state, max_rows, reference, max_reference):
    """``(rows, X, R, self_row)``: the positions of the rows analysed, their encoding ``X``, the encoded
    reference rows ``R`` the neighbours come from, and which row of ``X`` each of those is (None:
    ``R`` is not drawn from ``X``)."""
    enc = net.encoder
    frame = dataset_frame(dataset, net.schema, bool(net.encoder.fill_))
    rows = np.arange(len(frame))
    if max_rows is not None and max_rows < len(frame):
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(len(frame), size=int(max_rows), replace=False))
    X = enc.transform(frame)[rows]
    same_pool = reference is None
    R = X if same_pool else enc.transform(dataset_frame(reference, net.schema, bool(net.encoder.fill_)))
    self_row = np.arange(len(X)) if same_pool else None
    if max_reference is not None:
        if not (isinstance(max_reference, (int, np.integer)) and max_reference >= 2):
            raise DataError(f"max_reference must be a whole number >= 2 or None, got {max_reference!r}")
        if len(R) > max_reference:      # a seeded sample of the pool keeps the search linear in rows
            pool = np.sort(np.random.default_rng(random_state).choice(len(R), int(max_reference), replace=False))
            R = R[pool]
            self_row = pool if same_pool else None
    if len(X) == 0:
        raise DataError("influence needs at least one row")
    return rows, X, R, self_row


def _potential(net, X: np.ndarray, base: np.ndarray, f, n_grid: int) -> np.ndarray:
    """Per row: whether some candidate value of ``f`` changes the decision (row blocks of bounded size)."""
    enc = net.encoder
    cols = enc.groups_[f.name]
    vals = _variable_values(net, f, n_grid)
    out = np.zeros(len(X), dtype=bool)
    step = _block_rows(len(vals), enc.n_inputs)
    for s in range(0, len(X), step):
        Xb = X[s:s + step]
        Xr = np.repeat(Xb, len(vals), axis=0)
        Xr[:, cols] = np.tile(vals, (len(Xb), 1))
        changed = (net.predict_index(Xr) != np.repeat(base[s:s + step], len(vals))).reshape(len(Xb), len(vals))
        out[s:s + step] = changed.any(axis=1)
    return out


def _expected(net, X: np.ndarray, R: np.ndarray, base: np.ndarray, f, k: int, self_row):
    """Per row: the share of ``f``'s values in its ``k`` nearest reference neighbours (in the other
    variables) that change the decision, and whether any does."""
    enc = net.encoder
    cols = enc.groups_[f.name]
    nn = _neighbours(X, R, np.setdiff1d(np.arange(enc.n_inputs), cols), k, self_row)
    share = np.zeros(len(X))
    some = np.zeros(len(X), dtype=bool)
    step = _block_rows(k, enc.n_inputs)
    for s in range(0, len(X), step):
        Xb, nb = X[s:s + step], nn[s:s + step]
        Xe = np.repeat(Xb, k, axis=0)
        Xe[:, cols] = R[nb.reshape(-1)][:, cols]
        ch = (net.predict_index(Xe) != np.repeat(base[s:s + step], k)).reshape(len(Xb), k)
        share[s:s + step] = ch.mean(axis=1)
        some[s:s + step] = ch.any(axis=1)
    return share, some
