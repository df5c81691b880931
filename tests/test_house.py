"""The house rules ARCHITECTURE.md promises, read from the code's own imports (those inside functions
included, which import-linter's layer contracts cannot see within one package):

- no import circle between rulex's modules;
- at most ten imports of rulex modules inside functions, each with a comment saying why;
- no function over 100 lines, no module over 600 lines.
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "rulex"
MAX_HIDDEN = 10


def _modules() -> dict:
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        out[".".join(rel.parts).removesuffix(".__init__")] = path
    return out


def _scan(mods: dict):
    """``(graph, hidden, long_functions)``: import edges between rulex modules, the imports inside
    functions as ``(module, line, text, commented)``, and the functions over 100 lines."""
    graph, hidden, long_fns = {}, [], []
    for mod, path in mods.items():
        text = path.read_text()
        lines = text.splitlines()
        pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        edges: set = set()

        def targets(node):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                names = [a.name for a in node.names]
            found = []
            for t in names:
                if t != "rulex" and not t.startswith("rulex."):
                    continue
                while t and t not in mods:
                    t = t.rsplit(".", 1)[0] if "." in t else ""
                if t:
                    found.append(t)
            return found

        def visit(node, in_function):
            for child in ast.iter_child_nodes(node):
                is_fn = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
                if is_fn and child.end_lineno - child.lineno + 1 > 100:
                    long_fns.append(f"{mod}.{child.name} ({child.end_lineno - child.lineno + 1} lines)")
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    found = targets(child)
                    edges.update(t for t in found if t != mod)
                    if found and in_function:
                        here = lines[child.lineno - 1]
                        above = lines[child.lineno - 2].strip() if child.lineno > 1 else ""
                        hidden.append((mod, child.lineno, here.strip(), "#" in here or above.startswith("#")))
                visit(child, in_function or is_fn)

        visit(ast.parse(text), False)
        graph[mod] = edges
    return graph, hidden, long_fns


def _circles(graph: dict) -> list:
    """Strongly connected components of more than one module (Tarjan), leaving out a package with its
    own submodules (``from . import x`` reads the package's ``__init__``)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            comp.sort()
            if len(comp) > 1 and not all(m == comp[0] or m.startswith(comp[0] + ".") for m in comp):
                out.append(comp)

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


@pytest.fixture(scope="module")
def house():
    mods = _modules()
    return mods, *_scan(mods)


def test_no_import_circle_counting_imports_inside_functions(house):
    _, graph, _, _ = house
    assert _circles(graph) == []


def test_the_circle_finder_finds_a_circle():
    graph = {"rulex.a": {"rulex.b"}, "rulex.b": {"rulex.c"}, "rulex.c": {"rulex.a"}, "rulex.d": {"rulex.a"},
             "rulex.p": {"rulex.p.x"}, "rulex.p.x": {"rulex.p"}}
    assert _circles(graph) == [["rulex.a", "rulex.b", "rulex.c"]]


def test_few_imports_inside_functions_each_says_why(house):
    _, _, hidden, _ = house
    assert len(hidden) <= MAX_HIDDEN, "\n".join(f"{m}:{n}: {t}" for m, n, t, _ in hidden)
    uncommented = [f"{m}:{n}: {t}" for m, n, t, commented in hidden if not commented]
    assert uncommented == [], "an import inside a function needs a comment saying why:\n" + "\n".join(uncommented)


def test_no_function_over_100_lines(house):
    _, _, _, long_fns = house
    assert long_fns == []


def test_no_module_over_600_lines(house):
    mods = house[0]
    big = [f"{m} ({p.read_text().count(chr(10))})" for m, p in mods.items() if p.read_text().count("\n") > 600]
    assert big == []
