"""Pedagogical extractors: they query the network as an oracle."""
from .anndt import ANNDT
from .brcg import BRCG
from .cover import Cover
from .hypercube import ITER, CReEPy, GridEx, GridREx
from .surrogate import SurrogateTree
from .trepan import Trepan

__all__ = ["ANNDT", "BRCG", "Cover", "SurrogateTree", "Trepan", "ITER", "GridEx", "GridREx", "CReEPy"]
