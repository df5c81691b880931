"""The shared sampler: every point is a valid encoding, conditional samples obey the node's
constraints, and everything is reproducible under random_state."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulex
from rulex import Condition, MofN
from rulex.extractors.sampling import Sampler
from rulex.decoding import decode_condition

KINDS = ("numeric", "integer", "binary", "categorical", "ordinal")


def make_frame(seed: int, kinds, n_rows: int) -> rulex.Dataset:
    """A small frame with one column per requested kind (every column varies)."""
    rng = np.random.default_rng(seed)
    data = {}
    for i, kind in enumerate(kinds):
        name = f"{kind[:3]}{i}"
        if kind == "numeric":
            col = rng.normal(loc=rng.uniform(-50, 50), scale=rng.uniform(0.1, 20), size=n_rows)
        elif kind == "integer":
            lo = int(rng.integers(-20, 20))
            col = rng.integers(lo, lo + int(rng.integers(2, 60)), size=n_rows)
        elif kind == "binary":
            col = rng.choice(["no", "yes"], size=n_rows)
        elif kind == "categorical":
            col = rng.choice(["a", "b", "c", "d"][: int(rng.integers(3, 5))], size=n_rows)
        else:
            col = pd.Categorical(rng.choice(["lo", "mid", "hi"], size=n_rows), categories=["lo", "mid", "hi"],
                                 ordered=True)
        data[name] = col
    frame = pd.DataFrame(data)
    # make sure every column takes at least two values, every category appears
    for name, col in frame.items():
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = list(col.dtype.categories)
            frame.loc[: len(cats) - 1, name] = cats
        elif not pd.api.types.is_numeric_dtype(col):       # strings (object or pandas 3's str dtype)
            cats = sorted(set(col))
            if len(cats) < 2:
                frame.loc[0, name] = "zz"
        elif col.nunique() < 2:
            frame.loc[0, name] = col.iloc[0] + 1
    frame["y"] = rng.choice(["A", "B"], size=n_rows)
    frame.loc[:1, "y"] = ["A", "B"]
    return rulex.Dataset.from_frame(frame, target="y")


def random_constraints(seed: int, sampler: Sampler, X: np.ndarray, n_simple: int, with_mofn: bool):
    """Constraints every training row of some subset satisfies (so they are feasible)."""
    rng = np.random.default_rng(seed)
    names = sampler.input_names
    anchor = X[rng.integers(len(X))]
    out = []
    for _ in range(n_simple):
        j = int(rng.integers(len(names)))
        v = anchor[j]
        others = X[:, j][X[:, j] != v]
        if not len(others):
            continue
        w = others[rng.integers(len(others))]
        thr = (v + w) / 2
        out.append(Condition(names[j], "<=" if v <= thr else ">", float(thr)))
    if with_mofn:
        lits = []
        for j in rng.choice(len(names), size=min(3, len(names)), replace=False):
            col = X[:, int(j)]
            thr = float(np.median(col))
            if col.min() == col.max():
                continue
            if thr >= col.max():
                thr = float((col.min() + col.max()) / 2)
            cond = Condition(names[int(j)], ">" if rng.random() < 0.5 else "<=", thr)
            if cond not in lits:
                lits.append(cond)
        if len(lits) >= 2:
            out.append(MofN(int(rng.integers(1, len(lits) + 1)), tuple(lits)))
    return out


def check_schema(sampler: Sampler, enc: rulex.Encoder, S: np.ndarray, within_bounds: bool = True):
    """Every row of S is the exact encoding of a valid original row."""
    assert np.isfinite(S).all()
    frame = enc.inverse_transform(S)
    back = enc.transform(frame)
    for f in enc.schema.features:
        cols = enc.groups_[f.name]
        block = S[:, cols]
        if f.kind == "categorical":
            assert set(np.unique(block)) <= {0.0, 1.0}
            assert (block.sum(axis=1) == 1).all(), f"{f.name}: not exactly one category"
        elif f.kind == "binary":
            assert set(np.unique(block)) <= {0.0, 1.0}
        elif f.kind == "ordinal":
            levels = np.arange(len(f.categories)) / max(len(f.categories) - 1, 1)
            assert np.isin(block[:, 0], levels).all()
        else:
            x = frame[f.name].to_numpy(dtype=float)
            if f.kind == "integer":
                assert np.array_equal(x, np.round(x))
                assert np.array_equal(back[:, cols], block), f"{f.name}: not an integer's encoding"
            if within_bounds:
                tol = 1e-9 * max(1.0, abs(enc.upper_[f.name]), abs(enc.lower_[f.name]))
                assert (x >= enc.lower_[f.name] - tol).all() and (x <= enc.upper_[f.name] + tol).all()
                assert ((block >= 0) & (block <= 1)).all()
    assert sampler.in_domain(S).all()


def check_constraints(enc: rulex.Encoder, S: np.ndarray, constraints):
    """Evaluated independently: the rules' own Condition/MofN on a frame of input names."""
    frame = pd.DataFrame(S, columns=enc.input_names_)
    for c in constraints:
        assert c.evaluate(frame).all(), f"constraint {c} violated"
    # and in original units: decoded simple conditions hold on the decoded rows
    original = enc.inverse_transform(S)
    for c in constraints:
        if isinstance(c, Condition):
            d = decode_condition(enc, c)
            if d is not True:
                assert d is not False and d.evaluate(original).all()


