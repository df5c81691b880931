"""Schema (feature kinds) and the encoder between the user's frame and network inputs."""
from .features import KINDS, Feature, Schema
from .encoder import Encoder

__all__ = ["KINDS", "Feature", "Schema", "Encoder"]
