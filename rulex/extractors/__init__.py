"""Rule extractors and the registry that ``extract``, ``compare``, the CLI and the tests read."""
from .base import (EXTRACTORS, BaseExtractor, DecompositionalExtractor, MethodInfo, PedagogicalExtractor,
                   available_methods, extract, get_extractor, register)
from .pedagogical import SurrogateTree
from .pedagogical import ANNDT, Trepan
from .pedagogical import ITER, CReEPy, GridEx, GridREx
from .pedagogical import BRCG, Cover
from .decompositional import CRED, DeepRED, KT, NofM, Tsukimoto
from .compression import compress
from .auto import Auto

__all__ = ["BaseExtractor", "DecompositionalExtractor", "PedagogicalExtractor", "register", "EXTRACTORS",
           "available_methods", "get_extractor", "extract", "MethodInfo", "SurrogateTree", "ANNDT", "Trepan", "CRED", "DeepRED",
           "Tsukimoto", "KT", "NofM", "ITER", "GridEx", "GridREx", "CReEPy", "Cover", "BRCG", "Auto", "compress"]
