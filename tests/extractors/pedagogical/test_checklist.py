"""checklist: "at least m of these n conditions", learned with the network as oracle."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex.rules import MofN


@functools.cache
def two_of_three_net(n=3000, seed=0):
    """y = at least 2 of {a > 0.3, b <= 0.6, colour == 'red'}; c and noise are irrelevant."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n),
                          "colour": rng.choice(["red", "green", "blue"], n), "c": rng.uniform(-1, 1, n)})
    votes = (frame.a > 0.3).astype(int) + (frame.b <= 0.6).astype(int) + (frame.colour == "red").astype(int)
    frame["y"] = np.where(votes >= 2, "yes", "no")
    ds = rulex.Dataset.from_frame(frame, target="y", name="two_of_three")
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (16,), "sigmoid", random_state=0)
    return net, train, test, frame


def test_recovers_a_two_of_three_concept_in_original_units():
    net, train, test, _ = two_of_three_net()
    truth = test.frame["y"].to_numpy()
    assert np.mean(net.predict(test.frame) == truth) >= 0.97
    rules = rulex.extract(net, train, method="checklist", random_state=0)
    assert len(rules) == 1, str(rules)
    (test_,) = rules.rules[0].conditions
    assert isinstance(test_, MofN) and test_.m == 2 and len(test_.conditions) == 3, str(rules)
    by_feature = {c.feature: c for c in test_.conditions}
    assert set(by_feature) == {"a", "b", "colour"}
    yes = rules.rules[0].conclusion == "yes"
    # the tests point the right way for the class the checklist concludes, thresholds within 0.05
    a, b, colour = by_feature["a"], by_feature["b"], by_feature["colour"]
    assert abs(a.value - 0.3) < 0.05 and abs(b.value - 0.6) < 0.05
    assert (a.op, b.op) == ((">", "<=") if yes else ("<=", ">"))
    assert (colour.op, colour.value) in ({("==", "red")} if yes else {("!=", "red")})
    assert rulex.evaluate(rules, net, test).fidelity >= 0.97


def test_deterministic_budgeted_and_validated():
    net, train, _test, frame = two_of_three_net()
    before = train.frame.copy()
    one = rulex.extract(net, train, method="checklist", random_state=3)
    two = rulex.extract(net, train, method="checklist", random_state=3)
    assert str(one) == str(two)
    pd.testing.assert_frame_equal(train.frame, before)
    tiny = rulex.extract(net, train, method="checklist", max_conditions=1, random_state=0)
    assert tiny.conditions_count() <= 1
    with pytest.raises(rulex.DataError, match="max_conditions"):
        rulex.extract(net, train, method="checklist", max_conditions=0)
    with pytest.raises(rulex.DataError, match="max_rows"):
        rulex.extract(net, train, method="checklist", max_rows=-5)
    with pytest.raises(rulex.BudgetExceededError):
        rulex.extract(net, train, method="checklist", max_seconds=0.0, on_budget="error")
    # a pool larger than max_rows is subsampled: still a valid, faithful checklist
    small = rulex.extract(net, train, method="checklist", max_rows=600, random_state=0)
    assert small.provenance["pool_rows"] <= 601 and len(small) >= 1


def test_multiclass_is_an_ordered_list_of_checklists():
    from _helpers.nets import iris_net
    net, train, test = iris_net()
    rules = rulex.extract(net, train, method="checklist", random_state=0)
    assert rules.semantics == "ordered" and 1 <= len(rules) <= 2
    assert rulex.evaluate(rules, net, test).fidelity >= 0.9
    assert rules.default in net.classes
