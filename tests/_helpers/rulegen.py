"""Random rule sets of every kind over random mixed-type frames with missing values (hypothesis
strategies): ``problems()`` draws a ``(RuleSet, frame)`` pair for the export tests."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from rulex import Condition, Feature, LinearModel, LinearTerm, MofN, Rule, RuleSet, Schema


ODD = st.text(alphabet=st.sampled_from(list("ab Z'\"\\é中ß ,;&<>%_-\t\n")), min_size=0, max_size=5)
FLOATS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 0.1, 1 / 3, 2.45, 59.74737633665573, 1e-300, 5e-324, 123456.789, 0.7999999940395355])
# float-coded categories, as a CSV of codes written ``2.0`` is read (and a few non-integral ones)
FLOAT_CODES = st.sampled_from([1.0, 2.0, 3.0, 5.0, 0.0, -1.0, 2.5, 0.1, 97.0])


@st.composite
def features(draw, name):
    kind = draw(st.sampled_from(["numeric", "integer", "binary", "categorical", "ordinal"]))
    if kind == "numeric":
        pool = draw(st.lists(FLOATS, min_size=1, max_size=6, unique=True))
        return Feature(name, "numeric"), pool
    if kind == "integer":
        pool = draw(st.lists(st.integers(-1000, 1000) | st.integers(-2 ** 40, 2 ** 40), min_size=1, max_size=6,
                             unique=True))
        return Feature(name, "integer"), pool
    if kind == "binary":
        cats = draw(st.sampled_from([(False, True), (0, 1)]) | st.lists(ODD, min_size=2, max_size=2, unique=True)
                    .map(tuple))
        return Feature(name, "binary", cats), list(cats)
    if kind == "categorical":
        cats = draw(st.lists(ODD, min_size=1, max_size=4, unique=True)
                    | st.lists(st.integers(-5, 50), min_size=1, max_size=4, unique=True)
                    | st.lists(FLOAT_CODES, min_size=1, max_size=4, unique=True))
        return Feature(name, "categorical", tuple(cats)), list(cats)
    levels = draw(st.lists(ODD, min_size=2, max_size=4, unique=True)
                  | st.lists(FLOAT_CODES, min_size=2, max_size=4, unique=True).map(sorted))
    return Feature(name, "ordinal", tuple(levels)), list(levels)


@st.composite
def conditions(draw, feats):
    f, pool = draw(st.sampled_from(feats))
    if f.kind in ("numeric", "integer"):
        op = draw(st.sampled_from(["<=", ">", "<=", ">", "==", "!=", "in", "not in"]))
        if op in ("<=", ">"):
            t = draw(st.sampled_from(pool) | FLOATS | st.sampled_from([math.inf, -math.inf])
                     | st.sampled_from(pool).map(lambda v: v + 0.5))
            return Condition(f.name, op, float(t))
        if op in ("==", "!="):
            return Condition(f.name, op, draw(st.sampled_from(pool)))
        return Condition(f.name, op, draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)))
    numeric_cats = all(isinstance(c, (int, float)) for c in f.categories)
    ops = ["==", "!=", "in", "not in"] + (["<=", ">"] if numeric_cats else [])
    op = draw(st.sampled_from(ops))
    if op in ("<=", ">"):
        return Condition(f.name, op, float(draw(st.sampled_from(pool) | st.just(0.5))))
    if op in ("==", "!="):
        return Condition(f.name, op, draw(st.sampled_from(pool)))
    return Condition(f.name, op, draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True)))


@st.composite
def literals(draw, feats):
    if draw(st.integers(0, 5)) == 0:
        conds = draw(st.lists(conditions(feats), min_size=2, max_size=4, unique=True))
        return MofN(draw(st.integers(1, len(conds))), tuple(conds))
    return draw(conditions(feats))


def _frame(draw, feats, n_rows):
    data = {}
    for f, pool in feats:
        values = [None if draw(st.integers(0, 6)) == 0 else draw(st.sampled_from(pool)) for _ in range(n_rows)]
        if f.kind == "numeric":
            data[f.name] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        elif f.kind == "integer" and any(v is None for v in values):
            data[f.name] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        elif f.kind == "integer":
            data[f.name] = pd.Series(values, dtype="int64")
        elif all(isinstance(c, bool) for c in f.categories) and not any(v is None for v in values):
            data[f.name] = pd.Series(values, dtype="bool")
        else:
            data[f.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, index=range(n_rows))


CLASSES = (st.lists(ODD, min_size=2, max_size=4, unique=True) | st.lists(st.integers(-3, 9), min_size=2, max_size=4,
                                                                            unique=True)
           | st.just([False, True]))
WEIGHTS = st.sampled_from([1.0, 1.0, 2.0, 0.5, 0.25, 3.0, 1.5])


@st.composite
def linear_models(draw, feats):
    """A LinearModel over random features: numeric terms on numeric/integer ones, indicators on the rest."""
    terms = {}
    for _ in range(draw(st.integers(0, 4))):
        f, pool = draw(st.sampled_from(feats))
        cat = None if f.kind in ("numeric", "integer") else draw(st.sampled_from(list(f.categories)))
        terms[(f.name, cat)] = LinearTerm(f.name, draw(FLOATS), cat)
    return LinearModel(draw(FLOATS), list(terms.values()))


@st.composite
def problems(draw, allow_regression=True):
    """A random (RuleSet, frame) pair: every kind of rule set over a mixed-type frame with missing values."""
    n_feats = draw(st.integers(1, 4))
    names = draw(st.lists(ODD.map(lambda s: "f" + s), min_size=n_feats, max_size=n_feats, unique=True))
    feats = [draw(features(n)) for n in names]
    kind = draw(st.sampled_from(["ordered", "unordered", "regression"] if allow_regression
                                else ["ordered", "unordered"]))
    n_rules = draw(st.integers(0, 6))
    bodies = [draw(st.lists(literals(feats), min_size=0, max_size=3)) for _ in range(n_rules)]
    target = draw(st.sampled_from(["y", "target \"quoted\"", "ŷ"]))
    if kind == "regression":
        concl = [draw(FLOATS | linear_models(feats)) for _ in bodies]
        default = draw(FLOATS | linear_models(feats))
        rules = RuleSet([Rule(b, c) for b, c in zip(bodies, concl)], default, task="regression",
                        schema=Schema(tuple(f for f, _ in feats), target=target, task="regression"), target=target)
    else:
        classes = draw(CLASSES)
        rs = [Rule(b, draw(st.sampled_from(classes)), weight=draw(WEIGHTS) if kind == "unordered" else 1.0)
              for b in bodies]
        rules = RuleSet(rs, draw(st.sampled_from(classes)), semantics=kind, classes=tuple(classes),
                        schema=Schema(tuple(f for f, _ in feats), target=target, classes=tuple(classes)),
                        target=target)
    frame = _frame(draw, feats, draw(st.integers(1, 25)))
    return rules, frame
