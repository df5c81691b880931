"""DeepRED with ``layers="all"`` (ECLAIRE): every hidden layer's rules rewritten over the inputs and united."""
import warnings

import numpy as np
import pandas as pd
import pytest

import rulex
from rulex.extractors import get_extractor

GRID = np.round(np.arange(0.05, 1.0, 0.1), 2)       # 0.05 .. 0.95: no point near the cut at 0.5


@pytest.fixture(scope="module")
def two_layer_xor():
    """Two numeric inputs on a grid and a noise input; a hand-built 2-layer sigmoid network:

    layer 1: a = h1_0 = sigmoid(40 (x0 - 0.5)) is on iff x0 > 0.5; b = h1_1 likewise for x1
    layer 2: h2_0 = sigmoid(20 a - 20 b - 10) is on iff a AND NOT b; h2_1 iff b AND NOT a
    class 1 iff 20 h2_0 + 20 h2_1 - 10 > 0, i.e. iff (x0 > 0.5) XOR (x1 > 0.5).
    """
    import torch
    import torch.nn as nn
    g0, g1, g2 = np.meshgrid(GRID, GRID, GRID[::3], indexing="ij")
    frame = pd.DataFrame({"x0": g0.ravel(), "x1": g1.ravel(), "noise": g2.ravel()})
    frame["y"] = ((frame.x0 > 0.5) ^ (frame.x1 > 0.5)).astype(int)
    ds = rulex.Dataset.from_frame(frame, target="y", numeric=["x0", "x1", "noise"])
    # the encoder scales each input to [0, 1] over its training range: fold that into the first layer
    lo, span = frame[["x0", "x1"]].min().to_numpy(), np.ptp(frame[["x0", "x1"]].to_numpy(), axis=0)
    module = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2))
    with torch.no_grad():
        module[0].weight.copy_(torch.tensor([[40.0 * span[0], 0.0, 0.0], [0.0, 40.0 * span[1], 0.0]]))
        module[0].bias.copy_(torch.tensor([40.0 * (lo[0] - 0.5), 40.0 * (lo[1] - 0.5)]))
        module[2].weight.copy_(torch.tensor([[20.0, -20.0], [-20.0, 20.0]]))
        module[2].bias.copy_(torch.tensor([-10.0, -10.0]))
        module[4].weight.copy_(torch.tensor([[0.0, 0.0], [20.0, 20.0]]))
        module[4].bias.copy_(torch.tensor([0.0, -10.0]))
    net = rulex.Network.from_torch(module, ds)
    assert (net.predict(ds.frame) == ds.y.to_numpy()).all()
    return net, ds


PLAIN = {"min_coverage": 0.0, "drop_redundant": False}     # each test names the options it is about


