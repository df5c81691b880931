"""rulex: readable rules from small feed-forward networks on tabular data.

>>> import rulex
>>> ds = rulex.load_dataset("iris")
>>> train, test = ds.split(random_state=0)
>>> sorted(rulex.available_methods())[:1]
['surrogate_tree']
"""
from ._version import __version__

from .exceptions import (BudgetExceededError, DataError, FormatError, NetworkError, NotFittedError,
                         PartialResultWarning, RuleError, RulexError, RulexWarning, SchemaError, UnknownNameError)
from .schema import Encoder, Feature, Schema
from .data import Dataset, list_datasets, load_dataset
from .network import Layer, Network, load_network, train_network
from .rules import Condition, LinearModel, LinearTerm, MofN, Rule, RuleSet
from .verification import verify
from .extractors import BaseExtractor, available_methods, get_extractor
from .refine import compress, extract
from .evaluate import fidelity, accuracy
from .evaluate import Report, evaluate
from .compare import compare
from .audit import Audit, Diff, audit, diff
from .formats import export, load_rules, save_rules
from .explain import explain_row, influence, profile_units
from .estimators import RuleExtractorClassifier, RuleExtractorRegressor
from . import plot

__all__ = [
    "__version__",
    "RulexError", "RulexWarning", "DataError", "SchemaError", "NetworkError", "RuleError", "UnknownNameError",
    "BudgetExceededError", "FormatError", "NotFittedError", "PartialResultWarning",
    "Feature", "Schema", "Encoder", "Dataset", "load_dataset", "list_datasets",
    "Network", "Layer", "train_network", "load_network",
    "Condition", "MofN", "Rule", "RuleSet", "LinearModel", "LinearTerm",
    "BaseExtractor", "extract", "available_methods", "get_extractor", "compress",
    "fidelity", "accuracy", "Report", "evaluate", "compare", "audit", "diff", "Audit", "Diff",
    "export", "load_rules", "save_rules",
    "explain_row", "influence", "profile_units",
    "verify",
    "RuleExtractorClassifier", "RuleExtractorRegressor", "plot",
]
