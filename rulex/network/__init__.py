"""Read-only network adapters, training with skorch, and model bundles."""
from .adapter import ACTIVATIONS, Layer, Network
from .io import load_network, save_network
from .train import train_network

__all__ = ["Network", "Layer", "ACTIVATIONS", "train_network", "load_network", "save_network"]
