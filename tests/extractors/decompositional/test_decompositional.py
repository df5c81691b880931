"""CRED, DeepRED and Tsukimoto: rules derived on paper, ground-truth recovery, budgets, provenance."""
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex import Condition
from rulex.data import make_monk, make_xor
from rulex.extractors import get_extractor

DECOMP = ["cred", "deepred_term", "deepred_clause", "tsukimoto"]


def _extractor(name, **kw):
    if name.startswith("deepred_"):
        return get_extractor("deepred", substitution=name.split("_")[1], **kw)
    return get_extractor(name, **kw)


LIGHT = {"n_samples": 300, "min_samples_leaf": 0.05}   # keeps term-wise runs on the deep net small


def _fit(name, net, data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _extractor(name, **kw).fit(net, data)


@pytest.fixture(scope="module")
def paper_net():
    """Three binary inputs, two sigmoid units, derived on paper:

    h0 = sigmoid(10 x0 + 10 x1 - 15)   is on iff x0 AND x1
    h1 = sigmoid(10 x2 - 10 x1 - 5)    is on iff x2 AND NOT x1
    class 1 iff 10 h0 + 10 h1 - 5 > 0, i.e. iff h0 OR h1.
    So: IF x0 == 1 AND x1 == 1 THEN 1;  IF x1 == 0 AND x2 == 1 THEN 1;  ELSE 0.
    """
    import torch
    import torch.nn as nn
    rows = list(itertools.product((0, 1), repeat=3)) * 4
    frame = pd.DataFrame(rows, columns=["x0", "x1", "x2"])
    frame["y"] = ((frame.x0 & frame.x1) | (frame.x2 & (1 - frame.x1))).astype(int)
    ds = rulex.Dataset.from_frame(frame, target="y")
    module = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 2))
    with torch.no_grad():
        module[0].weight.copy_(torch.tensor([[10.0, 10.0, 0.0], [0.0, -10.0, 10.0]]))
        module[0].bias.copy_(torch.tensor([-15.0, -5.0]))
        module[2].weight.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0]]))
        module[2].bias.copy_(torch.tensor([0.0, -5.0]))
    net = rulex.Network.from_torch(module, ds)
    assert (net.predict(ds.frame) == ds.y.to_numpy()).all()
    return net, ds


PAPER_RULES = {frozenset({Condition("x0", "==", 1), Condition("x1", "==", 1)}),
               frozenset({Condition("x1", "==", 0), Condition("x2", "==", 1)})}


@pytest.mark.parametrize("method", DECOMP)
def test_hand_built_network_gives_the_rules_derived_on_paper(paper_net, method):
    net, ds = paper_net
    kw = {} if method == "tsukimoto" else {"n_samples": 0}
    if method.startswith("deepred"):    # the last layer's reading; every layer's (class 0 voting too): test_eclaire
        kw["layers"] = "last"
    rules = _fit(method, net, ds, **kw).rules_
    assert {frozenset(r.conditions) for r in rules.rules} == PAPER_RULES
    assert all(r.conclusion == 1 for r in rules.rules)
    assert rules.default == 0
    assert (rules.predict(ds.frame) == net.predict(ds.frame)).all()


def test_tsukimoto_unit_functions_are_sympy_in_original_names(paper_net):
    import sympy
    net, ds = paper_net
    ex = _fit("tsukimoto", net, ds)
    f = ex.unit_functions_
    x0, x1 = sympy.Symbol("x0 == 1"), sympy.Symbol("x1 == 1")
    assert sympy.simplify_logic(f["h1_0"]) == sympy.And(x0, x1)
    assert set(map(str, f["h1_1"].free_symbols)) == {"x1 == 0", "x2 == 1"}
    assert "class 1" in f and {"h1_0", "h1_1"} <= set(map(str, f["class 1"].free_symbols))
    assert ex.rules_.provenance["unit_functions"]["h1_0"] == str(f["h1_0"])


