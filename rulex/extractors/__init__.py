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

if extract.__doc__:   # help(rulex.extract) lists the registered methods
    extract.__doc__ += "\n    Notes\n    -----\n    The registered methods:\n\n" + "".join(
        f"    {i.name}\n        {i.kind}{', regression too' if i.regression else ''}: {i.description}\n"
        for i in available_methods().values())

__all__ = ["BaseExtractor", "DecompositionalExtractor", "PedagogicalExtractor", "register", "EXTRACTORS",
           "available_methods", "get_extractor", "extract", "MethodInfo", "SurrogateTree", "ANNDT", "Trepan", "CRED", "DeepRED",
           "Tsukimoto", "KT", "NofM", "ITER", "GridEx", "GridREx", "CReEPy", "Cover", "BRCG", "Auto", "compress"]
