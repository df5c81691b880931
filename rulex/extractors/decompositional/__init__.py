"""Decompositional extractors: they read weights and hidden activations layer by layer."""
from .deepred import CRED, DeepRED
from .kt import KT
from .nofm import NofM
from .tsukimoto import Tsukimoto

__all__ = ["CRED", "DeepRED", "KT", "NofM", "Tsukimoto"]