@pytest.fixture(scope="module")
def xor_net():
    ds = make_xor(n_bits=8, n_relevant=2)
    net = rulex.train_network(ds, (4,), "sigmoid", max_epochs=300, random_state=0)
    assert (net.predict(ds.frame) == ds.y.to_numpy()).mean() == 1.0
    return net, ds


@pytest.mark.parametrize("method", ["cred", "deepred_term", "deepred_clause", "tsukimoto"])
def test_xor_two_of_eight_bits_recovered(xor_net, method):
    net, ds = xor_net
    rules = _fit(method, net, ds).rules_
    fid = rulex.evaluate(rules, net, ds).fidelity    # all 256 points
    assert fid >= 0.99
    assert len(rules) <= 4
    assert rules.features_used() and set(rules.features_used()) <= {"x0", "x1"}


@pytest.fixture(scope="module")
def monk1_net():
    train, test = make_monk(1).split()
    net = rulex.train_network(train, (8,), "sigmoid", random_state=0)
    return net, train, test


@pytest.mark.parametrize("method,params", [("cred", {}), ("deepred_term", {}), ("deepred_clause", {}),
                                           ("tsukimoto", {"max_order": 6})])
def test_monk1_fidelity_on_the_whole_space(monk1_net, method, params):
    net, train, test = monk1_net
    assert len(test) == 432
    rules = _fit(method, net, train, **params).rules_
    assert rulex.evaluate(rules, net, test).fidelity >= 0.95


def test_cred_refuses_deep_networks_and_points_to_deepred():
    train, _ = make_xor(6, 2).split(test_size=0.3, random_state=0)
    net = rulex.train_network(train, (3, 3), "sigmoid", max_epochs=5, random_state=0)
    with pytest.raises(rulex.NetworkError, match="deepred"):
        get_extractor("cred").fit(net, train)


@pytest.fixture(scope="module")
def deep_net():
    train, test = rulex.load_dataset("breast_cancer").split(random_state=0)
    net = rulex.train_network(train, (6, 4), "sigmoid", max_epochs=40, random_state=0)
    return net, train, test


def test_term_budget_stops_with_a_message_naming_the_layer(deep_net):
    net, train, _ = deep_net
    with pytest.raises(rulex.BudgetExceededError, match=r"layer \d.*max_clauses=1\b.*substitution='clause'"):
        get_extractor("deepred", substitution="term", max_clauses=1, n_samples=0).fit(net, train)


def test_term_budget_partial_returns_rules_with_a_warning(deep_net):
    net, train, test = deep_net
    with pytest.warns(RuntimeWarning, match="partial"):
        ex = get_extractor("deepred", substitution="term", max_clauses=3, on_budget="partial",
                           n_samples=0).fit(net, train)
    assert ex.rules_.provenance["complete"] is False
    rulex.evaluate(ex.rules_, net, test)    # a usable rule set


def test_time_budget(deep_net):
    net, train, _ = deep_net
    with pytest.raises(rulex.BudgetExceededError, match="max_seconds"):
        get_extractor("deepred", substitution="term", max_seconds=0.0, n_samples=0).fit(net, train)


@pytest.mark.parametrize("method", ["deepred_term", "deepred_clause", "cred"])
def test_every_rule_records_the_hidden_terms_it_came_from(deep_net, xor_net, method):
    net, train = xor_net if method == "cred" else deep_net[:2]
    rules = _fit(method, net, train, **({} if method == "cred" else LIGHT)).rules_
    assert len(rules) > 0
    n_hidden = len(net.hidden_layers)
    for r in rules.rules:
        terms = r.provenance["hidden_terms"]
        assert terms, r
        for t in terms:
            assert 1 <= t["layer"] <= n_hidden
            assert 0 <= t["unit"] < net.layers[t["layer"] - 1].n_units
            assert t["op"] in (">", "<=", ">=", "<")
            assert isinstance(t["threshold"], float)
    if method != "cred":  # the deepest chain reaches the top hidden layer
        assert any(t["layer"] == n_hidden for r in rules.rules for t in r.provenance["hidden_terms"])


