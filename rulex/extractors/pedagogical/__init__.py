"""Pedagogical extractors: they query the network as an oracle."""
from .anndt import ANNDT
from .hypercube import ITER, CReEPy, GridEx, GridREx
from .surrogate import SurrogateTree
from .trepan import Trepan

__all__ = ["ANNDT", "SurrogateTree", "Trepan", "ITER", "GridEx", "GridREx", "CReEPy"]
