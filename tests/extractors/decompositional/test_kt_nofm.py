"""KT and N-of-M: rules derived on paper, one-hot worst states, budgets, MONK-2 as an m-of-n concept."""
import itertools

import numpy as np
import pandas as pd
import pytest
from _helpers.nets import same_weights, weights_of

import rulex
from rulex import Condition
from rulex.extractors import get_extractor
from rulex.extractors.decompositional._units import input_variables
from rulex.extractors.decompositional.kt import kt_rules


def _torch_net(ds, W1, b1, W2, b2):
    import torch
    from torch import nn
    module = nn.Sequential(nn.Linear(len(W1[0]), len(W1)), nn.Sigmoid(), nn.Linear(len(W2[0]), len(W2)))
    with torch.no_grad():
        module[0].weight.copy_(torch.tensor(W1, dtype=torch.float32))
        module[0].bias.copy_(torch.tensor(b1, dtype=torch.float32))
        module[2].weight.copy_(torch.tensor(W2, dtype=torch.float32))
        module[2].bias.copy_(torch.tensor(b2, dtype=torch.float32))
    return rulex.Network.from_torch(module, ds)


@pytest.fixture(scope="module")
def kt_net():
    """A colour (one-hot: red, green, blue), a binary b and a numeric x in {0, 5, 10}; inputs in the
    order color=red, color=green, color=blue, b, x (x encoded as x / 10).

    h1 = sigmoid(4 (4 red - 3 green - 4 blue + 6 b - 1.5))
    h2 = sigmoid(4 (10 x - 10 b - 3))
    class 1 vs 0: logit difference 10 h1 - 10 h2 - 5.

    KT by hand (threshold 0 on the pre-activation; hidden units Boolean; x cut at 0.25 and 0.75,
    the midpoints between its observed encoded values):

    h1 on: the colour's worst state is ONE category, blue (-4), not the sum -7 of both negative
      weights. need = 0 + 1.5 + 4 = 5.5 (times 4). b == 1 gains 6 >= 5.5: a rule alone (with the
      naive worst case -7 it would not be). color == red gains 8: a rule. {red, green} gains only 1.
      So h1 on <- b == 1;  h1 on <- color == red.
    h2 off (-pre >= 0): x at worst 1 (-10), b at worst 0; need = -3 + 10 = 7. x <= 0.25 gains 7.5:
      a rule; b == 1 gains 10: a rule; x <= 0.75 gains 2.5 (never minimal with b).
      So h2 off <- x <= 0.25;  h2 off <- b == 1.
    class 1: need = 5 + 10 = 15; h1 on gains 10, h2 off gains 10: only {h1 on, h2 off}.
    Composed: (b == 1 or red) and (x <= 0.25 or b == 1) = b == 1 or (red and x <= 0.25);
    in original units: IF b == 1 THEN 1;  IF color == red AND x <= 2.5 THEN 1;  ELSE 0.
    """
    rows = list(itertools.product(["red", "green", "blue"], [0, 0, 1], [0.0, 5.0, 10.0]))  # class 0 the majority
    frame = pd.DataFrame(rows, columns=["color", "b", "x"])
    frame["y"] = ((frame.b == 1) | ((frame.color == "red") & (frame.x <= 2.5))).astype(int)
    ds = rulex.Dataset.from_frame(frame, target="y", categorical=["color"], numeric=["x"], binary=["b"])
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    order = {n: i for i, n in enumerate(enc.input_names_)}
    w1 = np.zeros((2, 5))
    for name, v in {"color=red": 4, "color=green": -3, "color=blue": -4, "b": 6}.items():
        w1[0, order[name]] = 4 * v
    w1[1, order["x"]], w1[1, order["b"]] = 40, -40
    net = _torch_net(ds, w1.tolist(), [-6.0, -12.0], [[0.0, 0.0], [10.0, -10.0]], [0.0, -5.0])
    return net, ds


KT_RULES = {frozenset({Condition("b", "==", 1)}),
            frozenset({Condition("color", "==", "red"), Condition("x", "<=", 2.5)})}


def test_kt_returns_exactly_the_rules_derived_on_paper(kt_net):
    net, ds = kt_net
    ex = get_extractor("kt").fit(net, ds)
    rules = ex.rules_
    assert {frozenset(r.conditions) for r in rules.rules} == KT_RULES
    assert all(r.conclusion == 1 for r in rules.rules) and rules.default == 0
    assert (rules.predict(ds.frame) == net.predict(ds.frame)).all()
    assert sorted(ex.unit_rules_["h1_0 on"]) == ["b>0.5", "color in {red}"]
    assert sorted(ex.unit_rules_["h1_1 off"]) == ["b>0.5", "x<=0.25"]
    assert ex.unit_rules_["class 1 over 0"] == ["h1_0 on & h1_1 off"]


