"""Local explanations, influence analysis and hidden-unit profiles (rulex.explain, issue 7)."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex import Condition
from rulex.cli import main


# -- a network built by hand -----------------------------------------------------------------
@pytest.fixture(scope="module")
def hand_net():
    """Six binary inputs, two sigmoid units, derived on paper:

    h0 = sigmoid(10 x0 + 10 x1 - 15)   on iff x0 AND x1   (needs 2 of 2 literals: AND)
    h1 = sigmoid(10 x2 + 10 x3 - 5)    on iff x2 OR x3    (needs 1 of 2 literals: OR)
    class 1 iff 10 h0 + 10 h1 - 5 > 0, i.e. iff h0 OR h1.  x4 and x5 are ignored.
    """
    import torch
    import torch.nn as nn
    rows = list(itertools.product((0, 1), repeat=6))
    frame = pd.DataFrame(rows, columns=[f"x{i}" for i in range(6)])
    frame["y"] = ((frame.x0 & frame.x1) | frame.x2 | frame.x3).astype(int)
    ds = rulex.Dataset.from_frame(frame, target="y")
    module = nn.Sequential(nn.Linear(6, 2), nn.Sigmoid(), nn.Linear(2, 2))
    with torch.no_grad():
        module[0].weight.copy_(torch.tensor([[10.0, 10.0, 0, 0, 0, 0], [0, 0, 10.0, 10.0, 0, 0]]))
        module[0].bias.copy_(torch.tensor([-15.0, -5.0]))
        module[2].weight.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0]]))
        module[2].bias.copy_(torch.tensor([0.0, -5.0]))
    net = rulex.Network.from_torch(module, ds)
    assert (net.predict(ds.frame) == ds.y.to_numpy()).all()
    return net, ds


def test_ignored_inputs_have_exactly_zero_influence(hand_net):
    net, ds = hand_net
    table = rulex.influence(net, ds)
    assert list(table.index) == [f"x{i}" for i in range(6)]
    assert list(table.columns) == ["potential_influence", "expected_influence", "weight_importance"]
    for v in ("x4", "x5"):
        assert table.loc[v, "potential_influence"] == 0.0
        assert table.loc[v, "expected_influence"] == 0.0
        assert table.loc[v, "weight_importance"] == 0.0
    for v in ("x0", "x1", "x2", "x3"):
        assert table.loc[v, "potential_influence"] > 0
        assert table.loc[v, "weight_importance"] > 0
    # x0 changes the decision exactly when x1 = 1 and x2 = x3 = 0: a quarter of a half of the rows
    assert table.loc["x0", "potential_influence"] == pytest.approx(1 / 8)
    assert table.loc["x2", "potential_influence"] == pytest.approx(
        ((ds.frame.x3 == 0) & ~((ds.frame.x0 == 1) & (ds.frame.x1 == 1))).mean())
    rows = rulex.influence(net, ds, per_row=True)
    assert rows.shape == (len(ds), 6)
    assert (rows[["x4", "x5"]] == 0).all().all()
    pot = rulex.influence(net, ds, per_row=True, measure="potential")
    assert set(np.unique(pot.to_numpy())) <= {0.0, 1.0}
    assert pot.mean().to_numpy() == pytest.approx(table["potential_influence"].to_numpy())


def test_unit_profiles_match_the_paper(hand_net):
    net, ds = hand_net
    profiles = rulex.profile_units(net, ds)
    assert [p.name for p in profiles] == ["h1_0", "h1_1"]
    h0, h1 = profiles
    assert (h0.logic, h0.n_needed, h0.n_literals) == ("AND", 2, 2)
    assert (h1.logic, h1.n_needed, h1.n_literals) == ("OR", 1, 2)
    assert [(n, e) for n, w, e in h0.inputs] == [("x0 = 1", "promotes"), ("x1 = 1", "promotes")]
    assert h0.active_rate == pytest.approx(0.25) and h1.active_rate == pytest.approx(0.75)
    # h0 is active exactly when x0 == 1 and x1 == 1
    assert [set(r.conditions) for r in h0.rule.rules] == [{Condition("x0", "==", 1), Condition("x1", "==", 1)}]
    assert h0.rule.default == "inactive" and h0.rule_fidelity == 1.0
    # h1: x2 == 1 or x3 == 1, as a depth-2 tree reads it
    assert set(h1.rule.features_used()) == {"x2", "x3"}
    assert h1.rule_fidelity == 1.0
    expect = np.where((ds.frame.x2 == 1) | (ds.frame.x3 == 1), "active", "inactive")
    assert (h1.rule.predict(ds.frame) == expect).all()
    # maximisers: the data row and the closed-form synthetic input turn the unit fully on
    assert h0.max_input["x0"] == 1 and h0.max_input["x1"] == 1
    assert h1.max_input["x2"] == 1 and h1.max_input["x3"] == 1
    assert h0.max_row["x0"] == 1 and h0.max_row["x1"] == 1
    assert h0.max_input_value == pytest.approx(1 / (1 + np.exp(-5)))
    frame = profiles.to_frame()
    assert list(frame["logic"]) == ["AND", "OR"]
    assert "h1_0 [sigmoid] AND" in str(profiles)


def test_explain_row_on_the_hand_built_network(hand_net):
    net, ds = hand_net
    i = int(np.flatnonzero(((ds.frame.x0 == 1) & (ds.frame.x1 == 1) & (ds.frame.x2 == 0)
                            & (ds.frame.x3 == 0)).to_numpy())[0])
    ex = rulex.explain_row(net, ds, i, n_samples=300)
    assert ex.prediction == 1 and ex.index == i
    assert ex.local_rule.conclusion == 1
    assert ex.local_rule.evaluate(ds.frame.iloc[[i]]).all()
    assert set(ex.local_rule.features) <= {"x0", "x1", "x2", "x3"}
    # the only single changes that flip the decision: x0 or x1 to 0 (distance 1)
    assert {f.feature for f in ex.flips} == {"x0", "x1"}
    assert ex.flip.feature == "x0" and ex.flip.new == 0 and ex.flip.distance == 1.0
    assert ex.flip.new_prediction == 0 and ex.flip.verified
    assert "smallest flip: x0" in str(ex)
    # a row no single change can flip
    j = int(np.flatnonzero(((ds.frame.x2 == 1) & (ds.frame.x3 == 1)).to_numpy())[0])
    assert rulex.explain_row(net, ds, j, n_samples=100).flip is None


def test_global_rule_is_the_deciding_rule(hand_net):
    net, ds = hand_net
    rules = rulex.extract(net, ds, method="surrogate_tree", random_state=0)
    for i in (0, 5, 40):
        ex = rulex.explain_row(net, ds, i, rules=rules, n_samples=100)
        expl = rules.explain(ds.frame.iloc[[i]]).iloc[0]
        number = expl["rule"]
        assert ex.global_rule_number == number and ex.global_rule == expl["text"]
        assert ex.global_prediction == expl["prediction"]


def test_the_default_rule_is_named_default_never_rule_0(hand_net):
    """Issue 27: rules count from 1 everywhere; the default is "default", not "rule 0"."""
    net, ds = hand_net
    rules = rulex.RuleSet([rulex.Rule([Condition("x0", ">", 5.0)], 1)], 0, classes=(0, 1), schema=net.schema,
                          target=ds.target)                 # x0 is 0/1: the default decides every row
    ex = rulex.explain_row(net, ds, 0, rules=rules, n_samples=50)
    assert ex.global_rule_number == "default" and ex.to_dict()["global_rule_number"] == "default"
    assert "default rule: DEFAULT THEN 0" in str(ex) and "rule 0" not in str(ex)
    assert "rule 0" not in ex._repr_html_() and ">default rule<" in ex._repr_html_()
    ex = rulex.explain_row(net, ds, 0, rules=rulex.RuleSet([rulex.Rule([], 1)], 0, classes=(0, 1),
                                                            schema=net.schema, target=ds.target), n_samples=50)
    assert ex.global_rule_number == 1 and "global rule 1: " in str(ex)


def test_errors(hand_net):
    net, ds = hand_net
    with pytest.raises(rulex.DataError, match=r"row index 64 is out of range.*0 to 63"):
        rulex.explain_row(net, ds, 64)
    bad = ds.frame.iloc[0].drop("y").copy()
    bad["x3"] = 7
    with pytest.raises(rulex.DataError, match=r"'x3' holds 7.*not seen in training"):
        rulex.explain_row(net, ds, bad)
    with pytest.raises(rulex.DataError, match="measure"):
        rulex.influence(net, ds, per_row=True, measure="bogus")


# -- trained networks --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def threshold_data():
    """Six uniform numeric features; the label is a threshold rule on a and b only."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(300, 6))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d", "e", "f"])
    frame["y"] = (frame.a + frame.b > 1.0).astype(int)
    return rulex.Dataset.from_frame(frame, target="y")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relevant_features_rank_first_by_expected_influence(threshold_data, seed):
    net = rulex.train_network(threshold_data, (4,), "sigmoid", max_epochs=60, random_state=seed)
    table = rulex.influence(net, threshold_data, random_state=seed, max_rows=150)
    e = table["expected_influence"]
    assert min(e["a"], e["b"]) > max(e[["c", "d", "e", "f"]])
    p = table["potential_influence"]
    assert min(p["a"], p["b"]) > max(p[["c", "d", "e", "f"]])


