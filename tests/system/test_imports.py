"""The import graph of the package: imports point one way, private names stay home."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "maskstats"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, str | None, int]]:
    """(imported maskstats module, imported name or None, line) for every import in a file.

    ``ast.walk`` visits the whole tree, so imports inside functions count like module-level
    ones. ``from maskstats import x`` counts as importing ``maskstats.x`` when that is a
    module, else ``maskstats`` itself.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "maskstats":
                    out.append((alias.name, None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            mod = resolve(node, name, path.name == "__init__.py")
            if mod.split(".")[0] != "maskstats":
                continue
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                if sub in known:
                    out.append((sub, None, node.lineno))
                else:
                    out.append((mod, alias.name, node.lineno))
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for target, _, _ in imports_of(name, path, known):
            if target in known and target != name:
                edges[name].add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first = last), or None (iterative DFS)."""
    state: dict[str, int] = {}
    for start in sorted(edges):
        if state.get(start):
            continue
        stack = [(start, iter(sorted(edges[start])))]
        trail = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                trail.pop()
                continue
            if state.get(child) == 1:
                return trail[trail.index(child):] + [child]
            if not state.get(child):
                state[child] = 1
                trail.append(child)
                stack.append((child, iter(sorted(edges[child]))))
    return None


def test_no_import_cycles():
    """No chain of imports (module-level or inside functions) leads a module back to itself."""
    edges = graph()
    assert "maskstats.core.stats" in edges["maskstats"]  # the package node is in the graph
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_private_name_crosses_a_module():
    """No module imports a _private name (or a _private module) from another module."""
    mods = modules()
    known = set(mods)
    bad = []
    for name, path in mods.items():
        for target, imported, line in imports_of(name, path, known):
            leaf = imported if imported is not None else target.rsplit(".", 1)[-1]
            if leaf.startswith("_") and not leaf.startswith("__") and target != name:
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {target}.{leaf}"
                           if imported else f"{path.relative_to(PACKAGE.parent)}:{line}: "
                                            f"{target}")
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


def private_attributes(name: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """(``module._name``, line) for every _private attribute read through an imported
    maskstats module (``from maskstats.core import files; files._helper``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "maskstats":
                    aliases[alias.asname or "maskstats"] = alias.name if alias.asname \
                        else "maskstats"
        elif isinstance(node, ast.ImportFrom):
            mod = resolve(node, name, path.name == "__init__.py")
            for alias in node.names:
                if f"{mod}.{alias.name}" in known:
                    aliases[alias.asname or alias.name] = f"{mod}.{alias.name}"
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            chain, value = [node.attr], node.value
            while isinstance(value, ast.Attribute):
                chain.insert(0, value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                found.append((".".join([aliases[value.id]] + chain), node.lineno))
    return sorted(found, key=lambda t: t[1])


def test_no_private_attribute_is_read_through_an_imported_module():
    """No module reaches a _private name of another module as ``module._name`` either."""
    mods = modules()
    known = set(mods)
    bad = [f"{path.relative_to(PACKAGE.parent)}:{line}: {target}"
           for name, path in mods.items()
           for target, line in private_attributes(name, path, known)]
    assert not bad, "private names read across modules:\n" + "\n".join(bad)


def test_the_checker_sees_cycles_and_function_level_imports(tmp_path):
    """The cycle finder reports a cycle made by a function-level import, and none without."""
    a = tmp_path / "a.py"
    a.write_text("def f():\n    from maskstats.b import g\n")
    found = imports_of("maskstats.a", a, {"maskstats.a", "maskstats.b"})
    assert found == [("maskstats.b", "g", 2)]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_checker_sees_private_attributes_of_imported_modules(tmp_path):
    """``files._helper`` after ``from maskstats.core import files`` is found; a local
    object's ``_attr`` is not."""
    a = tmp_path / "a.py"
    a.write_text("from maskstats.core import files\nimport maskstats.core.stats as st\n"
                 "x = object()\nfiles._helper()\nst.Stats._fields\nx._local\n")
    known = {"maskstats.a", "maskstats.core.files", "maskstats.core.stats"}
    assert private_attributes("maskstats.a", a, known) == [
        ("maskstats.core.files._helper", 4), ("maskstats.core.stats.Stats._fields", 5)]


def test_importing_from_the_package_init_counts_as_an_edge_to_it(tmp_path):
    """``from maskstats import __version__`` is an edge to the package node, so a module the
    package imports that does so closes a cycle the checker reports."""
    a = tmp_path / "a.py"
    a.write_text("from maskstats import __version__\n")
    known = {"maskstats", "maskstats.a"}
    assert imports_of("maskstats.a", a, known) == [("maskstats", "__version__", 1)]
    assert find_cycle({"maskstats": {"maskstats.a"}, "maskstats.a": {"maskstats"}}) == [
        "maskstats", "maskstats.a", "maskstats"]


#: what each part of the package may import (besides itself): the layers, lowest first.
#: ``errors``, ``version`` and ``registry`` sit below everything; ``core`` holds the counts
#: and the stats file (``windows`` the window geometry beside it); ``readers`` decode masks
#: into counts; ``pipeline`` drives the readers over files (``checking`` inspects datasets
#: with both); the consumers of stats and tables (weights, sampling, splitting, comparison,
#: report) never reach back into the pipeline; only ``cli`` (and the package's lazy API and
#: ``__main__``) sits on top.
BASE = {"errors", "version"}
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(),
    "version": set(),
    "registry": {"errors"},
    "core": BASE,
    "windows": BASE | {"core"},  # window and crop geometry
    "readers": BASE | {"core", "registry", "windows"},
    "table": BASE | {"core"},
    "presets": BASE | {"core", "readers"},
    "pipeline": BASE | {"core", "readers", "presets", "table", "windows"},
    "checking": BASE | {"core", "readers", "presets", "pipeline"},  # maskstats check
    "weights": BASE | {"core", "registry"},
    "comparison": BASE | {"core"},
    "splitting": BASE | {"core", "readers", "table"},  # readers: a split's COCO file
    "sampling": BASE | {"core", "registry", "table", "weights"},
    "report": BASE | {"core", "table", "weights", "comparison"},
    "cli": BASE | {"registry", "core", "windows", "readers", "table", "presets", "pipeline",
                   "checking", "weights", "comparison", "splitting", "sampling", "report"},
}
#: the package itself (its lazy public API) and ``python -m maskstats`` may import anything
TOP = {"maskstats", "__main__"}


def part(module: str) -> str:
    """The part of the package a module belongs to: ``maskstats.core.stats`` -> ``core``."""
    parts = module.split(".")
    return "maskstats" if len(parts) == 1 else parts[1]


def test_every_part_of_the_package_has_a_layer():
    """Every subpackage and top-level module is in the layer table (a new one must be placed)."""
    assert {part(m) for m in modules()} - TOP == set(MAY_IMPORT)


def test_the_layers_are_ordered():
    """The layer table has no cycle, so it orders the parts from the bottom up."""
    assert find_cycle({p: set(deps) for p, deps in MAY_IMPORT.items()}) is None


def test_imports_point_downward():
    """No module imports from a part above it or beside it: core imports nothing but errors and
    version, readers only core/errors/version/registry, the pipeline nothing from cli or
    report, the stats consumers nothing from cli or the pipeline (imports inside functions
    count too)."""
    mods = modules()
    known = set(mods)
    bad = []
    for name, path in mods.items():
        src = part(name)
        if src in TOP:
            continue
        for target, _, line in imports_of(name, path, known):
            dst = part(target)
            if dst != src and dst not in MAY_IMPORT[src]:
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {src} imports "
                           f"{target} ({dst})")
    assert not bad, "imports pointing upward or sideways:\n" + "\n".join(bad)
