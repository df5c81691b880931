"""``rulex audit`` and ``rulex diff``, and the audit section of the HTML report."""
from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.neural_network import MLPClassifier

import rulex
from rulex.cli import main


def run(capsys, *argv):
    """``main(argv)`` in process (no argparse usage errors here): exit code, stdout, stderr."""
    code = main([str(a) for a in argv])
    return (code, *capsys.readouterr())


def one_error_line(code, err, needle):
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("rulex: error:") and needle in lines[0], err


@functools.lru_cache(maxsize=None)
def frame():
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"income": rng.uniform(0, 100, n).round(2), "debt": rng.uniform(0, 1, n).round(3),
                       "sex": rng.choice(["f", "m"], n)})
    df["y"] = np.where(((df.income > 50) & (df.debt < 0.6)) | ((df.sex == "m") & (df.income > 30)), "yes", "no")
    return df


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("audit")
    df = frame()
    df.to_csv(d / "credit.csv", index=False)
    ds = rulex.Dataset.from_frame(df, "y")
    enc = rulex.Encoder(ds.schema).fit(df)
    for seed in (0, 1):
        mlp = MLPClassifier((6,), activation="relu", max_iter=400, random_state=seed, learning_rate_init=0.01)
        rulex.Network.from_sklearn(mlp.fit(enc.transform(df), ds.y), enc).save(d / f"m{seed}.rulex")
    other = df.drop(columns=["debt"])
    ds2 = rulex.Dataset.from_frame(other, "y")
    enc2 = rulex.Encoder(ds2.schema).fit(other)
    mlp = MLPClassifier((3,), max_iter=50, random_state=0).fit(enc2.transform(other), ds2.y)
    rulex.Network.from_sklearn(mlp, enc2).save(d / "other.rulex")
    return d


def test_audit_writes_json_html_and_markdown(capsys, files):
    net = rulex.load_network(files / "m0.rulex")
    code, out, err = run(capsys, "audit", files / "m0.rulex", files / "credit.csv", "--protected", "sex",
                         "--monotone", "income:+,debt:-", "--max-seconds", "5", "--out", files / "a.json")
    assert code == 0, err
    assert "protected sex: depends" in out
    res = rulex.Audit.from_json((files / "a.json").read_text())
    assert res.protected[0]["status"] == "depends" and res.counterexamples
    for c in res.counterexamples:
        assert net.predict(pd.DataFrame([c["x"]]))[0] != net.predict(pd.DataFrame([c["x_prime"]]))[0]
    for suffix, needle in ((".html", "<h2>Audit</h2>"), (".md", "## Protected attributes")):
        code, out, err = run(capsys, "audit", files / "m0.rulex", files / "credit.csv", "--protected", "sex",
                             "--max-seconds", "3", "--radius", "0.05", "--out", files / f"a{suffix}")
        assert code == 0, err
        text = (files / f"a{suffix}").read_text()
        assert needle in text and "radius" in text


def test_diff_writes_a_page(capsys, files):
    code, out, err = run(capsys, "diff", files / "m0.rulex", files / "m1.rulex", files / "credit.csv",
                         "--max-seconds", "5", "--out", files / "d.html")
    assert code == 0, err
    a, b = rulex.load_network(files / "m0.rulex"), rulex.load_network(files / "m1.rulex")
    rate = float(np.mean(a.predict(frame()) != b.predict(frame())))
    assert f"disagreement {rate:.4f}" in out
    page = (files / "d.html").read_text()
    assert "Where they disagree" in page and f"{rate:.4f}" in page
    code, out, err = run(capsys, "diff", files / "m0.rulex", files / "m0.rulex", files / "credit.csv", "--json")
    assert code == 0 and json.loads(out)["status"] == "proven equal"


@pytest.mark.parametrize("argv, needle", [
    (("--protected", "gender"), "gender"),
    (("--monotone", "income:up"), "income:up"),
    (("--monotone", "salary:+"), "salary"),
    (("--protected", "sex", "--radius", "0"), "radius"),
    (("--protected", "sex", "--radius", "1.5"), "radius"),
    (("--protected", "sex", "--out", "a.pdf"), "--out"),
    ((), "--protected"),
])
def test_audit_bad_input_is_one_line(capsys, files, argv, needle):
    code, out, err = run(capsys, "audit", files / "m0.rulex", files / "credit.csv", *argv)
    one_error_line(code, err, needle)


def test_diff_of_different_schemas_is_one_line(capsys, files):
    code, out, err = run(capsys, "diff", files / "m0.rulex", files / "other.rulex", files / "credit.csv")
    one_error_line(code, err, "'debt'")


def test_report_gains_an_audit_section(files):
    net = rulex.load_network(files / "m0.rulex")
    ds = rulex.Dataset.from_frame(frame(), "y")
    rules = rulex.extract(net, ds, method="surrogate_tree")
    res = rulex.audit(net, ds, protected=["sex"], monotone={"income": "increasing"}, max_seconds=3)
    page = rulex.export(rules, "html", network=net, dataset=ds, audit=res.to_dict())
    assert "<h2>Audit</h2>" in page and "Monotonicity" in page and "Where changing <code>sex</code>" in page
    assert "<h2>Audit</h2>" not in rulex.export(rules, "html", network=net, dataset=ds)


def test_report_gains_the_audit_section_when_given_the_options(capsys, files):
    for suffix, needle in ((".html", "<h2>Audit</h2>"), (".md", "## Audit")):
        out = files / f"report{suffix}"
        code, _, err = run(capsys, "report", files / "m0.rulex", files / "credit.csv", "--method", "surrogate_tree",
                           "--protected", "sex", "--monotone", "income:+", "--audit-seconds", "5", "--radii", "none",
                           "--out", out)
        assert code == 0, err
        text = out.read_text()
        assert needle in text and "sex" in text and "income" in text
    code, _, err = run(capsys, "report", files / "m0.rulex", files / "credit.csv", "--method", "surrogate_tree",
                       "--out", files / "plain.html", "--radii", "none")
    assert code == 0 and "<h2>Audit</h2>" not in (files / "plain.html").read_text()
    code, _, err = run(capsys, "report", files / "m0.rulex", files / "credit.csv", "--method", "surrogate_tree",
                       "--monotone", "income:up", "--out", files / "bad.html")
    one_error_line(code, err, "--monotone 'income:up'")
