"""Schema-aware sampling of network inputs, shared by the pedagogical extractors that query the network.

A :class:`Sampler` draws points in the *encoded* space (the network's inputs) that are
always valid encodings of some row of the user's table:

* numeric features stay within the training bounds (unless ``within_bounds=False``);
* integer features are integers in original units (encoded value ``(k - lower) / scale``);
* a categorical feature's one-hot group holds exactly one 1;
* binary features are 0 or 1, ordinal features sit on their levels.

Two generators are offered:

:meth:`Sampler.sample`
    TREPAN's instance model: an independent marginal per feature, fitted to reference
    rows (a node's training examples). Continuous features use a Gaussian kernel density
    whose width is ``kernel_width * range / sqrt(m)`` (``range`` of the feature in the
    reference rows, ``m`` rows), discrete features their empirical frequencies.
:meth:`Sampler.perturb`
    ANN-DT's interpolation around training rows: a random reference row plus Gaussian
    noise with a per-feature standard deviation ``scale * sd`` (``sd`` of the feature in
    the training rows), snapped back onto the schema.

Both can be made *conditional* on a node's constraints: a list of encoded
:class:`~rulex.rules.Condition` (``<=`` / ``>`` on one input) and :class:`~rulex.rules.MofN`
tests. Simple conditions are honoured exactly by truncating each feature's
distribution (truncated kernels, truncated noise, restricted categories); m-of-n tests
by rejection in a bounded number of rounds, then, for :meth:`sample`, by forcing
literals true as TREPAN does. Requests that cannot be met are reported, never padded:
the call returns fewer rows and counts them in :attr:`Sampler.stats` (``starved``).

Everything is deterministic under ``random_state`` (one :func:`numpy.random.default_rng`).

Examples
--------
>>> import rulex
>>> from rulex.extractors.sampling import Sampler
>>> ds = rulex.load_dataset("iris")
>>> enc = rulex.Encoder(ds.schema).fit(ds.frame)
>>> s = Sampler(enc, enc.transform(ds.frame), random_state=0)
>>> X = s.sample(100, [rulex.Condition("petal length (cm)", ">", 0.5)])
>>> X.shape, bool((X[:, 2] > 0.5).all()), bool(((X >= 0) & (X <= 1)).all())
((100, 4), True, True)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import DataError, RuleError
from ..rules.conditions import Condition, MofN
from ._kernel_density import KernelDensity, truncnorm
from .budget import check_rows

__all__ = ["Sampler", "Literal", "compile_constraints", "constraints_mask"]

_CONTINUOUS = ("numeric", "integer")


@dataclass(frozen=True)
class Literal:
    """One encoded test ``X[:, col] <= thr`` (``le``) or ``X[:, col] > thr``."""

    col: int
    le: bool
    thr: float

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        x = X[:, self.col]
        return (x <= self.thr) if self.le else (x > self.thr)

    def negate(self) -> "Literal":
        return Literal(self.col, not self.le, self.thr)


@dataclass
class _Spec:
    """How one feature lives in the encoded space."""

    index: int
    name: str
    kind: str
    cols: list
    levels: Any = None                  # discrete: (K, len(cols)) array, the encodings of the categories
    off: float = 0.0                    # continuous: encoded = (x - off) / sc
    sc: float = 1.0
    lower: float = 0.0                  # training bounds in original units
    upper: float = 0.0

    def enc(self, x):
        return (x - self.off) / self.sc


def _literal(cond, index: dict) -> Literal:
    if not isinstance(cond, Condition):
        raise RuleError(f"sampling constraints are Condition or MofN objects, got {type(cond).__name__}")
    if cond.op not in ("<=", ">"):
        raise RuleError(f"sampling constraints are encoded tests with <= or >, got {cond.op!r} on {cond.feature!r}")
    if cond.feature not in index:
        raise RuleError(f"{cond.feature!r} is not a network input; sampling constraints live in the encoded space")
    return Literal(index[cond.feature], cond.op == "<=", float(cond.value))


def compile_constraints(constraints, input_names) -> tuple[list, list]:
    """Split encoded constraints into simple literals and m-of-n tests ``(m, [Literal, ...])``.

    Accepts :class:`~rulex.rules.Condition`, :class:`~rulex.rules.MofN`, :class:`Literal`
    and ``(m, [Literal, ...])`` pairs.
    """
    index = {n: i for i, n in enumerate(input_names)}
    simple, mofn = [], []
    for c in constraints or ():
        if isinstance(c, Literal):
            simple.append(c)
        elif isinstance(c, MofN):
            lits = [_literal(x, index) for x in c.conditions]
            mofn.append((c.m, lits))
        elif isinstance(c, tuple) and len(c) == 2 and not hasattr(c, "feature"):
            m, lits = c
            lits = [x if isinstance(x, Literal) else _literal(x, index) for x in lits]
            mofn.append((int(m), lits))
        else:
            simple.append(_literal(c, index))
    out = []
    for m, lits in mofn:
        if m <= 0:
            continue                       # always holds
        if m == len(lits):
            simple.extend(lits)            # all must hold: a plain conjunction
        else:
            out.append((m, lits))
    return simple, out


def constraints_mask(X: np.ndarray, simple, mofn) -> np.ndarray:
    """Rows of encoded ``X`` that satisfy compiled constraints."""
    X = np.asarray(X, dtype=np.float64)
    mask = np.ones(len(X), dtype=bool)
    for lit in simple:
        mask &= lit.evaluate(X)
    for m, lits in mofn:
        count = np.zeros(len(X), dtype=np.int64)
        for lit in lits:
            count += lit.evaluate(X)
        mask &= count >= m
    return mask


class _Box:
    """Per-feature restrictions: an encoded interval ``(lo, hi]`` for continuous inputs
    (integers: an allowed range of integers), a mask of allowed levels for discrete ones."""

    def __init__(self, lo: dict, hi: dict, kmin: dict, kmax: dict, allowed: dict):
        self.lo, self.hi, self.kmin, self.kmax, self.allowed = lo, hi, kmin, kmax, allowed


class Sampler:
    """Draw valid network inputs, optionally under a node's constraints.

    Parameters
    ----------
    encoder : Encoder
        The network's fitted encoder (gives the schema, the one-hot groups and the bounds).
    X : array of shape (n_rows, n_inputs)
        Encoded reference rows, usually the training rows. They are the default
        reference for :meth:`sample` and :meth:`perturb` and give the noise scale of
        :meth:`perturb`.
    within_bounds : bool, default True
        Keep numeric and integer features inside the encoder's training range.
    kernel_width : float, default 1.0
        Multiplier of the kernel density width ``range / sqrt(m)``.
    max_rounds : int, default 20
        Rejection rounds (and forcing rounds) before a request counts as starved.
    random_state : int or None, default None

    Attributes
    ----------
    stats : dict
        Running counts: ``requested``, ``delivered``, ``starved`` (points not delivered),
        ``starved_calls`` (calls that returned fewer points than asked), ``rejected``
        (candidates thrown away by m-of-n rejection) and ``forced`` (points made by
        forcing m-of-n literals).
    last_starved : int
        Points missing from the last call.
    """

    def __init__(self, encoder, X, *, within_bounds: bool = True, kernel_width: float = 1.0,
                 max_rounds: int = 20, random_state=None):
        encoder._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != encoder.n_inputs:
            raise DataError(f"the sampler's reference rows must be encoded ({encoder.n_inputs} inputs), "
                            f"got shape {X.shape}")
        if len(X) == 0:
            raise DataError("the sampler needs at least one reference row")
        if not kernel_width > 0:
            raise DataError(f"kernel_width must be positive, got {kernel_width!r}")
        self.encoder = encoder
        self.X = X
        self.within_bounds = bool(within_bounds)
        self.kernel_width = float(kernel_width)
        self.max_rounds = int(max_rounds)
        self.rng = np.random.default_rng(random_state)
        self.input_names = list(encoder.input_names_)
        self.specs = []
        self.col_spec: list[Any] = [None] * encoder.n_inputs
        for i, f in enumerate(encoder.schema.features):
            cols = list(encoder.groups_[f.name])
            spec = _Spec(i, f.name, f.kind, cols)
            if f.kind in _CONTINUOUS:
                spec.off, spec.sc = encoder.scale(f.name)
                spec.lower, spec.upper = encoder.lower_[f.name], encoder.upper_[f.name]
            else:
                spec.levels = np.array([encoder.encode_value(f, c) for c in f.categories], dtype=np.float64)
            self.specs.append(spec)
            for c in cols:
                self.col_spec[c] = spec
        # with imputation, each "<feature> is missing" input is a 0/1 spec of its own; where it is 1 the
        # feature's inputs hold the fill value's encoding (see _fill_missing)
        self._missing = []
        for name, col in getattr(encoder, "missing_inputs_", {}).items():
            f = encoder.schema[name]
            spec = _Spec(len(self.specs), f"{name} is missing", "binary", [col], levels=np.array([[0.0], [1.0]]))
            self.specs.append(spec)
            self.col_spec[col] = spec
            self._missing.append((col, list(encoder.groups_[name]), encoder.encode_value(f, encoder.fill_[name])))
        sd = X.std(axis=0)
        self._sd = np.where(sd > 0, sd, 0.0)
        self.stats = {"requested": 0, "delivered": 0, "starved": 0, "starved_calls": 0, "rejected": 0,
                      "forced": 0}
        self.last_starved = 0
        self._kernels = KernelDensity(self.kernel_width)

    # -- schema helpers ---------------------------------------------------------------------
    def _bounds(self, spec) -> tuple[float, float]:
        """Encoded interval of a continuous feature (closed), infinite when not bounded."""
        if not self.within_bounds:
            return -math.inf, math.inf
        return spec.enc(spec.lower), spec.enc(spec.upper)

    def level_index(self, spec, X: np.ndarray) -> np.ndarray:
        """Index of the nearest level of a discrete feature for each row of ``X``."""
        block = X[:, spec.cols]
        if spec.kind == "categorical":
            return block.argmax(axis=1)
        d = np.abs(block[:, :1] - spec.levels[:, 0][None, :])
        return d.argmin(axis=1)

    def in_domain(self, X: np.ndarray) -> np.ndarray:
        """Rows of encoded ``X`` that are exact encodings of a valid original row."""
        X = np.asarray(X, dtype=np.float64)
        ok = np.isfinite(X).all(axis=1)
        for spec in self.specs:
            if spec.kind in _CONTINUOUS:
                x = X[:, spec.cols[0]]
                lo, hi = self._bounds(spec)
                ok &= (x >= lo) & (x <= hi)
                if spec.kind == "integer":
                    with np.errstate(invalid="ignore"):
                        k = np.round(x * spec.sc + spec.off)
                        ok &= spec.enc(k) == x
            else:
                idx = self.level_index(spec, X)
                ok &= (X[:, spec.cols] == spec.levels[idx]).all(axis=1)
        for col, cols, code in self._missing:        # a missing value is encoded as the fill value
            gone = X[:, col] == 1.0
            ok &= ~gone | (X[:, cols] == code[None, :]).all(axis=1)
        return ok

    def snap(self, X: np.ndarray, box: _Box | None = None) -> np.ndarray:
        """Project encoded points onto the schema (and into ``box`` if given).

        Numeric features are clipped to the bounds, integers rounded in original units,
        binary and ordinal values moved to the nearest level, one-hot groups set to
        their largest input.
        """
        X = np.array(X, dtype=np.float64, copy=True)
        if box is None:
            box = self._full_box()
        for spec in self.specs:
            c = spec.cols
            if spec.kind in _CONTINUOUS:
                x = X[:, c[0]]
                if spec.kind == "integer":
                    k = np.clip(np.round(x * spec.sc + spec.off), box.kmin[spec.index], box.kmax[spec.index])
                    X[:, c[0]] = spec.enc(k)
                else:
                    lo, hi = box.lo[spec.index], box.hi[spec.index]
                    X[:, c[0]] = np.clip(x, lo, hi)
                continue
            allowed = box.allowed[spec.index]
            if spec.kind == "categorical":
                score = np.where(allowed[None, :], X[:, c], -np.inf)
                idx = score.argmax(axis=1)
            else:
                d = np.abs(X[:, c[:1]] - spec.levels[:, 0][None, :])
                d = np.where(allowed[None, :], d, np.inf)
                idx = d.argmin(axis=1)
            X[:, c] = spec.levels[idx]
        return self._fill_missing(X)

    def _fill_missing(self, X: np.ndarray) -> np.ndarray:
        """Where an ``is missing`` input is 1, set the feature's inputs to the fill value's encoding."""
        for col, cols, code in self._missing:
            gone = X[:, col] == 1.0
            X[np.ix_(gone, cols)] = code
        return X

    # -- constraints ------------------------------------------------------------------------
    def compile(self, constraints) -> tuple[list, list]:
        """Compile encoded constraints (see :func:`compile_constraints`)."""
        return compile_constraints(constraints, self.input_names)

    def satisfies(self, X: np.ndarray, constraints) -> np.ndarray:
        """Rows of encoded ``X`` that satisfy every constraint."""
        simple, mofn = self.compile(constraints)
        return constraints_mask(X, simple, mofn)

    def _full_box(self) -> _Box:
        """The box of no constraint: every feature within its bounds, every level allowed."""
        box = self._box([])
        assert box is not None, "an unconstrained box always has values"
        return box

    def _box(self, literals) -> _Box | None:
        """Per-feature box of simple literals; None when some feature has no value left."""
        lo: dict = {}
        hi: dict = {}
        kmin: dict = {}
        kmax: dict = {}
        allowed: dict = {}
        for spec in self.specs:
            if spec.kind in _CONTINUOUS:
                lo[spec.index], hi[spec.index] = self._bounds(spec)
            else:
                allowed[spec.index] = np.ones(len(spec.levels), dtype=bool)
        # continuous: track the tightest strict lower and inclusive upper threshold
        strict_lo: dict = {}
        incl_hi: dict = {}
        for lit in literals:
            spec = self.col_spec[lit.col]
            if spec.kind in _CONTINUOUS:
                if lit.le:
                    incl_hi[spec.index] = min(incl_hi.get(spec.index, math.inf), lit.thr)
                else:
                    strict_lo[spec.index] = max(strict_lo.get(spec.index, -math.inf), lit.thr)
            else:
                pos = spec.cols.index(lit.col)
                v = spec.levels[:, pos]
                allowed[spec.index] &= (v <= lit.thr) if lit.le else (v > lit.thr)
        for spec in self.specs:
            i = spec.index
            if spec.kind not in _CONTINUOUS:
                if not allowed[i].any():
                    return None
                continue
            s_lo, i_hi = strict_lo.get(i, -math.inf), incl_hi.get(i, math.inf)
            b_lo, b_hi = lo[i], hi[i]
            if spec.kind == "integer":
                k_lo, k_hi = self._integer_range(spec, s_lo, i_hi)
                if k_lo > k_hi:
                    return None
                kmin[i], kmax[i] = k_lo, k_hi
                lo[i] = spec.enc(k_lo - 0.5) if math.isfinite(k_lo) else -math.inf
                hi[i] = spec.enc(k_hi + 0.5) if math.isfinite(k_hi) else math.inf
                continue
            # numeric: closed interval [max(b_lo, s_lo+), min(b_hi, i_hi)]
            new_lo = b_lo if not math.isfinite(s_lo) or b_lo > s_lo else math.nextafter(s_lo, math.inf)
            new_hi = min(b_hi, i_hi)
            if new_lo > new_hi:
                return None
            lo[i], hi[i] = new_lo, new_hi
        return _Box(lo, hi, kmin, kmax, allowed)

    def _integer_range(self, spec, s_lo: float, i_hi: float) -> tuple[float, float]:
        """Smallest and largest integer k with enc(k) > s_lo, enc(k) <= i_hi (and within bounds)."""
        if self.within_bounds:
            k_lo, k_hi = float(math.ceil(spec.lower - 1e-9)), float(math.floor(spec.upper + 1e-9))
        else:
            k_lo, k_hi = -math.inf, math.inf
        if math.isfinite(s_lo):
            k = float(math.floor(s_lo * spec.sc + spec.off)) - 1
            while not spec.enc(k) > s_lo:
                k += 1
            k_lo = max(k_lo, k)
        if math.isfinite(i_hi):
            k = float(math.ceil(i_hi * spec.sc + spec.off)) + 1
            while not spec.enc(k) <= i_hi:
                k -= 1
            k_hi = min(k_hi, k)
        return k_lo, k_hi

    # -- marginals --------------------------------------------------------------------------
    def _draw_marginals(self, n: int, ref: np.ndarray, box: _Box, only=None, out=None) -> np.ndarray:
        """Draw every feature (or the features in ``only``, into ``out``) from its truncated marginal."""
        X = np.zeros((n, len(self.input_names))) if out is None else out
        for spec in self.specs:
            if only is not None and spec.index not in only:
                continue
            i, c = spec.index, spec.cols
            if spec.kind in _CONTINUOUS:
                a, b = box.lo[i], box.hi[i]
                blo, bhi = (spec.enc(spec.lower), spec.enc(spec.upper))
                span = (bhi - blo) or 1.0
                v = self._kernels.draw(self.rng, ref[:, c[0]], n, a, b, span, key=(ref, c[0]))
                if spec.kind == "integer":
                    k = np.clip(np.round(v * spec.sc + spec.off), box.kmin[i], box.kmax[i])
                    v = spec.enc(k)
                X[:, c[0]] = v
                continue
            allowed = box.allowed[i]
            counts = np.bincount(self.level_index(spec, ref), minlength=len(spec.levels)).astype(np.float64)
            p = np.where(allowed, counts, 0.0)
            if p.sum() <= 0:
                p = allowed.astype(np.float64)
            idx = self.rng.choice(len(p), size=n, p=p / p.sum())
            X[:, c] = spec.levels[idx]
        return self._fill_missing(X)

    # -- public generators -------------------------------------------------------------------
    def sample(self, n: int, constraints=(), *, reference: np.ndarray | None = None) -> np.ndarray:
        """Draw up to ``n`` points from the product of marginals fitted to ``reference``,
        conditional on ``constraints``; fewer when the sampler starves (see :attr:`stats`)."""
        ref = self.X if reference is None or len(reference) == 0 else np.asarray(reference, dtype=np.float64)
        return self._generate(n, constraints, lambda k, box: self._draw_marginals(k, ref, box), force=True,
                              ref=ref)

    def perturb(self, n: int, constraints=(), *, reference: np.ndarray | None = None,
                scale: float = 0.3) -> np.ndarray:
        """ANN-DT interpolation: ``n`` reference rows (drawn with replacement) plus Gaussian noise of
        standard deviation ``scale`` times each input's training standard deviation, truncated to the
        constraints' box and snapped onto the schema."""
        ref = self.X if reference is None or len(reference) == 0 else np.asarray(reference, dtype=np.float64)

        def draw(k, box):
            rows = ref[self.rng.integers(0, len(ref), size=k)]
            X = np.zeros_like(rows)
            for spec in self.specs:
                i, c = spec.index, spec.cols
                sigma = scale * self._sd[c]
                if spec.kind in _CONTINUOUS:
                    v = truncnorm(self.rng, rows[:, c[0]], sigma[0], box.lo[i], box.hi[i])
                    if spec.kind == "integer":
                        v = spec.enc(np.clip(np.round(v * spec.sc + spec.off), box.kmin[i], box.kmax[i]))
                    X[:, c[0]] = v
                else:
                    X[:, c] = rows[:, c] + self.rng.normal(size=(k, len(c))) * sigma[None, :]
            return self.snap(X, box)

        return self._generate(n, constraints, draw, force=False, ref=ref)

    def _generate(self, n: int, constraints, draw, *, force: bool, ref: np.ndarray) -> np.ndarray:
        n = int(n)
        check_rows("the sample size", n, len(self.input_names))
        self.stats["requested"] += max(n, 0)
        d = len(self.input_names)
        if n <= 0:
            self.last_starved = 0
            return np.zeros((0, d))
        simple, mofn = self.compile(constraints)
        box = self._box(simple)
        if box is None:
            return self._finish(np.zeros((0, d)), n)
        parts, have, rate = [], 0, 1.0
        for r in range(max(self.max_rounds, 1)):
            need = n - have
            k = need if not mofn else int(min(20 * need, math.ceil(1.2 * need / rate) + 8))
            cand = draw(k, box)
            ok = constraints_mask(cand, simple, mofn) & self.in_domain(cand)
            rate = max(float(ok.mean()), 1e-3) if len(ok) else 1e-3
            self.stats["rejected"] += int((~ok).sum())
            got = cand[ok][:need]
            parts.append(got)
            have += len(got)
            if have >= n or (mofn and force and r >= 1 and rate < 0.05):
                break       # done, or rejection is hopeless: force literals instead
        if have < n and mofn and force:
            extra = self._force(n - have, simple, mofn, ref)
            self.stats["forced"] += len(extra)
            parts.append(extra)
        out = np.vstack(parts) if parts else np.zeros((0, d))
        return self._finish(out[:n], n)

    def _finish(self, out: np.ndarray, n: int) -> np.ndarray:
        self.last_starved = n - len(out)
        self.stats["delivered"] += len(out)
        if self.last_starved:
            self.stats["starved"] += self.last_starved
            self.stats["starved_calls"] += 1
        return out

    def _force(self, need: int, simple, mofn, ref) -> np.ndarray:
        """TREPAN's fallback for m-of-n constraints: for each point pick, per test, m literals at
        random in proportion to how often they hold under the marginals, and force them true.

        Points are drawn under the simple constraints first; for each forced combination only
        the features its literals touch are redrawn under the tightened box.
        """
        base = self._box(simple)
        if base is None:            # the simple constraints leave no value: nothing to force
            return np.zeros((0, len(self.input_names)))
        pilot = self._draw_marginals(256, ref, base)
        probs = []
        for m, lits in mofn:
            p = np.array([lit.evaluate(pilot).mean() for lit in lits]) + 1e-3
            probs.append(p / p.sum())
        parts, have = [], 0
        for _ in range(max(self.max_rounds, 1)):
            k = need - have
            if k <= 0:
                break
            # a few forced combinations per round, the points spread over them
            n_combos = min(k, 16)
            # weighted choice of m literals without replacement (Gumbel top-m), per test
            per_test = []
            for (m, lits), p in zip(mofn, probs):
                keys = np.log(p)[None, :] + self.rng.gumbel(size=(n_combos, len(lits)))
                per_test.append(np.sort(np.argsort(-keys, axis=1, kind="stable")[:, :m], axis=1))
            sizes = self.rng.multinomial(k, np.full(n_combos, 1.0 / n_combos))
            cand = self._draw_marginals(k, ref, base)
            keep = np.zeros(k, dtype=bool)
            start = 0
            for j, size in enumerate(sizes):
                rows = slice(start, start + int(size))
                start += int(size)
                if size == 0:
                    continue
                forced = [lits[int(t)] for (m, lits), pt in zip(mofn, per_test) for t in pt[j]]
                box = self._box(list(simple) + forced)
                if box is None:
                    continue
                touched = {self.col_spec[lit.col].index for lit in forced}
                sub = cand[rows].copy()
                self._draw_marginals(int(size), ref, box, only=touched, out=sub)
                cand[rows] = sub
                keep[rows] = True
            ok = keep & constraints_mask(cand, simple, mofn) & self.in_domain(cand)
            parts.append(cand[ok])
            have += int(ok.sum())
        out = np.vstack(parts) if parts else np.zeros((0, len(self.input_names)))
        return out[:need]