@pytest.fixture(scope="module")
def cancer_net():
    ds = rulex.load_dataset("breast_cancer")
    train, test = ds.split(random_state=0)
    net = rulex.train_network(train, (4,), "sigmoid", random_state=0)
    return net, train, test


def test_breast_cancer_local_rules_are_faithful_and_flips_verified(cancer_net):
    net, train, test = cancer_net
    rows = np.random.default_rng(0).choice(len(test), size=20, replace=False)
    fids = []
    for i in rows:
        ex = rulex.explain_row(net, test, int(i), n_samples=1000, reference=train)
        fids.append(ex.local_fidelity)
        row = test.frame.iloc[[int(i)]]
        assert ex.local_rule.evaluate(row).all()
        assert len(ex.local_rule.conditions) <= 3
        assert 0 < ex.local_coverage <= 1
        assert ex.prediction == net.predict(row)[0]
        for flip in ex.flips:                      # every reported change flips the network
            mod = row.copy()
            mod[flip.feature] = [flip.new]
            assert net.predict(mod)[0] != ex.prediction
            assert net.predict(mod)[0] == flip.new_prediction
        if ex.flip is not None:
            assert ex.flip.distance == min(f.distance for f in ex.flips)
    fids = np.array(fids)
    share = float(np.mean(fids >= 0.95))
    assert share >= 0.90, (share, np.round(fids, 3))     # issue 7's bar


