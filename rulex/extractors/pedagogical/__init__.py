"""Pedagogical extractors: they query the network as an oracle."""
from .anndt import ANNDT
from .cover import Cover
from .surrogate import SurrogateTree
from .trepan import Trepan

__all__ = ["ANNDT", "Cover", "SurrogateTree", "Trepan"]
