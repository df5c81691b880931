"""Datasets: the user's tables, scikit-learn's, generated problems and bundled files."""
from .dataset import Dataset, check_random_state
from .generated import make_monk, make_xor
from .registry import DATASETS, list_datasets, load_dataset

__all__ = ["Dataset", "check_random_state", "load_dataset", "list_datasets", "make_xor", "make_monk", "DATASETS"]