def test_kt_worst_state_of_a_one_hot_group_is_one_category(kt_net):
    net, ds = kt_net
    X = net.encoder.transform(ds.frame)
    variables = input_variables(net, X, 3)
    layer = net.layers[0]
    sets = kt_rules(layer.weights[0], layer.bias[0], 0.0, variables, 3)
    labels = sorted(tuple(l.label for l in s) for s in sets)
    assert labels == [("b>0.5",), ("color in {red}",)]
    # "two colours on" never appears; a colour literal is a set of categories
    assert all(l.allowed is None or len(l.allowed) >= 1 for s in sets for l in s)


def test_kt_four_equal_weights_give_every_triple():
    # one unit, four equal weights w, bias -2.5 w: on iff at least three of four; the output copies it.
    # KT: need 2.5 w, each input gains w, so the minimal sets are the four triples (class 1 is the
    # minority, so these are the rules and 0 the default)
    frame = pd.DataFrame(list(itertools.product((0, 1), repeat=4)), columns=list("abcd"))
    frame["y"] = (frame.sum(axis=1) >= 3).astype(int)
    ds = rulex.Dataset.from_frame(frame, target="y")
    net = _torch_net(ds, [[5.0] * 4], [-12.5], [[-10.0], [10.0]], [5.0, -5.0])
    rules = get_extractor("kt").fit(net, ds).rules_
    triples = {frozenset(Condition(a, "==", 1) for a in t) for t in itertools.combinations("abcd", 3)}
    assert {frozenset(r.conditions) for r in rules.rules} == triples
    assert (rules.predict(ds.frame) == net.predict(ds.frame)).all()


def test_kt_subset_bound_and_budget(kt_net):
    net, ds = kt_net
    # with one literal per rule, Fu's whole-box test gives no class rule (it needs h1 on AND h2 off): default only
    assert len(get_extractor("kt", max_subset=1, worst_case="box").fit(net, ds).rules_) == 0
    # auto reads the decision on the data instead: a bounded reading of one hidden literal per set, said approximate
    ex = get_extractor("kt", max_subset=1).fit(net, ds)
    assert len(ex.rules_) > 0
    assert ex.unit_rules_["class 1 over 0"] and all(" & " not in s for s in ex.unit_rules_["class 1 over 0"])
    assert "class 1 over 0" in ex.rules_.provenance["units_approximated"]
    with pytest.raises(rulex.BudgetExceededError, match="kt: .*max_clauses=1"):
        get_extractor("kt", max_clauses=1).fit(net, ds)
    with pytest.raises(rulex.BudgetExceededError, match="max_seconds"):
        get_extractor("kt", max_seconds=0.0).fit(net, ds)
    with pytest.warns(RuntimeWarning, match="partial"):
        ex = get_extractor("kt", max_seconds=0.0, on_budget="partial").fit(net, ds)
    assert ex.rules_.provenance["complete"] is False


def test_kt_returns_an_approximate_reading_where_no_set_decides_the_class():
    """Six identical sigmoid units h = sigmoid(8 (x0 - 0.5)), class 1 iff 10 (h1 + ... + h6) >= 45, i.e. the
    mean unit at 0.75 (x0 >= 0.5 + ln(3) / 8 = 0.637; x0 on its encoded scale, within 0.01 of its value
    here, hence the margins below): the units are on (>= 0.5) from x0 = 0.5, below the
    class's cut, as breast_cancer's (16,) sigmoid network's are. Fu's whole-box test needs 45 from at most
    3 units worth 10 each: no set. On the data, every set of on literals covers the rows with x0 in
    [0.5, 0.637], about 27 % of the rows it covers, which are class 0: no set at tolerance 0 either. The
    decision is then read at a raised tolerance (0.3 admits 27 %) instead of giving no rule, and the
    provenance says so; its rules fire from x0 near 0.5, so they agree with the network wherever x0 is not
    in [0.5, 0.637]."""
    rng = np.random.default_rng(0)
    X = rng.random((300, 3))
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    frame["y"] = (X[:, 0] >= 0.5 + np.log(3) / 8).astype(int)
    ds = rulex.Dataset.from_frame(frame, target="y", numeric=["x0", "x1", "x2"])
    net = _torch_net(ds, [[8.0, 0.0, 0.0]] * 6, [-4.0] * 6, [[0.0] * 6, [10.0] * 6], [0.0, -45.0])
    assert len(get_extractor("kt", worst_case="box").fit(net, ds).rules_) == 0
    rules = get_extractor("kt").fit(net, ds).rules_
    assert len(rules) > 0
    decision = rules.provenance["unit_readings"]["class 1 over 0"]
    assert "tolerance raised" in decision["read"] and decision["bounded"]
    assert "class 1 over 0" in rules.provenance["units_approximated"]
    fid = float(np.mean(rules.predict(ds.frame) == net.predict(ds.frame)))
    outside = np.mean((X[:, 0] < 0.45) | (X[:, 0] > 0.69))
    assert fid >= outside
    assert decision["composed_agreement"] == pytest.approx(fid, abs=1e-6)
    assert get_extractor("kt").fit(net, ds).rules_.rules == rules.rules          # the same rules again


