"""GridEx's cuts chosen within the cells of the cuts already chosen, and the bound refinement of the
kept cubes (CReEPy's default): hand-made problems whose answer is known."""
import numpy as np
import pandas as pd
import pytest
from _helpers.nets import _oracle

import rulex
from rulex.extractors.pedagogical._cube_oracle import best_cuts, relevant
from rulex.extractors.pedagogical._gridcuts import grid_cuts
from rulex.extractors.pedagogical._cube_refine import refine


@pytest.fixture(scope="module")
def twin_net():
    """Class "in" iff x0 > 0.5 and x2 > 0.2, x0, x2 uniform on [0, 1]; x1 is x0 plus a little noise
    (a near copy of x0), so x1's best cut alone gains almost as much as x0's but nothing once x0 is
    cut, while x2's cut gains little alone and everything within x0's right half."""
    import torch
    from torch import nn
    rng = np.random.default_rng(0)
    n = 600
    x0, x2 = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    x1 = np.clip(x0 + rng.normal(0, 0.02, n), 0, 1)
    frame = pd.DataFrame({"x0": x0, "x1": x1, "x2": x2})
    frame.iloc[0, :], frame.iloc[1, :] = 0.0, 1.0                  # pin the ranges: encoded = raw
    frame["y"] = np.where((frame.x0 > 0.5) & (frame.x2 > 0.2), "in", "out")
    ds = rulex.Dataset.from_frame(frame, target="y")
    module = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 2))
    with torch.no_grad():
        module[0].weight.copy_(torch.tensor([[60.0, 0, 0], [0, 0, 60.0]]))
        module[0].bias.copy_(torch.tensor([-30.0, -12.0]))
        module[2].weight.copy_(torch.tensor([[0.0, 0.0], [-10.0, -10.0]]))   # classes sorted: "in", "out"
        module[2].bias.copy_(torch.tensor([0.0, 15.0]))
    net = rulex.Network.from_torch(module, ds)
    assert (net.predict(ds.frame) == ds.y.to_numpy()).mean() > 0.98
    return net, ds


def test_grid_cuts_pass_over_a_near_copy_of_the_first_feature(twin_net):
    net, ds = twin_net
    oracle = _oracle(net, ds)
    root = oracle.root()
    # the marginal ranking takes the near copy x1 second; the cuts within cells take x2
    assert [f for _, f, _ in relevant(best_cuts(oracle, root, oracle.X, oracle.y), 2)] == [0, 1]
    cuts = grid_cuts(oracle, root, oracle.X, oracle.y, 2)
    assert [f for _, f, _ in cuts] == [0, 2]
    assert abs(cuts[0][2][1] - 0.5) < 0.05 and abs(cuts[1][2][1] - 0.2) < 0.05
    # a third cut would only split noise: none is added
    assert len(grid_cuts(oracle, root, oracle.X, oracle.y, 3)) == 2
    rules = rulex.extract(net, ds, method="gridex", n_features=2, depth=1, random_state=0)
    assert {c.feature for c in (c for r in rules.rules for c in r.conditions)} <= {"x0", "x2"}
    assert rulex.evaluate(rules, net, ds).fidelity >= 0.97


def test_refine_moves_a_tight_bound_drops_a_needless_one_and_a_category(box_net):
    net, train, _ = box_net
    oracle = _oracle(net, train)
    in_, out = net.classes.index("in"), net.classes.index("out")
    tight = oracle.root()
    tight.lo[0] = 0.7                          # x0 > 7: the network's boundary is x0 > 5
    tight.hi[1] = 0.6                          # x1 <= 6: x1 is irrelevant
    tight.allowed[2] = frozenset([0, 1])       # c in {a, b}: only "a" is "in"
    (cube, o, n), = refine(oracle, [(tight, in_, 0)], out)[0]
    assert o == in_ and abs(cube.lo[0] - 0.5) < 0.03
    assert cube.hi[1] == np.inf and cube.allowed[2] == frozenset([0])
    assert n == int(oracle.contains(cube, oracle.X).sum())
    # the refined list agrees with the network on every training row; the default is re-chosen
    kept, default = refine(oracle, [(tight, in_, 0)], in_)
    assert default == out
    pred = np.where(oracle.contains(kept[0][0], oracle.X), in_, out)
    assert (pred == oracle.y).mean() >= 0.99
    # an exact cube is left as it is
    exact = cube.copy()
    assert refine(oracle, [(exact, in_, 0)], out)[0][0][0].key() == exact.key()


def test_creepy_refine_is_a_validated_parameter(box_net):
    net, train, test = box_net
    with pytest.raises(ValueError, match="refine"):
        rulex.extract(net, train, method="creepy", refine="yes")
    with pytest.raises(ValueError, match="augment"):
        rulex.extract(net, train, method="gridex", augment=-1.0)
    with pytest.raises(ValueError, match="refine"):
        rulex.extract(net, train, method="gridex", refine="sometimes")
    plain = rulex.extract(net, train, method="creepy", refine=False, random_state=0, max_rules=1)
    refined = rulex.extract(net, train, method="creepy", refine=True, random_state=0, max_rules=1)
    assert rulex.evaluate(refined, net, test).fidelity >= rulex.evaluate(plain, net, test).fidelity


def test_pruning_swaps_recover_the_best_single_cube_greedy_removal_misses(box_net):
    """A and B (the two halves of the "in" box along the irrelevant x1) make C (most of the box)
    redundant, so greedy removal drops C first and, held to one cube, keeps a half; the best single
    cube is C."""
    from rulex.extractors.pedagogical._cube_oracle import prune
    net, train, _ = box_net
    oracle = _oracle(net, train)
    in_, out = net.classes.index("in"), net.classes.index("out")
    a = oracle.root()
    a.lo[0], a.hi[1], a.allowed[2] = 0.5, 0.5, frozenset([0])
    b = a.copy()
    b.lo[1], b.hi[1] = 0.5, np.inf
    c = oracle.root()
    c.lo[0], c.allowed[2] = 0.6, frozenset([0])
    cubes = [(a, in_, 1), (b, in_, 1), (c, in_, 1)]
    greedy, _ = prune(oracle, cubes, out, max_rules=1, min_gain=0.0, swaps=False)
    best, default = prune(oracle, cubes, out, max_rules=1, min_gain=0.0)
    assert [k.key() for k, _, _ in greedy] in ([a.key()], [b.key()])
    assert [k.key() for k, _, _ in best] == [c.key()] and default == out
    # without a budget nothing is lost: A and B stay, C goes
    kept, _ = prune(oracle, cubes, out, max_rules=3, min_gain=0.0)
    assert [k.key() for k, _, _ in kept] == [a.key(), b.key()]


def test_refine_leaves_linear_model_cubes_alone():
    import warnings

    from _helpers.nets import diabetes_net
    net, train, test = diabetes_net()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = rulex.extract(net, train, method="gridrex", random_state=0, refine=False)
        refined = rulex.extract(net, train, method="gridrex", random_state=0, refine=True)
    assert refined.rules == plain.rules and all(isinstance(r.conclusion, rulex.LinearModel) for r in refined.rules)
