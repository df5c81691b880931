"""Global surrogate tree: CART fitted to the network's predictions, read as rules."""
from __future__ import annotations

import numpy as np

from ...rules import Condition, Rule, RuleSet
from ..base import Interval, Options, PedagogicalExtractor, register

__all__ = ["SurrogateTree", "tree_to_rules", "split_default"]


class TreeWalk:
    """Node iteration shared by the fitted ANN-DT and TREPAN trees (``root``; nodes have
    ``children`` and ``is_leaf``)."""

    def nodes(self):
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    @property
    def n_leaves(self) -> int:
        return sum(1 for n in self.nodes() if n.is_leaf)


def split_default(rules, task, classes, size):
    """Leaf rules of a tree (exclusive and exhaustive) -> (default, the other rules, largest first).

    ``size(rule)`` gives a tuple of leaf sizes, most important first. Classification: the default
    is the class with the most leaves (ties: the largest total of the first size, then the
    earlier class) and the rules concluding it are left out: the default catches exactly their
    rows. Regression: the largest leaf (then the earlier one) becomes the default.
    """
    if task == "classification":
        tally: dict = {}
        for r in rules:
            n, s = tally.get(r.conclusion, (0, 0))
            tally[r.conclusion] = (n + 1, s + size(r)[0])
        default = max(tally, key=lambda c: (tally[c], -list(classes).index(c)))
        kept = [r for r in rules if r.conclusion != default]
    else:
        biggest = max(range(len(rules)), key=lambda i: (*size(rules[i]), -i))
        default = rules[biggest].conclusion
        kept = [r for i, r in enumerate(rules) if i != biggest]
    kept.sort(key=lambda r: tuple(-v for v in size(r)))
    return default, kept


def tree_to_rules(tree, input_names, *, task, classes=(), target=None):
    """Every root-to-leaf path of a fitted scikit-learn tree as an ordered RuleSet in encoded space.

    Leaves are mutually exclusive and exhaustive. The default is the class with the
    most leaves (ties: the most training rows), and the rules concluding it are left
    out: the default catches exactly their rows.
    """
    t = tree.tree_
    leaves = []

    def walk(node, path):
        if t.children_left[node] == -1:
            leaves.append((node, tuple(path)))
            return
        name = input_names[t.feature[node]]
        thr = float(t.threshold[node])
        walk(t.children_left[node], path + [Condition(name, "<=", thr)])
        walk(t.children_right[node], path + [Condition(name, ">", thr)])

    walk(0, [])
    rules = []
    for node, path in leaves:
        samples = int(t.n_node_samples[node])
        if task == "classification":
            conclusion = classes[int(np.argmax(t.value[node][0]))]
        else:
            conclusion = float(t.value[node][0][0])
        rules.append(Rule(path, conclusion, provenance={"tree_node": int(node), "tree_samples": samples}))
    # exclusive rules: their order is free, largest first reads best
    default, kept = split_default(rules, task, classes, lambda r: (r.provenance["tree_samples"],))
    return RuleSet(kept, default, semantics="ordered", task=task, classes=classes, target=target, space="encoded")


@register
class SurrogateTree(PedagogicalExtractor):
    """CART decision tree fitted to the network's labels on the given rows.

    Parameters
    ----------
    max_depth : int or None, default None
    max_leaf_nodes : int or None, default 16
    min_samples_leaf : int, default 2
    ccp_alpha : float, default 0.0
        Minimal cost-complexity pruning strength.
    criterion : {"gini", "entropy"}, default "gini" (regression always uses squared error)
    random_state : int or None, default 0
    """

    name = "surrogate_tree"
    description = "CART tree fitted to the network's predictions (global surrogate; baseline)"
    supports_regression = True
    _parameter_constraints = {
        "max_depth": [Interval(int, 1, None), None],
        "max_leaf_nodes": [Interval(int, 2, None), None],
        "min_samples_leaf": [Interval(int, 1, None)],
        "ccp_alpha": [Interval(float, 0.0, None)],
        "criterion": [Options(("gini", "entropy"))],
        "random_state": [Interval(int, 0, None), None],
    }

    def __init__(self, max_depth=None, max_leaf_nodes=16, min_samples_leaf=2, ccp_alpha=0.0, criterion="gini",
                 random_state=0):
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.ccp_alpha = ccp_alpha
        self.criterion = criterion
        self.random_state = random_state

    def _extract(self, network, dataset, X):
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
        y = network.predict_index(X)
        kw = dict(max_depth=self.max_depth, max_leaf_nodes=self.max_leaf_nodes,
                  min_samples_leaf=self.min_samples_leaf, ccp_alpha=float(self.ccp_alpha),
                  random_state=self.random_state)
        if network.task == "classification":
            tree = DecisionTreeClassifier(criterion=self.criterion, **kw).fit(X, y)
            # tree classes are the indices present in y; map back to labels
            classes = [network.classes[int(i)] for i in tree.classes_]
            rules = tree_to_rules(tree, network.encoder.input_names_, task="classification", classes=classes)
            return rules.replace(classes=network.classes)
        tree = DecisionTreeRegressor(**kw).fit(X, y)
        return tree_to_rules(tree, network.encoder.input_names_, task="regression")
