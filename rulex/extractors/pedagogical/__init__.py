"""Pedagogical extractors: they query the network as an oracle."""
from .anndt import ANNDT
from .brcg import BRCG
from .checklist import Checklist
from .cover import Cover
from .hypercube import ITER, CReEPy, GridEx, GridREx
from .surrogate import SurrogateTree
from .trepan import Trepan

__all__ = ["ANNDT", "BRCG", "Checklist", "Cover", "SurrogateTree", "Trepan", "ITER", "GridEx", "GridREx", "CReEPy"]
