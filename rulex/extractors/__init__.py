"""Rule extractors and the registry that ``extract``, ``compare``, the CLI and the tests read.

The methods live in ``pedagogical/`` (the network as an oracle) and ``decompositional/`` (weights and
activations); ``base.py`` holds the estimator base and the registry. What works on any extractor's
rules (``extract``, ``compress``, certification, ``auto``) is the layer above, :mod:`rulex.refine`.
"""
from .base import (EXTRACTORS, BaseExtractor, DecompositionalExtractor, MethodInfo, PedagogicalExtractor,
                   available_methods, extractor_class, get_extractor, register, seeded_extractor)
from .pedagogical import SurrogateTree
from .pedagogical import ANNDT, Trepan
from .pedagogical import ITER, CReEPy, GridEx, GridREx
from .pedagogical import BRCG, Cover
from .decompositional import CRED, DeepRED, KT, NofM, Tsukimoto

__all__ = ["BaseExtractor", "DecompositionalExtractor", "PedagogicalExtractor", "register", "EXTRACTORS",
           "available_methods", "get_extractor", "extractor_class", "seeded_extractor", "MethodInfo",
           "SurrogateTree", "ANNDT", "Trepan", "CRED", "DeepRED", "Tsukimoto", "KT", "NofM", "ITER", "GridEx",
           "GridREx", "CReEPy", "Cover", "BRCG"]
