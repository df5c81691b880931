"""benchmarks/peers/psyke.py without PSyKE: the numpy forward, the skip path, the verdict."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rulex
from _helpers.benchload import load_script

peer = load_script("peers/psyke.py", "peers_psyke")        # not "psyke": that is PSyKE's package name


@pytest.fixture(scope="module")
def iris_net():
    ds = rulex.load_dataset("iris")
    return rulex.train_network(ds, (4,), "sigmoid", max_epochs=30, random_state=0), ds


def test_numpy_forward_reproduces_rulex(iris_net, tmp_path):
    net, ds = iris_net
    X = net.encoder.transform(ds.frame)
    rebuilt = peer.numpy_net(net)
    assert list(rebuilt.predict(X)) == [str(c) for c in net.predict(ds.frame)]
    assert np.array_equal(rebuilt.predict_index(X), net.predict_index(ds.frame))
    # what the worker reads back from the .npz is the same network
    facts = peer.dump_cell(tmp_path / "cell.npz", net, ds, ds, seed=0, max_train_rows=40)
    assert facts["train_rows"] == 40 and facts["test_rows"] == len(ds.frame)
    back, data, seed = peer.worker.load_cell(str(tmp_path / "cell.npz"))
    assert seed == 0 and list(data["train_df"].columns[-1:]) == ["y"]
    assert np.array_equal(back.predict(data["test_df"]), data["y_net_test"])
    assert np.array_equal(back.predict(data["train_df"].iloc[:, :-1]), data["y_net_train"])


def test_numpy_forward_one_unit_output():
    """A binary network with one sigmoid output reads it as [1 - p, p], as rulex does."""
    rng = np.random.default_rng(0)
    layers = [rulex.Layer(rng.normal(size=(3, 2)), rng.normal(size=3), "tanh"),
              rulex.Layer(rng.normal(size=(1, 3)), [0.1], "sigmoid")]
    frame = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50), "y": ["no", "yes"] * 25})
    ds = rulex.Dataset.from_frame(frame, target="y")
    net = rulex.Network(layers, rulex.Encoder(ds.schema).fit(ds.frame), classes=ds.schema.classes)
    X = net.encoder.transform(ds.frame)
    assert list(peer.numpy_net(net).predict(X)) == [str(c) for c in net.predict_encoded(X)]


def test_skip_when_the_venv_cannot_be_made(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = peer.main(["--datasets", "iris", "--venv", str(blocker / "venv"), "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "PSyKE could not be installed:" in out and "skipping the peer comparison" in out
    assert not (tmp_path / "out").exists()


def test_skip_when_pip_cannot_install(tmp_path, monkeypatch, capsys):
    """An install that fails (here: pip told to use no index) is reported, not raised."""
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        ok = "venv" in cmd[:3]                      # creating the venv works, pip does not
        return type("R", (), {"returncode": 0 if ok else 1, "stdout": "",
                              "stderr": "" if ok else "ERROR: No matching distribution found for psyke==1.0.4"})()

    monkeypatch.setattr(peer.subprocess, "run", fake_run)
    code = peer.main(["--datasets", "iris", "--venv", str(tmp_path / "venv"), "--pip-option=--no-index",
                      "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0
    assert "PSyKE could not be installed: pip install psyke==1.0.4" in out
    assert "No matching distribution" in out and "skipping the peer comparison" in out
    assert any("--no-index" in c for c in calls)
    assert not (tmp_path / "out").exists()


def _table(rows):
    cols = ["data", "seed", "fold", "side", "method", "status", "fidelity", "rules"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("accuracy", "coverage", "conditions", "seconds"):
        df[c] = 0.0
    return df


def test_verdict_dominates_and_falls_short():
    df = _table([
        # d1: rulex's small method matches PSyKE's best at fewer rules -> dominates
        ("d1", 0, 0, "rulex", "big", "ok", 0.99, 20), ("d1", 1, 0, "rulex", "big", "ok", 0.97, 22),
        ("d1", 0, 0, "rulex", "small", "ok", 0.96, 3), ("d1", 1, 0, "rulex", "small", "ok", 0.96, 3),
        ("d1", 0, 0, "psyke", "cart-5", "ok", 0.96, 4), ("d1", 1, 0, "psyke", "cart-5", "ok", 0.96, 4),
        # a PSyKE extractor that timed out on one cell cannot be best, whatever its mean
        ("d1", 0, 0, "psyke", "iter", "ok", 1.00, 2), ("d1", 1, 0, "psyke", "iter", "timeout", None, None),
        # d2: rulex more faithful but only with more rules -> no (size)
        ("d2", 0, 0, "rulex", "big", "ok", 0.95, 30), ("d2", 0, 0, "rulex", "small", "ok", 0.80, 2),
        ("d2", 0, 0, "psyke", "cart-10", "ok", 0.90, 9),
        # d3: PSyKE more faithful -> no
        ("d3", 0, 0, "rulex", "a", "ok", 0.85, 5), ("d3", 0, 0, "psyke", "gridex", "ok", 0.90, 8),
        # d4: equal fidelity, ties broken by fewer rules; equal rules count as "no more"
        ("d4", 0, 0, "rulex", "a", "ok", 0.90, 6), ("d4", 0, 0, "rulex", "b", "ok", 0.90, 5),
        ("d4", 0, 0, "psyke", "p", "ok", 0.90, 5),
    ])
    s = peer.summarize(df)
    v1 = peer.verdict(s, "d1")
    assert v1["rulex_best"]["method"] == "big" and v1["psyke_best"]["method"] == "cart-5"
    assert v1["fidelity_ge"] and v1["dominates"] and v1["dominating"] == ["small"]
    assert peer.verdict_text(v1) == "**yes**: small"
    v2 = peer.verdict(s, "d2")
    assert v2["fidelity_ge"] and not v2["dominates"]
    assert v2["rulex_at_size"]["method"] == "small" and v2["rulex_smallest_as_good"]["method"] == "big"
    assert peer.verdict_text(v2).startswith("**no**: at ≤ 9.0 rules rulex's best is small (0.8000, 2.0 rules")
    v3 = peer.verdict(s, "d3")
    assert not v3["fidelity_ge"] and not v3["dominates"] and v3["rulex_smallest_as_good"] is None
    assert peer.verdict_text(v3).endswith("rulex's best is -0.0500 in fidelity")
    v4 = peer.verdict(s, "d4")
    assert v4["rulex_best"]["method"] == "b" and v4["dominates"] and v4["dominating"] == ["b"]


def test_reports_merge_per_data_set(tmp_path):
    rows = _table([("d1", 0, 0, "rulex", "a", "ok", 0.9, 3), ("d1", 0, 0, "psyke", "p", "ok", 0.8, 3)])
    rows["error"] = ""
    for c in ("psyke_n_rules", "train_rows", "test_rows", "inputs", "network_accuracy"):
        rows[c] = 1
    peer.write_reports(rows, {"d1": {"command": "x", "wall_seconds": 1.0}}, tmp_path)
    again = rows.assign(data="d2")
    df, meta = peer.merge(again, {"d2": {"command": "y", "wall_seconds": 2.0}}, tmp_path)
    assert sorted(df["data"].unique()) == ["d1", "d2"] and set(meta) == {"d1", "d2"}
    df2, _ = peer.merge(rows.assign(fidelity=0.5), {"d1": {"command": "z", "wall_seconds": 1.0}}, tmp_path)
    assert len(df2) == 2 and (df2["fidelity"] == 0.5).all()             # a rerun replaces its data set's rows
    md = peer.write_reports(df, meta, tmp_path).read_text()
    assert "| d1 | 1 | a (0.9000, 3.0 rules) | p (0.8000, 3.0 rules, 0.0 conditions) | yes | **yes**: a | a |" in md
    assert peer.main(["--report-only", "--out", str(tmp_path)]) == 0         # regenerates from the files
    assert (tmp_path / "peers_psyke.md").read_text() == md


def test_psyke_size_plans_only_where_rulex_has_more_rules_and_the_table_shows_it():
    sized = load_script("peers/psyke_size.py", "peers_psyke_size")
    df = _table([
        # creepy: more faithful with more rules than PSyKE's best CReEPy/CREAM -> rerun at its size per cell
        ("d", 0, 0, "rulex", "creepy", "ok", 0.98, 3), ("d", 1, 0, "rulex", "creepy", "ok", 0.96, 3),
        ("d", 0, 0, "psyke", "cream-2", "ok", 0.90, 2), ("d", 1, 0, "psyke", "cream-2", "ok", 0.92, 1),
        ("d", 0, 0, "psyke", "creepy-2", "ok", 0.80, 1), ("d", 1, 0, "psyke", "creepy-2", "ok", 0.80, 1),
        # gridex: already no more rules -> no second setting
        ("d", 0, 0, "rulex", "gridex", "ok", 0.95, 2), ("d", 1, 0, "rulex", "gridex", "ok", 0.95, 2),
        ("d", 0, 0, "psyke", "gridex-2x3", "ok", 0.97, 3), ("d", 1, 0, "psyke", "gridex-2x3", "ok", 0.97, 3),
    ])
    assert sized.plan(df, "d") == [("creepy", "cream-2", {(0, 0): 2, (1, 0): 1})]
    df = pd.concat([df, _table([("d", 0, 0, "rulex", "creepy@psyke-size", "ok", 0.93, 2),
                                ("d", 1, 0, "rulex", "creepy@psyke-size", "ok", 0.91, 1)])], ignore_index=True)
    lines = peer.family_lines(peer.summarize(df), ["d"])
    row = next(line for line in lines if line.startswith("| d | CReEPy"))
    assert "creepy@psyke-size: 0.9200, 1.5 rules" in row and row.endswith("| yes (at PSyKE's size) |")
    grid = next(line for line in lines if line.startswith("| d | GridEx"))
    assert grid.endswith("|  | gridex-2x3: 0.9700, 3.0 rules | no |")
