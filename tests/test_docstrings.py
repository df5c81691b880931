"""Every public name documents its parameters in a numpydoc Parameters section (parsed by numpydoc)."""
from __future__ import annotations

import inspect

import pytest

import rulex

docscrape = pytest.importorskip("numpydoc.docscrape")



def _public():
    for name in rulex.__all__:
        obj = getattr(rulex, name)
        if not callable(obj) or (inspect.isclass(obj) and issubclass(obj, Exception)):
            continue
        yield name, obj


@pytest.mark.parametrize("name", [n for n, _ in _public()])
def test_parameters_are_documented(name):
    obj = getattr(rulex, name)
    doc = docscrape.ClassDoc(obj) if inspect.isclass(obj) else docscrape.FunctionDoc(obj)
    target = obj.__init__ if inspect.isclass(obj) else obj
    if target is object.__init__:        # takes nothing (e.g. the abstract BaseExtractor)
        return
    params = [p for p, v in inspect.signature(target).parameters.items()
              if p != "self" and not p.startswith("_") and v.kind is not inspect.Parameter.VAR_POSITIONAL]
    documented = {n.strip().lstrip("*") for p in doc["Parameters"] for n in p.name.split(",")}
    missing = [p for p in params if p not in documented]
    assert not missing, f"{name}: parameters without documentation: {missing}"


def test_help_extract_lists_the_methods():
    text = rulex.extract.__doc__
    for method in rulex.available_methods():
        assert f"    {method}\n" in text
