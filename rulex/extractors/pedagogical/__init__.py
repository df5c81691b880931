"""Pedagogical extractors: they query the network as an oracle."""
from .surrogate import SurrogateTree

__all__ = ["SurrogateTree"]
