"""Networks whose answer is derived on paper, random tiny networks and uniform samples of their
domain: shared by the verifier tests (``verify``, sufficient reasons)."""
from __future__ import annotations

import numpy as np
import pandas as pd

import rulex


# -- a hand-built two-unit ReLU network --------------------------------------------------------
def two_unit():
    """Inputs a, b in [0, 1] (the training frame holds 0 and 1, so the encoding is the identity).

    h1 = relu(a - 0.5), h2 = relu(b - 0.5); logits z_no = 0, z_yes = 2 h1 - h2 - 0.2 (ties go to "no").
    On paper:
      a <= 0.5            : h1 = 0, z_yes = -h2 - 0.2 < 0                -> no
      a > 0.5, b <= 0.5   : z_yes = 2a - 1.2 > 0  iff a > 0.6
      a > 0.5, b > 0.5    : z_yes = 2a - b - 0.7 > 0  iff b < 2a - 0.7
    so the network says yes iff a > 0.6 and (b <= 0.5 or b < 2a - 0.7).
    """
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": np.r_[0.0, 1.0, rng.uniform(0, 1, 38)], "b": np.r_[0.0, 1.0, rng.uniform(0, 1, 38)]})
    frame["y"] = np.where(frame.a > frame.b, "yes", "no")
    ds = rulex.Dataset.from_frame(frame, target="y")
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    layers = [rulex.Layer([[1, 0], [0, 1]], [-0.5, -0.5], "relu"),
              rulex.Layer([[0, 0], [2, -1]], [0, -0.2], "softmax")]
    return rulex.Network(layers, enc, classes=ds.schema.classes), ds


# -- random tiny networks and samples of their domain ------------------------------------------
def mixed_data(seed: int):
    """60 rows: numeric x, integer k, categorical c, ordinal o; three classes."""
    rng = np.random.default_rng(seed)
    n = 60
    frame = pd.DataFrame({"x": rng.uniform(-2, 3, n), "k": rng.integers(0, 6, n).astype("int64"),
                          "c": rng.choice(["r", "g", "b"], n), "o": rng.choice(["lo", "mid", "hi"], n),
                          "y": rng.choice(["p", "q", "s"], n)})
    return rulex.Dataset.from_frame(frame, target="y", integer=["k"], ordinal={"o": ["lo", "mid", "hi"]})


def random_net(ds, act, seed, hidden=(3,)):
    rng = np.random.default_rng(seed)
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    sizes = [enc.n_inputs, *hidden, len(ds.schema.classes)]
    layers = [rulex.Layer(rng.normal(scale=1.5, size=(o, i)), rng.normal(scale=0.5, size=o),
                          act if j < len(hidden) else "softmax")
              for j, (i, o) in enumerate(zip(sizes, sizes[1:]))]
    return rulex.Network(layers, enc, classes=ds.schema.classes)


def domain_sample(ds, net, n, rng, thresholds=()):
    """Uniform rows of the domain in original units, some put exactly on rule thresholds."""
    enc = net.encoder
    data = {}
    for f in ds.schema.features:
        if f.kind == "numeric":
            data[f.name] = rng.uniform(enc.lower_[f.name], enc.upper_[f.name], n)
        elif f.kind == "integer":
            data[f.name] = rng.integers(int(enc.lower_[f.name]), int(enc.upper_[f.name]) + 1, n)
        else:
            data[f.name] = rng.choice(np.array(f.categories, dtype=object), n)
    frame = pd.DataFrame(data)
    for i, (name, t) in enumerate(thresholds):
        lo, hi = enc.lower_[name], enc.upper_[name]
        rows = rng.choice(n, size=max(n // 50, 1), replace=False)
        for v in (t, np.nextafter(t, np.inf)):
            if lo <= v <= hi and (ds.schema[name].kind == "numeric" or float(v).is_integer()):
                frame.loc[rows, name] = v
                rows = rng.choice(n, size=max(n // 50, 1), replace=False)
    return frame
