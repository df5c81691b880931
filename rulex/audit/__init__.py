"""Audits an auditor asks for: protected attributes, monotonicity, and what changed between two model
versions, each proven, shown by real counterexamples, or described by rules (ALGORITHMS-3 §2)."""
from .audit import Audit, audit
from .diff import Diff, diff

__all__ = ["Audit", "audit", "Diff", "diff"]
