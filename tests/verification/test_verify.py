"""rulex.verify: certified rule regions, counterexamples, soundness on random tiny networks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from _helpers.verification import domain_sample, mixed_data, random_net, two_unit

import rulex
from rulex import Condition as C
from rulex import MofN, Rule, RuleSet
from rulex.verification import Domain, verify


# -- a hand-built two-unit ReLU network --------------------------------------------------------
def paper_rules():
    """Ordered; the regions each rule really decides, and the answer derived on paper:

    R0 a > 0.9 -> yes                      region a > 0.9: b <= 1 < 2a - 0.7            certified
    R1 a <= 0.7 -> no                      a in (0.6, 0.7], b <= 0.5 is yes              counterexample
    R2 b <= 0.5 -> yes                     region 0.7 < a <= 0.9, b <= 0.5: a > 0.6      certified
    R3 b > 0.9 -> no                       region 0.7 < a <= 0.9, b > 0.9: yes when
                                           b < 2a - 0.7, e.g. a = 0.85, b = 0.95           counterexample
    R4 a <= 0.75 and b > 0.85 -> no        region 0.7 < a <= 0.75, 0.85 < b <= 0.9:
                                           2a - 0.7 <= 0.8 < b                            certified
    default yes                            region 0.7 < a <= 0.9, 0.5 < b <= 0.9 minus R4:
                                           a = 0.71, b = 0.8 is no                        counterexample
    Certified share of the domain: 0.1 (R0) + 0.2 * 0.5 (R2) + 0.05 * 0.05 (R4) = 0.2025.
    """
    return RuleSet([Rule([C("a", ">", 0.9)], "yes"), Rule([C("a", "<=", 0.7)], "no"),
                    Rule([C("b", "<=", 0.5)], "yes"), Rule([C("b", ">", 0.9)], "no"),
                    Rule([C("a", "<=", 0.75), C("b", ">", 0.85)], "no")], "yes", classes=("no", "yes"))


def paper_truth(a, b):
    return np.where((a > 0.6) & ((b <= 0.5) | (b < 2 * a - 0.7)), "yes", "no")


def test_two_unit_relu_network_matches_the_paper():
    net, ds = two_unit()
    grid = np.linspace(0, 1, 101)
    A, B = np.meshgrid(grid, grid)
    frame = pd.DataFrame({"a": A.ravel(), "b": B.ravel()})
    on_boundary = np.isclose(frame.a, 0.6) & (frame.b <= 0.5) | np.isclose(frame.b, 2 * frame.a - 0.7)
    agree = net.predict(frame) == paper_truth(frame.a.to_numpy(), frame.b.to_numpy())
    assert agree[~on_boundary].all()

    rules = paper_rules()
    v = verify(rules, net, ds, max_seconds=20)
    assert v.statuses == ["certified", "counterexample", "certified", "counterexample", "certified",
                          "counterexample"]
    assert v.certified_share == pytest.approx(0.2025, abs=1e-9)
    assert list(v.rules["region_share"].round(6)) == pytest.approx([0.1, 0.7, 0.1, 0.02, 0.0025, 0.0775])
    # every counterexample lies in the region of its rule and the network disagrees with the rule
    cex = v.counterexamples
    assert list(cex["rule"]) == [2, 4, "default"]          # rules count from 1, as in every export
    decided = rules.decide(cex[["a", "b"]])
    assert list(decided) == [1, 3, -1]
    assert (net.predict(cex[["a", "b"]]) != cex["rule_says"].to_numpy()).all()
    assert (paper_truth(cex.a.to_numpy(), cex.b.to_numpy()) == net.predict(cex[["a", "b"]])).all()
    a1, b1 = cex.iloc[0][["a", "b"]]
    assert 0.6 < a1 <= 0.7 and (b1 <= 0.5 or b1 < 2 * a1 - 0.7)
    a3, b3 = cex.iloc[1][["a", "b"]]
    assert 0.7 < a3 <= 0.9 and 0.9 < b3 < 2 * a3 - 0.7
    # the result also records the counterexample row and the seconds spent
    assert v.rules.loc[1, "counterexample"] == {"a": a1, "b": b1}
    assert (v.rules["seconds"] >= 0).all()


def test_unordered_rules_are_checked_on_their_own_conditions():
    net, ds = two_unit()
    # b <= 0.5 -> yes holds after "a <= 0.7 -> no" in a list, not on its own: a <= 0.6 is "no"
    rules = RuleSet([Rule([C("b", "<=", 0.5)], "yes"), Rule([C("a", "<=", 0.5)], "no")], "no",
                    semantics="unordered", classes=("no", "yes"))
    v = verify(rules, net, ds, max_seconds=20)
    assert v.statuses[:2] == ["counterexample", "certified"]
    row = v.counterexamples.iloc[0]
    assert row["b"] <= 0.5 and row["a"] <= 0.6 and row["network_says"] == "no"


def test_sigmoid_and_tanh_versions_are_sound_on_the_paper_rules():
    net, ds = two_unit()
    for act in ("sigmoid", "tanh"):
        layers = [rulex.Layer(l.weights, l.bias, act if i == 0 else l.activation) for i, l in enumerate(net.layers)]
        other = rulex.Network(layers, net.encoder, classes=net.classes)
        v = verify(paper_rules(), other, ds, max_seconds=10)
        _check_sound(v, paper_rules(), other, ds, n=20000)


# -- soundness on random tiny networks -------------------------------------------------------------
def _check_sound(v, rules, net, ds, n=100_000, rng=None):
    """No certified region has a disagreeing point; every counterexample is a real one."""
    rng = rng or np.random.default_rng(1)
    thresholds = [(c.feature, c.value) for r in rules.rules for c in _literals(r.conditions)
                  if c.op in ("<=", ">") and ds.schema[c.feature].kind in ("numeric", "integer")]
    frame = domain_sample(ds, net, n, rng, thresholds)
    y = net.predict(frame)
    if rules.semantics == "ordered":
        decided = rules.decide(frame)
        masks = [decided == j for j in range(len(rules.rules))] + [decided == -1]
    else:
        M = rules.matches(frame)
        masks = [M[:, j] for j in range(len(rules.rules))] + [~M.any(axis=1)]
    concl = [r.conclusion for r in rules.rules] + [rules.default]
    for j, rec in enumerate(v.rules.to_dict("records")):
        if rec["status"] == "certified":
            assert (y[masks[j]] == concl[j]).all(), (j, rec)
    for j, status in enumerate(_engine_claims(rules, net)):    # the engines without the sampling filter
        if status == "certified":
            assert (y[masks[j]] == concl[j]).all(), (j, "engine")
    dom = Domain(net.encoder)
    for _, row in v.counterexamples.iterrows():
        one = pd.DataFrame([row[list(ds.schema.feature_names)].to_dict()])
        for f in ds.schema.features:
            if f.kind == "integer":
                one[f.name] = one[f.name].astype("int64")
        assert dom.contains(one).all()
        j = len(rules.rules) if row["rule"] == "default" else int(row["rule"]) - 1
        if rules.semantics == "ordered":
            assert rules.decide(one)[0] == (-1 if j == len(rules.rules) else j)
        elif j < len(rules.rules):
            assert rules.rules[j].evaluate(one)[0]
        else:
            assert not rules.matches(one).any()
        assert net.predict(one)[0] != concl[j] == row["rule_says"]


def _engine_claims(rules, net):
    """Status per region from branch and bound (any activation) and, for ReLU, from the MILP alone."""
    import time
    from rulex.verification.api import _confirmer, _regions, _spec
    from rulex.verification.bounds import branch_and_bound
    from rulex.verification.milp import relu_query
    dom = Domain(net.encoder)
    out = []
    for label, _, own, mofns, exclude, concl in _regions(rules, dom):
        spec = _spec(net, concl, None)
        confirm = _confirmer(net, dom, rules, label, spec)
        if own is None or exclude is None:
            out.append("unknown")
            continue
        boxed = not mofns and not any(isinstance(e, tuple) for e in exclude)
        pieces = dom.subtract_all(own, exclude, 500) if boxed else None
        status = "unknown"
        if pieces is not None:
            res = branch_and_bound(net, spec, dom, pieces, time.monotonic() + 0.5, np.random.default_rng(0),
                                   delta=1e-6, confirm=confirm)
            status = res["status"]
        if net.layers[0].activation == "relu" and own:
            res = [relu_query(net, spec, dom, b, exclude, time.monotonic() + 2, delta=1e-6, confirm=confirm,
                              mofns=mofns) for b in own]
            milp = ("certified" if all(r["status"] == "certified" for r in res) else "other")
            if milp == "certified" or status == "certified":
                status = "certified"
        out.append(status)
    return out


def _literals(conds):
    for c in conds:
        if isinstance(c, MofN):
            yield from c.conditions
        else:
            yield c


@st.composite
def rule_sets(draw):
    classes = ("p", "q", "s")
    rules = []
    for _ in range(draw(st.integers(1, 3))):
        conds = []
        if draw(st.booleans()):
            conds.append(C("x", draw(st.sampled_from(["<=", ">"])), draw(st.floats(-2, 3).map(lambda v: round(v, 2)))))
        if draw(st.booleans()):
            conds.append(C("k", draw(st.sampled_from(["<=", ">", "!="])), draw(st.integers(0, 5))))
        if draw(st.booleans()):
            conds.append(C("c", draw(st.sampled_from(["==", "!="])), draw(st.sampled_from(["r", "g", "b"]))))
        if draw(st.booleans()):
            conds.append(C("o", "in", draw(st.sets(st.sampled_from(["lo", "mid", "hi"]), min_size=1, max_size=2))))
        if draw(st.booleans()):
            conds.append(MofN(1, (C("x", ">", draw(st.floats(-2, 3).map(lambda v: round(v, 2)))),
                                  C("c", "==", draw(st.sampled_from(["r", "g", "b"]))))))
        rules.append(Rule(conds, draw(st.sampled_from(classes))))
    return RuleSet(rules, draw(st.sampled_from(classes)), classes=classes,
                   semantics=draw(st.sampled_from(["ordered", "unordered"])))


def majority_conclusions(rules, net, ds):
    """Give each rule (and the default) the class the network predicts most on its region: rules
    that are right or nearly right, so that proofs and rare counterexamples are both exercised."""
    frame = domain_sample(ds, net, 4000, np.random.default_rng(0))
    y = net.predict(frame)
    decided = rules.decide(frame) if rules.semantics == "ordered" else None
    M = rules.matches(frame)
    new = []
    for j, r in enumerate(rules.rules):
        mask = decided == j if decided is not None else M[:, j]
        vals, counts = np.unique(y[mask], return_counts=True)
        new.append(r.replace(conclusion=vals[counts.argmax()] if len(vals) else r.conclusion))
    vals, counts = np.unique(y[~M.any(axis=1)], return_counts=True)
    return rules.replace(rules=tuple(new), default=vals[counts.argmax()] if len(vals) else rules.default)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), rules=rule_sets())
def test_soundness_on_random_networks(seed, rules):
    """relu, sigmoid and tanh nets: certified regions hold on 100,000 random domain points (2 % of
    them moved onto each rule threshold and just above it); every counterexample is real."""
    ds = mixed_data(seed % 7)
    for act in ("relu", "sigmoid", "tanh"):
        net = random_net(ds, act, seed)
        rules = majority_conclusions(rules, net, ds)
        v = verify(rules, net, ds, max_seconds=4, random_state=seed)
        assert len(v.rules) == len(rules.rules) + 1
        assert set(v.statuses) <= {"certified", "counterexample", "unknown"}
        _check_sound(v, rules, net, ds, n=100_000)
        assert 0.0 <= v.certified_share <= 1.0 + 1e-12


def test_engines_directly_on_the_paper_network():
    """The MILP and the branch and bound, without the sampling filter in front of them."""
    from rulex.verification.bounds import branch_and_bound
    from rulex.verification.milp import relu_query
    from rulex.verification.spec import Spec
    net, ds = two_unit()
    dom = Domain(net.encoder)
    rules = paper_rules()
    boxes = [dom.boxes(r.conditions) for r in rules.rules]
    no, yes = Spec.for_class(net, 0), Spec.for_class(net, 1)
    found = []
    confirm = lambda X: (found.append(X), dom.decode(X))[1]
    # R2's region (b <= 0.5 minus R0 and R1) is all "yes"; R3's (b > 0.9 minus R0..R2) is not all "no"
    out = relu_query(net, yes, dom, boxes[2][0], boxes[0] + boxes[1], 1e9, delta=1e-6, confirm=confirm)
    assert out["status"] == "certified" and out["bound"] > 0
    out = relu_query(net, no, dom, boxes[3][0], boxes[0] + boxes[1] + boxes[2], 1e9, delta=1e-6, confirm=confirm)
    assert out["status"] == "counterexample"
    a, b = out["row"].iloc[0][["a", "b"]]
    assert 0.7 < a <= 0.9 and 0.9 <= b <= 2 * a - 0.7 + 1e-6
    # the same question on a sigmoid network, by branch and bound over the disjoint pieces
    sig = rulex.Network([rulex.Layer(net.layers[0].weights, net.layers[0].bias, "sigmoid"), net.layers[1]],
                        net.encoder, classes=net.classes)
    pieces = dom.subtract_all(boxes[0], [], 100)
    out = branch_and_bound(sig, Spec.for_class(sig, int(sig.predict_index(np.array([[1.0, 0.0]]))[0])), dom,
                           pieces, 1e18, np.random.default_rng(0), delta=1e-6, confirm=lambda X: None)
    assert out["status"] in ("certified", "unknown") and 0 <= out["certified"] <= 1


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), rules=rule_sets())
def test_native_m_of_n_milp_agrees_with_box_expansion(monkeypatch, seed, rules):
    """ReLU: m-of-n tests encoded in the MILP give the answers of their expansion into boxes."""
    import importlib
    api = importlib.import_module("rulex.verification.api")
    ds = mixed_data(seed % 7)
    net = random_net(ds, "relu", seed, hidden=(4,))
    rules = majority_conclusions(rules, net, ds)
    boxed = verify(rules, net, ds, max_seconds=10)
    with monkeypatch.context() as m:
        m.setattr(api, "EXPAND_BOXES", 0)
        native = verify(rules, net, ds, max_seconds=10)
    for a, b in zip(boxed.statuses, native.statuses):
        assert a == b or "unknown" in (a, b)
    _check_sound(native, rules, net, ds, n=20000)


def test_relu_answers_are_exact_on_random_networks():
    """For ReLU networks nothing stays unknown on tiny problems, and certified plus refuted cover all."""
    ds = mixed_data(3)
    for seed in range(4):
        net = random_net(ds, "relu", seed, hidden=(4, 3))
        rules = RuleSet([Rule([C("x", "<=", 0.5)], "p"), Rule([C("c", "==", "g")], "q")], "s",
                        classes=("p", "q", "s"))
        v = verify(rules, net, ds, max_seconds=20)
        assert "unknown" not in v.statuses
        _check_sound(v, rules, net, ds, n=20000)


# -- exact decompositional rule sets ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["xor", "monk1"])
@pytest.mark.parametrize("method", ["cred", "tsukimoto"])
def test_exact_decompositional_rules_are_fully_certified(name, method):
    from _helpers.nets import one_torch_thread
    ds = rulex.load_dataset(name)
    with one_torch_thread():
        net = rulex.train_network(ds, (4,), "relu", max_epochs=60, random_state=0)
    rules = rulex.extract(net, ds, method)
    v = verify(rules, net, ds, max_seconds=30)
    assert v.all_certified, v.rules
    assert v.certified_share == pytest.approx(1.0)


# -- regression and errors -----------------------------------------------------------------------------
def test_regression_range():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": np.r_[0.0, 1.0, rng.uniform(0, 1, 20)]})
    frame["y"] = 3 * frame.a
    ds = rulex.Dataset.from_frame(frame, target="y")
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    net = rulex.Network([rulex.Layer([[1.0]], [0.0], "relu"), rulex.Layer([[3.0]], [0.0], "identity")],
                        enc, task="regression")
    rules = RuleSet([Rule([C("a", "<=", 0.5)], 0.75)], 2.25, task="regression")
    v = verify(rules, net, ds, tolerance=0.8)       # a <= 0.5: y in [0, 1.5] within 0.75 +- 0.8
    assert v.statuses == ["certified", "certified"]
    v = verify(rules, net, ds, tolerance=0.5)
    assert v.statuses == ["counterexample", "counterexample"]
    assert abs(float(v.counterexamples["network_says"].iloc[0]) - 0.75) > 0.5


def test_errors_name_the_parameter():
    net, ds = two_unit()
    with pytest.raises(rulex.DataError, match="max_seconds"):
        verify(paper_rules(), net, ds, max_seconds=0)
    with pytest.raises(rulex.RuleError, match="RuleSet"):
        verify([Rule([], "yes")], net, ds)
    with pytest.raises(rulex.RuleError, match="not a class"):
        verify(RuleSet([Rule([C("a", ">", 0.5)], "maybe")], "no", classes=("no", "yes", "maybe")), net, ds)
    with pytest.raises(rulex.DataError, match="bounds"):
        verify(paper_rules(), net, ds, bounds={"zzz": (0, 1)})
    with pytest.raises(rulex.RuleError, match="not a feature"):
        verify(RuleSet([Rule([C("zzz", ">", 0.5)], "yes")], "no", classes=("no", "yes")), net, ds)


def test_user_bounds_change_the_domain():
    net, ds = two_unit()
    rules = RuleSet([Rule([C("b", "<=", 0.5)], "yes")], "no", classes=("no", "yes"))
    assert verify(rules, net, ds).statuses[0] == "counterexample"
    assert verify(rules, net, ds, bounds={"a": (0.65, 1.0)}).statuses[0] == "certified"


def test_inputs_are_not_modified():
    net, ds = two_unit()
    rules = paper_rules()
    before = (rules.to_dict(), net.fingerprint(), ds.frame.copy())
    verify(rules, net, ds, max_seconds=5)
    assert rules.to_dict() == before[0] and net.fingerprint() == before[1]
    pd.testing.assert_frame_equal(ds.frame, before[2])


def test_cli_verify(tmp_path, capsys):
    from rulex.cli import main
    net, ds = two_unit()
    net.save(tmp_path / "m.rulex")
    rulex.save_rules(paper_rules(), tmp_path / "r.json")
    ds.frame.to_csv(tmp_path / "d.csv", index=False)
    args = [str(tmp_path / "r.json"), str(tmp_path / "m.rulex"), str(tmp_path / "d.csv"), "--target", "y"]
    assert main(["verify", *args, "--max-seconds", "20"]) == 0
    out = capsys.readouterr().out
    assert "Domain certified: 20.25%" in out and out.count("counterexample:") == 3
    assert main(["verify", *args, "--json"]) == 0
    import json
    d = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in d["rules"]][:3] == ["certified", "counterexample", "certified"]
    assert main(["verify", *args, "--max-seconds", "0"]) == 1
    assert "max_seconds" in capsys.readouterr().err


# -- counterexample-guided refinement ---------------------------------------------------------------
def test_certify_refines_pedagogical_rules():
    from _helpers.nets import one_torch_thread
    ds = rulex.load_dataset("monk1")
    with one_torch_thread():
        net = rulex.train_network(ds, (4,), "relu", max_epochs=60, random_state=0)
    plain = rulex.extract(net, ds, "trepan")
    before = verify(plain, net, ds)
    rules = rulex.extract(net, ds, "trepan", certify=True, certify_seconds=30)
    rec = rules.provenance["certify"]
    rounds = rec["rounds"]
    assert rounds[0]["certified_share"] == pytest.approx(before.certified_share, abs=1e-6)
    assert rec["verified"] and 0 <= rec["returned_round"] < len(rounds) <= 6
    assert rec["certified_share"] == max(r["certified_share"] for r in rounds) >= before.certified_share
    best = max(rounds, key=lambda r: (r["certified_share"], r["certified"]))
    assert rec["returned_round"] == best["round"]
    after = verify(rules, net, ds)
    assert after.certified_share == pytest.approx(rec["certified_share"], abs=1e-6)
    assert [u["rule"] for u in rec["uncertified"]] == [r["rule"] for r in after.rules.to_dict("records")
                                                       if r["status"] != "certified"]
    assert rules.provenance["data_rows"] == len(ds)          # measured on the user's rows
    assert sum(r.support for r in rules.rules) <= len(ds)
    with pytest.raises(rulex.DataError, match="pedagogical"):
        rulex.extract(net, ds, "cred", certify=True)
    with pytest.raises(rulex.DataError, match="certify_seconds"):
        rulex.extract(net, ds, "trepan", certify=True, certify_seconds=0)


def test_budget_is_honoured():
    """A budget far too small for the rule set: the call returns, the regions it could not reach are
    unknown (never certified), and the seconds are recorded."""
    ds = mixed_data(2)
    net = random_net(ds, "relu", 1, hidden=(8, 8))
    rules = RuleSet([Rule([C("x", "<=", t)], "p") for t in np.linspace(-1.5, 2.5, 30)], "q", classes=("p", "q", "s"))
    v = verify(rules, net, ds, max_seconds=0.06)
    assert len(v.rules) == 31
    # regions never reached are unknown and unmeasured; a region the budget cut while it was being
    # decided is unknown too (never certified), whatever got measured of it
    unreached = v.rules[v.rules["region_share"].isna()]
    assert len(unreached) and (unreached["status"] == "unknown").all() and (unreached["note"] == "budget").all()
    cut = v.rules[v.rules["note"].str.startswith("budget")]
    assert (cut["status"] == "unknown").all()
    assert 0 <= v.certified_share <= 1


def test_verification_statuses_go_into_the_json_provenance_and_the_html_report():
    train, _ = rulex.load_dataset("iris").split(test_size=0.3, random_state=0)
    net = rulex.train_network(train, hidden_layer_sizes=(3,), activation="relu", random_state=0, max_epochs=20)
    rules = rulex.extract(net, train, method="surrogate_tree", max_leaf_nodes=3, random_state=0)
    res = verify(rules, net, train, max_seconds=20)
    annotated = res.annotate(rules)
    assert [r.provenance["verification"]["status"] for r in annotated.rules] == res.statuses[:-1]
    assert annotated.provenance["verification"]["default"] == res.statuses[-1]
    back = rulex.load_rules(rulex.export(annotated, "json"))
    assert back == annotated
    page = rulex.export(annotated, "html")
    assert "<th>verified</th>" in page and "domain proven (verify)" in page
    for status in set(res.statuses):
        assert f"<td>{status}</td>" in page
