"""Fixtures of the pedagogical extractors' tests (the cube extractors' hand-built network)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def box_net():
    """Class "in" iff x0 > 5 and c == "a": a hand-built network on x0, x1 in [0, 10] (x1 irrelevant)
    and a colour c in {a, b, c}; inputs x0, x1 (scaled by 1/10), c=a, c=b, c=c.

    h0 = sigmoid(40 (x0 / 10 - 0.5)), on iff x0 > 5;  h1 = sigmoid(20 [c = a] - 10), on iff c == "a";
    class "in" over "out": 10 h0 + 10 h1 - 15 > 0, i.e. both on.
    """
    import torch
    from torch import nn

    import rulex
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"x0": rng.uniform(0, 10, n), "x1": rng.uniform(0, 10, n),
                          "c": rng.choice(["a", "b", "c"], n)})
    frame.loc[:1, "x0"], frame.loc[2:3, "x0"] = 0.0, 10.0            # pin the ranges
    frame.loc[:1, "x1"], frame.loc[2:3, "x1"] = 0.0, 10.0
    frame["y"] = np.where((frame.x0 > 5) & (frame.c == "a"), "in", "out")
    ds = rulex.Dataset.from_frame(frame, target="y", categorical=["c"])
    enc = rulex.Encoder(ds.schema).fit(ds.frame)
    assert enc.input_names_ == ["x0", "x1", "c=a", "c=b", "c=c"]
    module = nn.Sequential(nn.Linear(5, 2), nn.Sigmoid(), nn.Linear(2, 2))
    with torch.no_grad():
        module[0].weight.copy_(torch.tensor([[40.0, 0, 0, 0, 0], [0, 0, 20.0, 0, 0]]))
        module[0].bias.copy_(torch.tensor([-20.0, -10.0]))
        module[2].weight.copy_(torch.tensor([[0.0, 0.0], [-10.0, -10.0]]))   # classes sorted: "in", "out"
        module[2].bias.copy_(torch.tensor([0.0, 15.0]))
    net = rulex.Network.from_torch(module, ds)
    assert net.classes == ("in", "out")
    assert (net.predict(ds.frame) == ds.y.to_numpy()).mean() > 0.99
    train, test = ds.subset(np.arange(400)), ds.subset(np.arange(400, n))
    return net, train, test