@pytest.mark.parametrize("method", DECOMP)
def test_same_random_state_same_rules(deep_net, xor_net, method):
    net, train = xor_net if method in ("cred", "tsukimoto") else deep_net[:2]
    kw = LIGHT if method.startswith("deepred") else {}
    a = _fit(method, net, train, **kw).rules_
    b = _fit(method, net, train, **kw).rules_
    assert a.rules == b.rules and a.default == b.default


def test_deepred_reads_sklearn_and_skorch_networks():
    from sklearn.neural_network import MLPClassifier
    ds = make_xor(6, 2)
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    mlp = MLPClassifier((6,), activation="tanh", max_iter=3000, random_state=0, solver="lbfgs")
    mlp.fit(enc.transform(ds.frame), ds.y)
    net = rulex.Network.from_sklearn(mlp, enc)
    rules = _fit("deepred_clause", net, ds).rules_
    assert rulex.evaluate(rules, net, ds).fidelity >= 0.95
    rules = _fit("tsukimoto", net, ds, max_order=6).rules_
    assert rulex.evaluate(rules, net, ds).fidelity >= 0.9


def test_skorch_network_through_every_decompositional_method():
    import torch
    import torch.nn as nn
    from skorch import NeuralNetClassifier
    ds = make_xor(n_bits=6, n_relevant=2)
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    X = enc.transform(ds.frame).astype(np.float32)
    torch.manual_seed(0)
    skorch_net = NeuralNetClassifier(nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 2)),
                                     criterion=nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=0.05,
                                     max_epochs=300, batch_size=64, train_split=None, verbose=0)
    skorch_net.fit(X, ds.y.to_numpy().astype(np.int64))
    net = rulex.Network.from_skorch(skorch_net, enc)
    assert (net.predict(ds.frame) == ds.y.to_numpy()).all()
    for method in DECOMP:
        rules = _fit(method, net, ds, **({"max_order": 6} if method == "tsukimoto" else {})).rules_
        assert rulex.evaluate(rules, net, ds).fidelity >= 0.95, method


def test_provenance_chain_is_shown(deep_net):
    net, train, test = deep_net
    rules = _fit("deepred_term", net, train, **LIGHT).rules_
    text = rules.to_string(provenance=True)
    assert "from hidden terms: h2_" in text
    chain = rules.explain(test.frame)["hidden_terms"]
    decided = rules.decide(test.frame) >= 0
    assert chain[decided].str.startswith("h2_").all() and (chain[~decided] == "").all()


def test_relu_on_thresholds_are_half_the_mean_positive_activation_without_numpy_warnings():
    import warnings
    from rulex.extractors.decompositional._units import half_positive_mean, unit_thresholds
    from rulex.extractors.decompositional.tsukimoto import Tsukimoto
    H = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, -1.0], [-2.0, 0.5, 4.0]])      # unit 0 never fires
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tau = half_positive_mean(H)
        assert np.array_equal(Tsukimoto._on_threshold("relu", H), tau)
        assert np.array_equal(unit_thresholds("relu", H, 0.5)[0], tau)
    assert tau.tolist() == [0.0, 0.75, 1.5]


def test_tsukimoto_reads_discrete_inputs_exactly_when_the_expansion_fits():
    """Regression: the stage bound (a cover of the training rows, at most 64 clauses a stage) dropped
    clauses that decide MONK-1 points outside the 124 training rows (seed 0: 0.972 on all 432 points).
    Over discrete inputs the exact expansion is tried first and kept when it fits half the budgets."""
    train, test = rulex.load_dataset("monk1").split(random_state=0)
    net = rulex.train_network(train, (8,), "sigmoid", random_state=0)
    rules = _fit("tsukimoto", net, train, max_order=6).rules_
    assert rulex.evaluate(rules, net, test).fidelity == 1.0
    prov = rules.provenance
    assert prov["bound"]["stages_bounded"] == 0 and "fitted" in prov["exact_first"]
    tight = _fit("tsukimoto", net, train, max_order=6, max_clauses=200).rules_      # too small for the unbounded try
    assert "outgrew" in tight.provenance["exact_first"] and tight.provenance["bound"]["stages_bounded"] > 0