def _fit(net, ds, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return get_extractor("deepred", **{**PLAIN, **kw}).fit(net, ds)


def _boxes(rules):
    """{(class, frozenset of (feature, op, rounded threshold))} of a rule set."""
    return {(r.conclusion, frozenset((c.feature, c.op, round(float(c.value), 6)) for c in r.conditions))
            for r in rules.rules}


QUADRANTS = {(1, frozenset({("x0", ">", 0.5), ("x1", "<=", 0.5)})),
             (1, frozenset({("x0", "<=", 0.5), ("x1", ">", 0.5)})),
             (0, frozenset({("x0", "<=", 0.5), ("x1", "<=", 0.5)})),
             (0, frozenset({("x0", ">", 0.5), ("x1", ">", 0.5)}))}


@pytest.mark.parametrize("substitution", ["clause", "term"])
def test_every_layer_gives_the_four_quadrants_of_xor_exactly(two_layer_xor, substitution):
    net, ds = two_layer_xor
    rules = _fit(net, ds, layers="all", substitution=substitution, n_samples=0).rules_
    assert _boxes(rules) == QUADRANTS
    assert rules.semantics == "unordered"
    assert (rules.predict(ds.frame) == net.predict(ds.frame)).all()
    # decompositional: each rule names the hidden terms it came from, and both layers speak
    layers = set()
    for r in rules.rules:
        terms = r.provenance["hidden_terms"]
        assert terms, r
        assert {t["unit"] for t in terms} <= {0, 1}
        layers |= {t["layer"] for t in terms}
    assert layers == {1, 2}


def test_last_layer_only_keeps_deepreds_rules_of_the_non_default_class(two_layer_xor):
    net, ds = two_layer_xor
    rules = _fit(net, ds, layers="last", n_samples=0).rules_
    assert _boxes(rules) == {b for b in QUADRANTS if b[0] == 1}
    assert all(t["layer"] == 2 for r in rules.rules for t in r.provenance["hidden_terms"])


def test_min_coverage_prunes_the_clauses_of_a_quarter_of_the_rows(two_layer_xor):
    net, ds = two_layer_xor
    full = _fit(net, ds, layers="all", n_samples=0)
    pruned = _fit(net, ds, layers="all", n_samples=0, min_coverage=0.3)
    full_p, pruned_p = full.rules_.provenance, pruned.rules_.provenance
    assert full_p["top_clauses_pruned"] == 0
    # XOR has no good first split, so the layer-1 tree cuts the quadrants into pieces of under 30 % of
    # the rows; on layer 2, "h2_0 on" and "h2_1 on" hold on 25 % each and go, "both off" (class 0, half
    # the rows) is the one clause that stays
    assert pruned_p["top_clauses"] == 1
    assert pruned_p["top_clauses_pruned"] == full_p["top_clauses"] - 1
    assert _boxes(pruned.rules_) == {b for b in QUADRANTS if b[0] == 0}
    assert all(t["layer"] == 2 for r in pruned.rules_.rules for t in r.provenance["hidden_terms"])


@pytest.fixture(scope="module")
def deep_net():
    train, _ = rulex.load_dataset("breast_cancer").split(random_state=0)
    net = rulex.train_network(train, (8, 6, 4), "relu", max_epochs=40, random_state=0)
    return net, train


def test_all_layers_on_a_three_layer_network_same_seed_same_rules(deep_net):
    net, train = deep_net
    a = _fit(net, train, layers="all", n_samples=300, min_samples_leaf=0.05, random_state=3).rules_
    b = _fit(net, train, layers="all", n_samples=300, min_samples_leaf=0.05, random_state=3).rules_
    assert a.rules == b.rules and a.default == b.default
    assert len(a) > 0
    assert {r.conclusion for r in a.rules} == set(net.classes)       # every class votes
    for r in a.rules:
        assert r.provenance["hidden_terms"], r
    assert rulex.evaluate(a, net, train).fidelity >= 0.9


@pytest.mark.parametrize("param,value", [("layers", "both"), ("min_coverage", 1.5)])
def test_bad_layer_options_name_the_parameter(two_layer_xor, param, value):
    net, ds = two_layer_xor
    with pytest.raises(rulex.DataError, match=param):
        get_extractor("deepred", **{param: value}).fit(net, ds)


def test_drop_redundant_keeps_what_the_vote_needs(two_layer_xor):
    net, ds = two_layer_xor
    rules = _fit(net, ds, layers="all", n_samples=0, drop_redundant=True).rules_
    # the default (class 0) already decides where no class-1 rule holds: its two rules go, XOR stays exact
    assert rules.default == 0
    assert _boxes(rules) == {b for b in QUADRANTS if b[0] == 1}
    assert rules.provenance["rules_dropped"] == 2
    assert (rules.predict(ds.frame) == net.predict(ds.frame)).all()


def test_drop_redundant_never_lowers_agreement_on_the_extraction_rows(deep_net):
    net, train = deep_net
    kw = dict(layers="all", n_samples=0, min_samples_leaf=0.02)
    full = _fit(net, train, **kw).rules_
    kept = _fit(net, train, drop_redundant=True, **kw).rules_
    assert 0 < len(kept) < len(full)
    assert set(kept.rules) <= set(full.rules)
    assert rulex.evaluate(kept, net, train).fidelity >= rulex.evaluate(full, net, train).fidelity


@pytest.fixture(scope="module")
def german_all_layers():
    """ECLAIRE's reading of a two-layer network on german_credit: a few hundred rules of both classes."""
    from _helpers.nets import split
    train, test = split("german_credit")
    net = rulex.train_network(train, (16, 8), "relu", max_epochs=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rules = _fit(net, train, layers="all", n_samples=0, min_samples_leaf=0.002).rules_
    return rules, test


def test_all_layer_rules_stand_in_class_blocks(german_all_layers):
    """Each class's rules come together (the default's first), so a tie between class totals goes to the
    earlier block and PMML's weightedSum can reproduce it with small offsets."""
    rules, _ = german_all_layers
    order = [r.conclusion for r in rules.rules]
    assert len(set(order)) == 2 and len(order) >= 60
    blocks = [c for i, c in enumerate(order) if i == 0 or c != order[i - 1]]
    assert blocks == [rules.default] + [c for c in rules.classes if c != rules.default]
    for c in rules.classes:
        w = [r.weight for r in rules.rules if r.conclusion == c]
        assert w == sorted(w, reverse=True)


def test_all_layer_rules_export_to_pmml_and_agree(german_all_layers, pmml_scorer):
    from _helpers.exports import _check_formats
    rules, test = german_all_layers
    _check_formats(rules, test.frame.iloc[:120], pmml=pmml_scorer)     # 120 rows: pypmml scores row by row


def test_auto_reads_every_layer_prunes_and_compresses_a_deep_network_and_the_last_layer_of_a_shallow_one(
        two_layer_xor):
    net, ds = two_layer_xor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = get_extractor("deepred").fit(net, ds).rules_
        again = get_extractor("deepred").fit(net, ds).rules_
        plain = get_extractor("deepred", layers="all", min_coverage=0.01, drop_redundant=True).fit(net, ds).rules_
    reading = auto.provenance["reading"]
    assert reading == {"layers": "all", "min_coverage": 0.01, "drop_redundant": True, "compress": True}
    comp = auto.provenance["compression"]
    assert comp["rules_before"] == len(plain.rules) and comp["conditions_before"] == plain.conditions_count()
    assert auto.conditions_count() <= plain.conditions_count()
    assert _boxes(auto) == _boxes(again)                     # same seed, same rules
    assert (auto.predict(ds.frame) == net.predict(ds.frame)).mean() >= 0.99 * (
        plain.predict(ds.frame) == net.predict(ds.frame)).mean()
    assert "compression" not in plain.provenance and plain.provenance["reading"]["compress"] is False
    assert all(r.provenance.get("hidden_terms") for r in auto.rules)   # still decompositional: every rule names its terms
    shallow = rulex.train_network(ds, (4,), "relu", random_state=0, max_epochs=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = get_extractor("deepred").fit(shallow, ds).rules_
    assert one.provenance["reading"] == {"layers": "last", "min_coverage": 0.0, "drop_redundant": False,
                                         "compress": False}
    assert "compression" not in one.provenance


def test_auto_on_a_deep_network_is_the_pruned_every_layer_reading_compressed(two_layer_xor):
    # the benchmark's "ECLAIRE + min_coverage 0.01 + drop_redundant + compress" row is this default
    net, ds = two_layer_xor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auto = get_extractor("deepred", random_state=3).fit(net, ds).rules_
        spelled = rulex.extract(net, ds, "deepred", random_state=3, layers="all", min_coverage=0.01,
                                drop_redundant=True, compress=True)
    assert auto.rules == spelled.rules and auto.default == spelled.default


def test_auto_compresses_on_a_seeded_sample_of_many_rows_and_measures_on_all(two_layer_xor, monkeypatch):
    from rulex.extractors.decompositional import deepred as deepred_module
    net, ds = two_layer_xor
    monkeypatch.setattr(deepred_module, "COMPRESS_ROWS", 150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rules = get_extractor("deepred").fit(net, ds).rules_
        again = get_extractor("deepred").fit(net, ds).rules_
    comp = rules.provenance["compression"]
    assert comp["sampled_from_rows"] == len(ds.frame) and comp["rows"] == 150 + 4000
    assert rules.rules == again.rules
    agree = rules.predict(ds.frame) == net.predict(ds.frame)
    assert rules.provenance["train_fidelity"] == pytest.approx(agree.mean())
    assert sum(r.support for r in rules.rules) <= len(ds.frame)
    assert max(r.support for r in rules.rules) > 150 / 4     # counted on every row, not the sample


def test_auto_with_term_substitution_is_the_original_deepred_on_the_last_layer(two_layer_xor):
    net, ds = two_layer_xor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rules = get_extractor("deepred", substitution="term").fit(net, ds).rules_
    assert rules.provenance["reading"] == {"layers": "last", "min_coverage": 0.0, "drop_redundant": False,
                                           "compress": False}