def test_determinism(cancer_net):
    net, train, test = cancer_net
    a = rulex.explain_row(net, test, 3, n_samples=300, random_state=7, reference=train)
    b = rulex.explain_row(net, test, 3, n_samples=300, random_state=7, reference=train)
    assert a.to_dict() == b.to_dict()
    pd.testing.assert_frame_equal(rulex.influence(net, test, max_rows=40, random_state=1),
                                  rulex.influence(net, test, max_rows=40, random_state=1))
    pa, pb = rulex.profile_units(net, train, random_state=3), rulex.profile_units(net, train, random_state=3)
    pd.testing.assert_frame_equal(pa.to_frame(), pb.to_frame())
    assert str(pa) == str(pb)


# -- command line ------------------------------------------------------------------------------
def test_cli_explain_and_units(tmp_path, capsys):
    model, rules = tmp_path / "model.rulex", tmp_path / "rules.json"
    assert main(["train", "iris", "--out", str(model), "--epochs", "30", "--hidden", "4"]) == 0
    assert main(["extract", str(model), "iris", "--method", "surrogate_tree", "--out", str(rules)]) == 0
    capsys.readouterr()
    assert main(["explain", str(model), "iris", "--row", "3", "--rules", str(rules), "--samples", "200"]) == 0
    out = capsys.readouterr().out
    assert "network predicts" in out and "local rule: IF" in out and "global rule" in out
    assert main(["units", str(model), "iris"]) == 0
    out = capsys.readouterr().out
    assert "h1_0 [sigmoid]" in out and "h1_3" in out
    code = main(["explain", str(model), "iris", "--row", "999"])
    err = capsys.readouterr().err
    assert code == 1
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("rulex: error: row index 999 is out of range")


