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


def test_the_checker_sees_cycles_and_function_level_imports(tmp_path):
    """The cycle finder reports a cycle made by a function-level import, and none without."""
    a = tmp_path / "a.py"
    a.write_text("def f():\n    from maskstats.b import g\n")
    found = imports_of("maskstats.a", a, {"maskstats.a", "maskstats.b"})
    assert found == [("maskstats.b", "g", 2)]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_importing_from_the_package_init_counts_as_an_edge_to_it(tmp_path):
    """``from maskstats import __version__`` is an edge to the package node, so a module the
    package imports that does so closes a cycle the checker reports."""
    a = tmp_path / "a.py"
    a.write_text("from maskstats import __version__\n")
    known = {"maskstats", "maskstats.a"}
    assert imports_of("maskstats.a", a, known) == [("maskstats", "__version__", 1)]
    assert find_cycle({"maskstats": {"maskstats.a"}, "maskstats.a": {"maskstats"}}) == [
        "maskstats", "maskstats.a", "maskstats"]