def test_kt_interval_reading_is_sound(kt_net):
    # hidden literals read as the intervals they allow: every rule that fires is right on every row
    net, ds = kt_net
    rules = get_extractor("kt", hidden_values="interval", activation_level=0.9).fit(net, ds).rules_
    decided = rules.decide(ds.frame) >= 0
    assert (rules.predict(ds.frame)[decided] == net.predict(ds.frame)[decided]).all()


# -- N-of-M -------------------------------------------------------------------------------------------------
def test_nofm_four_equal_weights_give_three_of_four():
    # one unit, four equal weights w = 5 and bias -2.5 w: a single cluster of mean 5, and the retrained
    # bias keeps the threshold between 2 and 3 true inputs: "at least 3 of {a, b, c, d}" (ALGORITHMS-2 §6)
    frame = pd.DataFrame(list(itertools.product((0, 1), repeat=4)), columns=list("abcd"))
    frame["y"] = (frame.sum(axis=1) >= 3).astype(int)
    ds = rulex.Dataset.from_frame(frame, target="y")
    net = _torch_net(ds, [[5.0] * 4], [-12.5], [[-10.0], [10.0]], [5.0, -5.0])
    ex = get_extractor("nofm").fit(net, ds)
    rules = ex.rules_
    assert len(rules) == 1 and rules.default == 0
    (test,) = rules.rules[0].conditions
    assert isinstance(test, rulex.MofN) and test.m == 3
    assert set(test.conditions) == {Condition(a, "==", 1) for a in "abcd"}
    assert ex.units_["h1_0"]["sizes"] == [4] and ex.units_["h1_0"]["clusters"] == pytest.approx([5.0])
    assert (rules.predict(ds.frame) == net.predict(ds.frame)).all()


@pytest.fixture(scope="module")
def monk2_net():
    from rulex.data import make_monk
    train, test = make_monk(2).split()
    net = rulex.train_network(train, (4,), "sigmoid", random_state=0)
    return net, train, test


def test_nofm_on_monk2_gives_m_of_n_rules_as_faithful_as_trepan(monk2_net):
    # MONK-2: "exactly two of the six attributes take their first value", an m-of-n concept
    net, train, test = monk2_net
    before = weights_of(net)
    ex = get_extractor("nofm").fit(net, train)
    rules = ex.rules_
    assert same_weights(before, weights_of(net))          # the user's network is never touched
    # the biases were retrained on the clustered copy, not copied from the network
    assert any(ex.units_[f"h1_{j}"]["bias"] != pytest.approx(float(net.layers[0].bias[j])) for j in range(4))
    assert any(isinstance(c, rulex.MofN) for r in rules.rules for c in r.conditions)
    fid = rulex.evaluate(rules, net, test).fidelity
    trepan = rulex.evaluate(rulex.extract(net, train, method="trepan", random_state=0), net, test).fidelity
    print(f"MONK-2 fidelity on the test split: nofm {fid:.4f}, trepan {trepan:.4f}")
    assert fid >= 0.95 and fid >= trepan - 0.05


def test_nofm_budget_and_partial(monk2_net):
    net, train, _ = monk2_net
    with pytest.raises(rulex.BudgetExceededError, match="nofm: .*max_seconds"):
        get_extractor("nofm", max_seconds=0.0).fit(net, train)
    with pytest.warns(RuntimeWarning, match="partial") as said:
        ex = get_extractor("nofm", max_seconds=0.0, on_budget="partial").fit(net, train)
    assert ex.rules_.provenance["complete"] is False
    # one class for rulex's own warnings: a partial result is a RulexWarning too (the CLI's one line)
    assert any(issubclass(w.category, rulex.PartialResultWarning) for w in said)
    assert all(issubclass(w.category, rulex.RulexWarning) for w in said)


def test_nofm_decision_is_not_emptied_by_cluster_elimination():
    """Regression: on breast_cancer's (16, 8) sigmoid network (seed 0) the decision unit, read over the
    clustered hidden units with its original bias, was on for every training row, so every cluster
    looked removable and N-of-M returned no rule at all. The bias is now fitted to the clustered
    weights before clusters are eliminated: the decision keeps a cluster and the rules conclude both
    classes."""
    train, _ = rulex.load_dataset("breast_cancer").split(random_state=0)
    net = rulex.train_network(train, (16, 8), "sigmoid", random_state=0)
    ex = get_extractor("nofm").fit(net, train)
    rules = ex.rules_
    decision = ex.units_["class malignant over benign"]
    assert decision["sizes"] and sum(decision["sizes"]) > 0
    assert len(rules.rules) > 0
    assert set(rules.predict(train.X)) == {"malignant", "benign"}