def test_mixed_kinds_and_a_deeper_network(mixed_dataset):
    """Every feature kind (numeric, integer, binary, categorical, ordinal) and two tanh layers."""
    ds = mixed_dataset
    net = rulex.train_network(ds, (4, 3), "tanh", max_epochs=40, random_state=0)
    for i in (0, 1, 2):
        ex = rulex.explain_row(net, ds, i, n_samples=200)
        row = ds.frame.iloc[[i]]
        assert ex.local_rule.evaluate(row).all()
        for flip in ex.flips:
            mod = row.copy()
            mod[flip.feature] = [flip.new]
            assert net.predict(mod)[0] == flip.new_prediction != ex.prediction
            kind = ds.schema[flip.feature].kind
            if kind in ("categorical", "binary"):
                assert flip.distance == 1.0
            if kind == "integer":
                assert float(flip.new).is_integer()
    table = rulex.influence(net, ds, n_grid=20)
    assert list(table.index) == ds.schema.feature_names
    assert ((table[["potential_influence", "expected_influence"]] >= 0)
            & (table[["potential_influence", "expected_influence"]] <= 1)).all().all()
    assert (table["expected_influence"] <= table["potential_influence"] + 1e-12).all()
    profiles = rulex.profile_units(net, ds, n_samples=200)
    assert [p.name for p in profiles] == ["h1_0", "h1_1", "h1_2", "h1_3", "h2_0", "h2_1", "h2_2"]
    names = {n for p in profiles[:4] for n, w, e in p.inputs}
    assert any(n.startswith("job = ") for n in names)
    assert {n for p in profiles[4:] for n, w, e in p.inputs} <= {"h1_0", "h1_1", "h1_2", "h1_3"}
    for p in profiles:
        assert p.logic in ("AND", "OR", "ALWAYS", "NEVER")
        assert p.rule.space == "original" and 0 <= p.rule_fidelity <= 1
        assert p.max_input_value >= p.max_row_value - 1e-9 or p.layer > 0
        ds.schema.check_frame(p.max_input.to_frame().T.infer_objects())


def test_report_shows_influence_and_unit_profiles_when_asked(tmp_path, capsys):
    from rulex.cli import main
    model = tmp_path / "m.rulex"
    assert main(["train", "iris", "--epochs", "20", "--hidden", "3", "--out", str(model)]) == 0
    for out in ("r.html", "r.md"):
        path = tmp_path / out
        assert main(["report", str(model), "iris", "--method", "surrogate_tree", "--explain", "--out",
                     str(path)]) == 0
        text = path.read_text(encoding="utf-8")
        assert "Influence of each input variable" in text and "Hidden units" in text
        assert "expected_influence" in text and "h1_0" in text
    plain = tmp_path / "plain.md"
    assert main(["report", str(model), "iris", "--method", "surrogate_tree", "--out", str(plain)]) == 0
    assert "Influence of each input variable" not in plain.read_text(encoding="utf-8")


def test_explain_row_with_prove_gives_the_verifiers_sufficient_reason():
    from rulex.verification import sufficient_reason
    train, test = rulex.load_dataset("iris").split(test_size=0.3, random_state=0)
    net = rulex.train_network(train, hidden_layer_sizes=(4,), activation="relu", random_state=0, max_epochs=40)
    ex = rulex.explain_row(net, test, 2, reference=train, prove=True, prove_seconds=20)
    reason = ex.sufficient_reason
    assert reason is not None and reason.status == "proven"
    assert reason.prediction == ex.prediction
    direct = sufficient_reason(net, test.frame.iloc[[2]][net.schema.feature_names], max_seconds=20)
    assert direct.features == reason.features
    assert "sufficient reason:" in str(ex) and ex.to_dict()["sufficient_reason"]["status"] == "proven"