kinds_strategy = st.lists(st.sampled_from(KINDS), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), kinds=kinds_strategy, n_rows=st.integers(8, 60),
       n_simple=st.integers(0, 3), with_mofn=st.booleans(), within=st.booleans(), method=st.sampled_from(
           ["sample", "perturb"]))
def test_samples_respect_schema_and_constraints(seed, kinds, n_rows, n_simple, with_mofn, within, method):
    ds = make_frame(seed, kinds, n_rows)
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    X = enc.transform(ds.frame)
    sampler = Sampler(enc, X, within_bounds=within, random_state=seed)
    constraints = random_constraints(seed + 1, sampler, X, n_simple, with_mofn)
    draw = sampler.sample if method == "sample" else sampler.perturb
    S = draw(200, constraints)
    assert S.shape[1] == enc.n_inputs
    assert len(S) + sampler.last_starved == 200
    if sampler.satisfies(X, constraints).any():     # a feasible region (a training row lies in it)
        assert sampler.last_starved == 0
    check_schema(sampler, enc, S, within_bounds=within)
    check_constraints(enc, S, constraints)
    # the unconditional draw is schema-valid too and never starves
    U = draw(50)
    assert len(U) == 50 and sampler.last_starved == 0
    check_schema(sampler, enc, U, within_bounds=within)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), kinds=kinds_strategy)
def test_sampling_is_deterministic(seed, kinds):
    ds = make_frame(seed, kinds, 30)
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    X = enc.transform(ds.frame)
    cons = random_constraints(seed, Sampler(enc, X), X, 2, True)
    a, b = Sampler(enc, X, random_state=seed), Sampler(enc, X, random_state=seed)
    assert np.array_equal(a.sample(100, cons), b.sample(100, cons))
    assert np.array_equal(a.perturb(100, cons), b.perturb(100, cons))
    assert a.stats == b.stats


@pytest.fixture(scope="module")
def mixed():
    ds = make_frame(7, ("numeric", "integer", "binary", "categorical", "ordinal"), 80)
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    return ds, enc, enc.transform(ds.frame)


def test_unsatisfiable_constraints_starve_and_report(mixed):
    ds, enc, X = mixed
    s = Sampler(enc, X, random_state=0)
    num = enc.input_names_[0]
    S = s.sample(50, [Condition(num, ">", 0.7), Condition(num, "<=", 0.3)])
    assert len(S) == 0 and s.last_starved == 50
    assert s.stats["starved"] == 50 and s.stats["starved_calls"] == 1
    # an m-of-n test that cannot hold: 2 of {x > 0.9, x <= 0.1} on one input
    S = s.sample(20, [MofN(2, (Condition(num, ">", 0.9), Condition(num, "<=", 0.1)))])
    assert len(S) == 0 and s.last_starved == 20 and s.stats["starved_calls"] == 2


def test_integer_and_categorical_truncation_is_exact(mixed):
    ds, enc, X = mixed
    s = Sampler(enc, X, random_state=1)
    int_name = next(f.name for f in ds.schema.features if f.kind == "integer")
    cat = next(f for f in ds.schema.features if f.kind == "categorical")
    off, sc = enc.scale(int_name)
    # a threshold between two integers: the decoded bound is an integer
    t = (np.floor(enc.lower_[int_name]) + 2.5 - off) / sc
    cons = [Condition(int_name, "<=", t), Condition(f"{cat.name}={cat.categories[0]}", "<=", 0.5)]
    S = s.sample(300, cons)
    frame = enc.inverse_transform(S)
    assert len(S) == 300
    assert (frame[int_name] <= np.floor(enc.lower_[int_name]) + 2).all()
    assert (frame[cat.name] != cat.categories[0]).all()


def test_mofn_forcing_fills_narrow_regions(mixed):
    ds, enc, X = mixed
    s = Sampler(enc, X, random_state=2)
    num = enc.input_names_[0]
    int_name = next(f.name for f in ds.schema.features if f.kind == "integer")
    bin_name = next(f.name for f in ds.schema.features if f.kind == "binary")
    # 3 of 3 narrow literals would be a conjunction; 2 of 3 narrow ones needs rejection or forcing
    test = MofN(2, (Condition(num, ">", 0.97), Condition(int_name, "<=", 0.02), Condition(bin_name, ">", 0.5)))
    S = s.sample(200, [test])
    assert len(S) == 200 and s.last_starved == 0
    check_constraints(enc, S, [test])
    check_schema(s, enc, S)


def test_snap_projects_onto_schema(mixed):
    ds, enc, X = mixed
    s = Sampler(enc, X, random_state=3)
    noisy = X + np.random.default_rng(0).normal(scale=0.4, size=X.shape)
    check_schema(s, enc, s.snap(noisy))


def test_kernel_width_scales_with_feature_range(mixed):
    ds, enc, X = mixed
    s = Sampler(enc, X, random_state=4)
    num_col = 0
    narrow = X.copy()
    narrow[:, num_col] = 0.5 + (X[:, num_col] - 0.5) * 0.01      # reference spread 100x smaller
    wide = s.sample(2000, reference=X)[:, num_col]
    tight = s.sample(2000, reference=narrow)[:, num_col]
    assert tight.std() < wide.std() / 20


def test_bad_inputs_raise(mixed):
    ds, enc, X = mixed
    with pytest.raises(rulex.DataError):
        Sampler(enc, X[:, :2])
    s = Sampler(enc, X)
    with pytest.raises(rulex.RuleError):
        s.sample(5, [Condition("not_an_input", "<=", 0.5)])
    with pytest.raises(rulex.RuleError):
        s.sample(5, [Condition(enc.input_names_[0], "==", 0.5)])
