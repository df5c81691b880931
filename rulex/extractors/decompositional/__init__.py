"""Decompositional extractors: they read weights and hidden activations layer by layer."""
__all__: list = []
