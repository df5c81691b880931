"""Tsukimoto, KT and N-of-M on a two-hidden-layer network: a bounded reading, never an empty one, with
how every unit was read and its agreement with the unit on the training rows in the provenance.

Known answer: ECLAIRE's XOR (inputs uniform on [0, 1], class round(x0) XOR round(x1)) on four inputs.
The concept is two cuts at 0.5, the literals every method offers on these inputs (Tsukimoto's default
cut is 0.5; KT and N-of-M cut at the training median, within a few hundredths of it), and the network
learns it to >= 0.95; a reading that keeps the concept agrees with the network wherever the network is
right, so its fidelity is at least the network's accuracy less the points the cuts misplace. 0.85 is
the floor issue #26 sets for 64-32-16 networks; this network is smaller and must reach it too.
"""
import warnings

import numpy as np
import pandas as pd
import pytest

import rulex

FLOOR = 0.85
METHODS = ["tsukimoto", "kt", "nofm"]


def _xor(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 4))
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2", "x3"])
    frame["y"] = np.round(X[:, 0]).astype(int) ^ np.round(X[:, 1]).astype(int)
    return rulex.Dataset.from_frame(frame, target="y", numeric=["x0", "x1", "x2", "x3"])


@pytest.fixture(scope="module")
def deep_xor():
    train, test = _xor(400, 0), _xor(400, 1)
    net = rulex.train_network(train, (12, 8), "tanh", max_epochs=300, random_state=0)
    assert (net.predict(test.frame) == test.y.to_numpy()).mean() >= 0.95
    return net, train, test


def _extract(net, train, method, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rulex.extract(net, train, method=method, **kw)


@pytest.mark.parametrize("method", METHODS)
def test_a_deep_network_gives_a_faithful_reading_with_every_unit_accounted_for(deep_xor, method):
    net, train, test = deep_xor
    rules = _extract(net, train, method)
    assert len(rules) > 0
    assert rulex.evaluate(rules, net, test).fidelity >= FLOOR
    prov = rules.provenance
    readings = prov["unit_readings"]
    units = {k.split()[0] for k in readings if k.startswith("h")}
    # every hidden unit of both layers was read (on, off or both) and so was the output decision
    assert units == {f"h{l}_{j}" for l, n in ((1, 12), (2, 8)) for j in range(n)}
    assert any(k.startswith("class 1 over 0") or k.startswith("class 0 over 1") for k in readings)
    for name, r in readings.items():
        assert 0.0 <= r["agreement"] <= 1.0 and isinstance(r["read"], str) and r["read"]
    approx = set(prov["units_approximated"])
    assert approx == {k for k, r in readings.items() if r["bounded"] or r["agreement"] < 1.0}
    assert approx, "a graded tanh network over continuous inputs is never read exactly"


@pytest.mark.parametrize("method", ["tsukimoto", "kt"])
def test_the_strict_data_limited_reading_is_exact_on_the_training_rows_it_covers(deep_xor, method):
    """With ``tolerance=0`` both readings keep a term only when every training row its input-level rules
    cover turns the unit on: the class rules then never contradict the network on a training row, and
    their fidelity on the training rows is the composed agreement of the output decision."""
    net, train, _ = deep_xor
    rules = _extract(net, train, method, tolerance=0.0, **({"worst_case": "data"} if method == "kt" else {}))
    frame, y = train.frame, net.predict(train.frame)
    decided = rules.decide(frame) >= 0
    assert decided.any()
    assert (rules.predict(frame)[decided] == y[decided]).all()
    decision = [r for k, r in rules.provenance["unit_readings"].items() if k.startswith("class")]
    assert len(decision) == 1
    fid = float(np.mean(rules.predict(frame) == y))
    assert fid == pytest.approx(decision[0]["composed_agreement"], abs=1e-6)


def test_a_small_work_budget_cuts_units_and_still_returns_rules(deep_xor):
    net, train, test = deep_xor
    rules = _extract(net, train, "tsukimoto", max_steps=20_000)
    cut = [k for k, r in rules.provenance["unit_readings"].items() if "cut by its work share" in r["read"]]
    assert cut and set(cut) <= set(rules.provenance["units_approximated"])
    assert all(rules.provenance["unit_readings"][k]["bounded"] for k in cut)
    assert len(rules) > 0
    again = _extract(net, train, "tsukimoto", max_steps=20_000)
    assert again.rules == rules.rules          # same work budget, same rules


def test_kt_box_only_is_fus_reading_and_auto_reads_on_the_data_where_the_box_misses(deep_xor):
    """``worst_case="box"`` is Fu's test alone; ``auto`` reads on the data only units whose box reading
    disagrees with the unit on a training row (no set, or sets that miss rows), and is then at least as
    faithful on the training rows."""
    net, train, _ = deep_xor
    box = _extract(net, train, "kt", worst_case="box")
    auto = _extract(net, train, "kt")
    r_box, r_auto = box.provenance["unit_readings"], auto.provenance["unit_readings"]
    assert all(r["read"].startswith("whole-box") for r in r_box.values())
    data_read = {k for k, r in r_auto.items() if r["read"].startswith("data-limited")}
    assert data_read
    assert all(r_box[k]["read"].startswith("whole-box") for k in data_read & set(r_box))
    assert all(r_box[k]["agreement"] < 1.0 for k in data_read & set(r_box))
    fid = {name: rulex.evaluate(rs, net, train).fidelity for name, rs in (("box", box), ("auto", auto))}
    assert fid["auto"] >= fid["box"]
