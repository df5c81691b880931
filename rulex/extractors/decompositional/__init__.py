"""Decompositional extractors: they read weights and hidden activations layer by layer."""
from .deepred import CRED, DeepRED
from .kt import KT
from .tsukimoto import Tsukimoto

__all__ = ["CRED", "DeepRED", "KT", "Tsukimoto"]
