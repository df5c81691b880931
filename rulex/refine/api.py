"""extract(): the one entry point from a method name to a rule set, compressed or certified on request."""
from __future__ import annotations

from ..exceptions import DataError
from ..extractors.base import seeded_extractor
from .certify import extract_certified
from ..extractors.compression import compress as compress_rules

__all__ = ["extract"]


def _check_compress(compress):
    if not (isinstance(compress, bool) or (isinstance(compress, (int, float)) and 0 <= compress <= 1)):
        raise DataError(f"compress must be True, False or a tolerance in [0, 1], got {compress!r}")


def extract(network, dataset, method: str = "surrogate_tree", random_state: int | None = 0, *, certify: bool = False,
            certify_seconds: float = 60, certify_rounds: int = 5, radius: float | None = None, **params):
    """Extract a :class:`RuleSet` from ``network`` with ``method`` on the rows of ``dataset``.

    Parameters
    ----------
    network : Network
        The trained network to explain.
    dataset : Dataset
        The rows to extract from (usually the training split).
    method : str, default "surrogate_tree"
        A registered method (listed below; ``rulex methods NAME`` shows its parameters).
    random_state : int or None, default 0
        Seed of the method, when it takes one.
    certify : bool, default False
        Pedagogical methods: verify the rules and re-extract with the verifier's counterexamples
        added, for at most ``certify_rounds`` rounds and ``certify_seconds`` seconds
        (:mod:`rulex.refine.certify`).
    certify_seconds : float, default 60
    certify_rounds : int, default 5
    radius : float in (0, 1], optional
        With ``certify``: refine for certified fidelity at this radius (the counterexamples found in the
        boxes around the extraction rows, not the whole domain's), returning the round with the best
        certified fidelity within 0.01 of the best fidelity (:func:`rulex.verify` with ``radius``).
    **params
        The method's parameters; ``compress=True`` (or a tolerance) also shrinks the rules with
        :func:`rulex.compress` (not together with ``certify``: compression would void the certificates).

    Returns
    -------
    RuleSet
        In the data's original units, with support, precision and provenance.

    Raises
    ------
    UnknownNameError
        For an unknown method.
    DataError
        For an unknown or invalid parameter, or data that does not fit the network.
    """
    compress = params.pop("compress", False)
    if certify:
        if compress:
            raise DataError("certify=True and compress= cannot be combined: compress first, then verify the "
                            "compressed rules with rulex.verify")
        return extract_certified(network, dataset, method, random_state, params, max_seconds=certify_seconds,
                                 max_rounds=certify_rounds, radius=radius)
    if radius is not None:
        raise DataError("radius= sets the certification radius: pass certify=True with it (or verify the rules "
                        "with rulex.verify(rules, network, data, radius=...))")
    _check_compress(compress)
    extractor = seeded_extractor(method, params, random_state).fit(network, dataset)
    rules = extractor.rules_
    if compress is not False and network.task == "classification":
        tolerance = 0.0 if compress is True else float(compress)
        rules = compress_rules(rules, network, dataset, tolerance=tolerance,
                               random_state=getattr(extractor, "random_state", 0))
    return rules
