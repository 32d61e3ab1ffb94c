"""Limits every module keeps, checked on the source so later work cannot regress them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "maskstats"

#: the most lines a module of the package may have
MODULE_LINES = 300
#: the most lines a function body may have (docstring included, decorators and signature not)
FUNCTION_LINES = 60


def long_functions(tree: ast.AST) -> list[tuple[str, int, int]]:
    """(name, line, body lines) of every function or method whose body is over the limit."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines = node.end_lineno - node.body[0].lineno + 1
            if lines > FUNCTION_LINES:
                found.append((node.name, node.lineno, lines))
    return found


def test_no_module_is_over_the_line_limit():
    """Every module of the package has at most 300 lines (split by idea beyond that)."""
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MODULE_LINES:
            bad.append(f"{path.relative_to(ROOT)}: {n} lines")
    assert not bad, f"modules over {MODULE_LINES} lines:\n" + "\n".join(bad)


def test_no_function_body_is_over_the_line_limit():
    """Every function and method body of the package has at most 60 lines."""
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        bad += [f"{path.relative_to(ROOT)}:{line}: {name}() body has {n} lines"
                for name, line, n in long_functions(tree)]
    assert not bad, f"function bodies over {FUNCTION_LINES} lines:\n" + "\n".join(bad)


def test_the_function_limit_counts_the_body_only():
    """A body of exactly 60 lines passes (decorator and signature lines not counted); one
    more line is reported, nested functions included."""
    body = "".join(f"    x{i} = {i}\n" for i in range(FUNCTION_LINES))
    ok = f"@decorator\ndef f(\n    a,\n):\n{body}"
    assert long_functions(ast.parse(ok)) == []
    inner = "".join(f"        x{i} = {i}\n" for i in range(FUNCTION_LINES + 1))
    over = f"def g():\n    def h():\n{inner}    return h\n"
    assert [(name, n) for name, _, n in long_functions(ast.parse(over))] == [
        ("g", FUNCTION_LINES + 3), ("h", FUNCTION_LINES + 1)]


#: project notes that are not part of the repository: code and docs state the facts instead
OUTSIDE = re.compile(r"\b(CONVENTIONS|DOMAIN|SPEC)(\.md)?\b")
TEXT = {".py", ".md", ".txt", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".sh", ".html",
        ".css", ".js", ".csv", ".json"}


def test_nothing_cites_the_notes_outside_the_repository():
    """No docstring, comment, doc page, benchmark or test names CONVENTIONS.md, DOMAIN.md or
    SPEC (sections): files a reader of the repository does not have."""
    files = [ROOT / name for name in ("README.md", "CHANGELOG.md", "mkdocs.yml",
                                      "pyproject.toml") if (ROOT / name).exists()]
    for folder in ("maskstats", "docs", "benchmarks", "tests"):
        files += [p for p in sorted((ROOT / folder).rglob("*"))
                  if p.suffix in TEXT and p.is_file() and p != Path(__file__).resolve()]
    bad = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for i, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                bad.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    assert not bad, "citations of files outside the repository:\n" + "\n".join(bad)


def test_the_citation_pattern_finds_the_file_names_only():
    """The pattern finds the note names (with or without .md), not words that contain them."""
    assert OUTSIDE.search("see DOMAIN" + ".md") and OUTSIDE.search("SPEC section 4")
    assert OUTSIDE.search("CONVENTIONS" + ".md says")
    assert not OUTSIDE.search("FSSPEC_S3_ENDPOINT_URL, SPECIAL DAMAGES, domain.md, spec")
