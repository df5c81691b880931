"""Certified fidelity at a radius, the batched verifier under it, and short proven reasons.

Known answers come from hand-built networks whose decision boundary is derived on paper; soundness
from random relu, sigmoid and tanh networks whose certified boxes are sampled densely.
"""
from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from _helpers.engines import unavailable
from _helpers.exports import _chromium
from _helpers.verification import mixed_data, random_net

import rulex
from rulex.rules import Condition, Rule, RuleSet
from rulex.verification import sufficient_reason, verify
from rulex.verification.batch import BatchCrown, batch_margins
from rulex.verification.domain import Domain
from rulex.verification.radius import row_boxes


def line_net(weights=(1.0, 0.0, 0.0), act="relu"):
    """Inputs a, b, c in [0, 1] (identity encoding): says "yes" iff w . x > 0.5 (a hidden layer that is
    exact for the positive part of its input when the weights are non-negative)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({n: np.r_[0.0, 1.0, rng.uniform(0, 1, 58)] for n in "abc"})
    frame["y"] = np.where(frame.a > 0.5, "yes", "no")
    ds = rulex.Dataset.from_frame(frame, target="y")
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    w = np.asarray(weights, float)
    layers = [rulex.Layer([w, -w], [0.0, 0.0], act), rulex.Layer([[0, 0], [1, -1]], [0, -0.5], "softmax")]
    return rulex.Network(layers, enc, classes=ds.schema.classes), ds


def threshold_rules(t: float):
    return RuleSet([Rule([Condition("a", ">", t)], "yes")], "no", classes=("no", "yes"), target="y")


def rows(values):
    return pd.DataFrame({"a": values, "b": 0.5, "c": 0.5})


def test_rules_equal_to_the_network_are_certified_away_from_the_boundary():
    net, _ = line_net()
    v = verify(threshold_rules(0.5), net, rows([0.1, 0.3, 0.44, 0.56, 0.8, 0.99]), radius=0.05)
    assert list(v.rows["status"]) == ["certified"] * 6
    assert v.certified_fidelity == 1.0 == v.sampled_fidelity == v.sampled_upper_bound
    assert v.unknown_share == 0 and v.complete and v.counterexamples.empty
    assert list(v.rows["rule"]) == ["default", "default", "default", 1, 1, 1]


def test_a_shifted_threshold_is_refuted_exactly_where_the_box_reaches_the_gap():
    # the network says yes for a > 0.5, the rules for a > 0.45: they disagree on (0.45, 0.5]
    net, _ = line_net()
    values = [0.30, 0.42, 0.44, 0.47, 0.52, 0.56, 0.8]
    v = verify(threshold_rules(0.45), net, rows(values), radius=0.05)
    # boxes [x - .05, x + .05] meet (0.45, 0.5] for x in (0.40, 0.55)
    assert list(v.rows["status"]) == ["certified", "counterexample", "counterexample", "counterexample",
                                      "counterexample", "certified", "certified"]
    assert list(v.rows[v.rows.status == "counterexample"]["engine"]) == ["search", "search", "row", "search"]
    cex = v.counterexamples
    assert list(cex["row"]) == [1, 2, 3, 4]
    assert ((cex["a"] > 0.45) & (cex["a"] <= 0.5)).all()          # inside the gap, in original units
    for _, r in cex.iterrows():
        x = values[int(r["row"])]
        assert x - 0.05 <= r["a"] <= x + 0.05 and abs(r["b"] - 0.5) <= 0.05 + 1e-12 and abs(r["c"] - 0.5) <= 0.05 + 1e-12
    assert (net.predict(cex[["a", "b", "c"]]) != threshold_rules(0.45).predict(cex[["a", "b", "c"]])).all()
    assert v.certified_fidelity == pytest.approx(3 / 7)
    assert v.sampled_fidelity == pytest.approx(6 / 7)
    assert "On 42.9% of the 7 rows the rules give the network's answer for every value within 5%" in v.sentence()
    assert "radius" not in v.rules.columns and set(v.rules["rule"]) == {1, "default"}
    json_ = v.to_dict()
    assert json_["radius"] == 0.05 and json_["n_rows"] == 7 and json_["certified_fidelity"] == pytest.approx(3 / 7)


def test_boxes_clip_to_the_domain_and_keep_categories():
    ds = mixed_data(0)
    net = random_net(ds, "relu", 0)
    dom = Domain(net.encoder)
    frame = ds.frame[ds.schema.feature_names].head(5)
    roots, owner = row_boxes(dom, frame, 0.1)
    assert list(owner) == list(range(5)) and roots.num == ["x", "k"]
    span = dom.full["x"]
    w = 0.1 * (span.hi - span.lo)
    assert np.allclose(roots.lo[:, 0], np.maximum(span.lo, frame.x - w))
    assert np.allclose(roots.hi[:, 0], np.minimum(span.hi, frame.x + w))
    assert (roots.lo[:, 1] == np.ceil(roots.lo[:, 1])).all()         # integer spans hold integers
    freed, owner = row_boxes(dom, frame, 0.1, free=["c"])
    assert len(freed.rows) == 15 and sorted(set(freed.rows["c"])) == ["b", "g", "r"]
    assert (np.bincount(owner) == 3).all()


def _sample_box(lo, hi, integer, rng):
    """One uniform point in each box ``[lo[i], hi[i]]`` (integers rounded)."""
    v = lo + rng.uniform(size=lo.shape) * (hi - lo)
    return np.where(integer, np.round(v), v)


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh"])
def test_certified_boxes_hold_no_disagreeing_point(act):
    """Soundness: 100,000 random points spread over the certified boxes of each data set all agree;
    every counterexample really disagrees."""
    rng = np.random.default_rng(1)
    for seed in range(3):
        ds = mixed_data(seed)
        net = random_net(ds, act, seed, hidden=(6, 5) if seed == 2 else (4,))
        rules = rulex.extract(net, ds, method="surrogate_tree", random_state=0, max_leaf_nodes=6)
        data = ds.frame[ds.schema.feature_names]
        v = verify(rules, net, data, radius=0.1)
        assert v.complete
        roots, _ = row_boxes(Domain(net.encoder), data, 0.1)
        integer = np.array([ds.schema[n].kind == "integer" for n in roots.num])
        cert = np.flatnonzero(v.rows["status"] == "certified")
        assert len(cert) >= 10, (act, seed)
        per = -(-100_000 // len(cert))
        idx = np.repeat(cert, per)
        pts = data.iloc[idx].reset_index(drop=True)
        vals = _sample_box(roots.lo[idx], roots.hi[idx], integer, rng)
        for j, name in enumerate(roots.num):
            pts[name] = vals[:, j].astype(np.int64) if integer[j] else vals[:, j]
        bad = rules.predict(pts) != net.predict(pts)
        assert not bad.any(), (act, seed, idx[bad][:5])
        cex = v.counterexamples
        if len(cex):
            feats = cex[ds.schema.feature_names]
            assert (rules.predict(feats) != net.predict(feats)).all()
            assert (cex["rule_says"].to_numpy() == rules.predict(feats)).all()


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh"])
def test_batched_bounds_enclose_the_margins(act):
    ds = mixed_data(3)
    net = random_net(ds, act, 3, hidden=(7, 5))
    rng = np.random.default_rng(0)
    X = net.encoder.transform(ds.frame)
    xl, xu = X - rng.uniform(0, 0.2, X.shape), X + rng.uniform(0, 0.2, X.shape)
    C = np.array([[1.0, -1.0, 0.0], [1.0, 0.0, -1.0]])
    d = np.zeros(2)
    low, lam = BatchCrown(net, xl, xu).margin_lower(C, d)
    assert low.shape == (len(X), 2) and lam.shape == (len(X), 2, X.shape[1])
    for _ in range(20):
        P = xl + rng.uniform(size=X.shape) * (xu - xl)
        m = batch_margins(net, np.broadcast_to(C, (len(X), 2, 3)), np.zeros((len(X), 2)), P)
        assert (m >= low - 1e-9).all()


def test_the_same_rows_in_chunks_give_the_same_answer():
    ds = mixed_data(4)
    net = random_net(ds, "relu", 4)
    rules = rulex.extract(net, ds, method="surrogate_tree", random_state=0, max_leaf_nodes=5)
    data = ds.frame[ds.schema.feature_names]
    whole = verify(rules, net, data, radius=0.05)
    parts = [verify(rules, net, data.iloc[s:s + 20], radius=0.05).rows["status"] for s in (0, 20, 40)]
    assert list(whole.rows["status"]) == list(pd.concat(parts))
    again = verify(rules, net, data, radius=0.05)
    import rulex.verification.local as local    # more open nodes than one wave takes: none may be lost
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(local, "WAVE", 3)
        assert list(verify(rules, net, data, radius=0.05).rows["status"]) == list(whole.rows["status"])
    drop = (lambda recs: [{k: v for k, v in r.items() if k != "seconds"} for r in recs])
    assert drop(whole.to_dict()["rules"]) == drop(again.to_dict()["rules"])


def test_a_dask_frame_is_verified_partition_by_partition_on_process_workers():
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("dask.distributed")
    ds = mixed_data(5)
    net = random_net(ds, "relu", 5)
    rules = rulex.extract(net, ds, method="surrogate_tree", random_state=0, max_leaf_nodes=5)
    data = ds.frame[ds.schema.feature_names]
    local = verify(rules, net, data, radius=0.05)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl):
        v = verify(rules, net, dd.from_pandas(data, npartitions=3), radius=0.05)
        rep = rulex.evaluate(rules, net, dd.from_pandas(ds.frame, npartitions=3))
    assert list(v.rows["status"]) == list(local.rows["status"]) and list(v.rows["row"]) == list(range(len(data)))
    assert v.certified_fidelity == pytest.approx(local.certified_fidelity)
    assert rep.fidelity == pytest.approx(rulex.evaluate(rules, net, ds).fidelity)


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, float("nan"), True, "0.1"])
def test_a_bad_radius_is_refused_naming_it(bad):
    net, _ = line_net()
    with pytest.raises(rulex.DataError, match="radius"):
        verify(threshold_rules(0.5), net, rows([0.2]), radius=bad)
    with pytest.raises(rulex.DataError, match="radius"):
        sufficient_reason(net, rows([0.2]), radius=bad)


def test_bad_data_and_networks_are_refused_clearly():
    net, _ = line_net()
    with pytest.raises(rulex.DataError, match=r"lacks column\(s\) \['c'\]"):
        verify(threshold_rules(0.5), net, rows([0.2]).drop(columns="c"), radius=0.1)
    with pytest.raises(rulex.DataError, match="give the rows"):
        verify(threshold_rules(0.5), net, None, radius=0.1)
    with pytest.raises(rulex.DataError, match="missing value"):
        verify(threshold_rules(0.5), net, rows([0.2, np.nan]), radius=0.1)
    with pytest.raises(rulex.DataError, match="free names 'a', a numeric"):
        verify(threshold_rules(0.5), net, rows([0.2]), radius=0.1, free=["a"])
    with pytest.raises(rulex.DataError, match="max_nodes"):
        verify(threshold_rules(0.5), net, rows([0.2]), radius=0.1, max_nodes=0)
    odd = rulex.Network([rulex.Layer(np.eye(3), np.zeros(3), "softmax"), rulex.Layer(np.ones((2, 3)), np.zeros(2),
                                                                                      "softmax")],
                        net.encoder, classes=net.classes)
    with pytest.raises(rulex.NetworkError, match="not \\['softmax'\\]"):
        verify(threshold_rules(0.5), odd, rows([0.2]), radius=0.1)


def test_reasons_at_a_radius_are_short_and_proven():
    # the class depends on a only: far from the boundary nothing needs fixing, near it a does
    net, _ = line_net((1.0, 0.0, 0.0))
    far = sufficient_reason(net, rows([0.9]), radius=0.1)
    assert far.features == [] and far.proven and far.radius == 0.1
    near = sufficient_reason(net, rows([0.55]), radius=0.1)
    assert near.features == ["a"] and near.proven and near.values == {"a": 0.55}
    flip = near.counterexamples["a"]
    assert 0.45 <= flip["row"]["a"] <= 0.5 and flip["network_says"] == "no"
    assert "within 10% of the row's" in str(near)
    whole = sufficient_reason(net, rows([0.9]))
    assert whole.features == ["a"] and whole.radius is None        # over the whole domain a can flip
    # a and b both matter near the boundary of a + b > 0.5
    both = sufficient_reason(line_net((0.5, 0.5, 0.0))[0], pd.DataFrame({"a": [0.52], "b": [0.52], "c": [0.1]}),
                             radius=0.05)
    assert both.features == ["a", "b"] and both.proven


def test_explain_row_and_the_cli_take_the_radius(tmp_path, capsys):
    net, ds = line_net()
    ex = rulex.explain_row(net, ds, 0, prove=True, radius=0.1)
    assert ex.sufficient_reason.radius == 0.1
    with pytest.raises(rulex.DataError, match="prove=True"):
        rulex.explain_row(net, ds, 0, radius=0.1)
    from rulex.cli import main
    model, data, rules_path = tmp_path / "m.rulex", tmp_path / "d.csv", tmp_path / "r.json"
    net.save(model)
    ds.frame.to_csv(data, index=False)
    rulex.export(threshold_rules(0.45), "json", path=rules_path)
    code = main(["verify", str(rules_path), str(model), str(data), "--target", "y", "--radius", "0.05"])
    out = capsys.readouterr().out
    assert code == 0 and "certified fidelity" in out and "within 5% of the row's" in out
    assert main(["verify", str(rules_path), str(model), str(data), "--target", "y", "--radius", "0.05",
                 "--strict"]) == 3
    assert "--strict: not every row box is certified" in capsys.readouterr().err
    assert main(["verify", str(rules_path), str(model), str(data), "--target", "y", "--radius", "0"]) == 1
    assert "--radius must be in (0, 1]" in capsys.readouterr().err
    assert main(["explain", str(model), str(data), "--target", "y", "--row", "0", "--radius", "0.1"]) == 1
    assert "--radius bounds the proven reason: add --prove" in capsys.readouterr().err
    report = tmp_path / "report.html"
    assert main(["report", str(model), str(data), "--target", "y", "--method", "surrogate_tree", "--out",
                 str(report), "--radii", "0.02"]) == 0
    assert "within 2% of the row" in report.read_text(encoding="utf-8")
    assert main(["report", str(model), str(data), "--target", "y", "--method", "surrogate_tree", "--out",
                 str(report), "--radii", "2"]) == 1
    assert "--radii must be in (0, 1]" in capsys.readouterr().err


def test_certify_at_a_radius_returns_the_best_certified_round():
    ds = mixed_data(6)
    net = random_net(ds, "relu", 6)
    rules = rulex.extract(net, ds, method="surrogate_tree", random_state=0, certify=True, radius=0.05,
                          certify_rounds=3, certify_seconds=60, max_leaf_nodes=6)
    rec = rules.provenance["certify"]
    assert rec["radius"] == 0.05 and rec["verified"]
    rounds = rec["rounds"]
    top = max(r["sampled_fidelity"] for r in rounds)
    ok = [r for r in rounds if r["sampled_fidelity"] >= top - 0.01]
    assert rec["returned_round"] == max(ok, key=lambda r: (r["certified_share"], r["sampled_fidelity"],
                                                            -r["round"]))["round"]
    assert rec["certified_share"] == pytest.approx(verify(rules, net, ds, radius=0.05).certified_fidelity)
    with pytest.raises(rulex.DataError, match="certify=True"):
        rulex.extract(net, ds, method="surrogate_tree", radius=0.05)


def test_the_report_states_certified_fidelity_in_a_browser(tmp_path):
    net, ds = line_net()
    rules = threshold_rules(0.45)
    page = tmp_path / "report.html"
    rulex.export(rules, "html", path=page, network=net, dataset=ds, radii=(0.01, 0.05))
    html = page.read_text(encoding="utf-8")
    expected = [verify(rules, net, ds, radius=r).sentence() for r in (0.01, 0.05)]
    assert "<h2>Proven at a radius</h2>" in html and all(escape(e) in html for e in expected)
    assert "Proven at a radius" not in rulex.export(rules, "html", network=net, dataset=ds, radii=())
    browser = _chromium()
    if browser is None:
        unavailable("no chromium binary found (apt-get install -y chromium)")
    dom = subprocess.run([browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert all(e in dom for e in expected)


def test_reasons_at_a_radius_hold_categories_unless_freed():
    ds = mixed_data(7)
    net = random_net(ds, "relu", 7)
    row = ds.frame[ds.schema.feature_names].iloc[[0]]
    held = sufficient_reason(net, row, radius=0.2)
    assert held.held == ["c", "o"] and set(held.features) <= {"x", "k"} and held.proven
    assert "c, o as in the row" in str(held)
    freed = sufficient_reason(net, row, radius=0.2, free=["c"])
    assert freed.held == ["o"] and set(held.features) <= set(freed.features)
    for name, cex in freed.counterexamples.items():     # a kept feature's freeing really flips the class
        flip = pd.DataFrame([cex["row"]])
        assert net.predict(flip)[0] == cex["network_says"] != net.predict(row)[0]
    with pytest.raises(rulex.DataError, match="free names 'x', a numeric"):
        sufficient_reason(net, row, radius=0.2, free=["x"])


def test_a_counterexample_only_on_a_regions_closed_face_is_found():
    # classes ("pos", "zneg"): the network says pos iff a >= 0.3 (a tie at 0.3 goes to pos, the first class);
    # the rules say pos iff a > 0.3: they disagree at a = 0.3 only, on the default region's closed face
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": np.r_[0.0, 1.7, rng.uniform(0, 1.7, 30)]})
    frame["y"] = np.where(frame.a >= 0.3, "pos", "zneg")
    ds = rulex.Dataset.from_frame(frame, target="y")
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    t = (0.3 - 0.0) / 1.7                            # the threshold as the encoder writes it
    net = rulex.Network([rulex.Layer([[1.0], [-1.0]], [-t, t], "relu"),
                         rulex.Layer([[1.0, -1.0], [0.0, 0.0]], [0.0, 0.0], "softmax")], enc, classes=ds.schema.classes)
    assert list(net.predict(pd.DataFrame({"a": [0.29, 0.3, 0.31]}))) == ["zneg", "pos", "pos"]
    rules = RuleSet([Rule([Condition("a", ">", 0.3)], "pos")], "zneg", classes=("pos", "zneg"), target="y")
    v = verify(rules, net, ds, max_seconds=20)
    # rule 1 is right, but its margin tends to 0 towards its open face: not provable with a margin, unknown
    assert v.statuses == ["unknown", "counterexample"]
    assert v.counterexamples["a"].tolist() == [0.3] and v.counterexamples["network_says"].tolist() == ["pos"]


def test_rules_from_another_network_are_verified_with_a_warning(tmp_path, capsys):
    net, ds = line_net()
    other, _ = line_net((0.9, 0.1, 0.0))
    rules = threshold_rules(0.5).with_provenance(network_fingerprint=other.fingerprint())
    for radius in (None, 0.05):
        with pytest.warns(rulex.RulexWarning, match="extracted from network .* not from this one"):
            verify(rules, net, ds, radius=radius, max_seconds=20)
    from rulex.cli import main
    model, data, rules_path = tmp_path / "m.rulex", tmp_path / "d.csv", tmp_path / "r.json"
    net.save(model)
    ds.frame.to_csv(data, index=False)
    rulex.export(rules, "json", path=rules_path)
    code = main(["verify", str(rules_path), str(model), str(data), "--target", "y", "--max-seconds", "20", "--strict"])
    err = capsys.readouterr().err
    assert "not from this one" in err and code in (0, 3)
    assert (code == 3) == ("--strict: not every region is certified" in err)
