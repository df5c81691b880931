"""What works on the rule sets of any extractor, above ``extractors/`` and imported by nothing below it:
:func:`extract` (a method name to a rule set, compressed or certified on request), :func:`compress`
(shrink any rule set while its fidelity holds), counterexample-guided refinement with the verifier
(:mod:`~rulex.refine.certify`) and ``method="auto"``, a selection over other extractors
(:class:`Auto`, registered like the methods it chooses among)."""
from ..extractors.base import available_methods
from .api import extract
from .auto import Auto
from .certify import extract_certified
from ..extractors.compression import compress, compression_sample

if extract.__doc__:   # help(rulex.extract) lists the registered methods
    extract.__doc__ += "\n    Notes\n    -----\n    The registered methods:\n\n" + "".join(
        f"    {i.name}\n        {i.kind}{', regression too' if i.regression else ''}: {i.description}\n"
        for i in available_methods().values())

__all__ = ["extract", "compress", "compression_sample", "extract_certified", "Auto"]
