"""The docs keep up with the code.

Every command and option is in ``--help`` and in ``docs/``; the README's Quick start holds two
commands; every ```python block of README.md and docs/*.md runs.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import maskstats
from maskstats.cli import cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCS = "\n".join(p.read_text() for p in PAGES)
COMMANDS = sorted(cli.commands)
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\n`]*)$")


def code_blocks(text: str) -> list[tuple[str, str, int, bool]]:
    """Fenced blocks of ``text``: (info string, body, opening line, follows the previous block).

    Fences may be indented (a block inside a list item); the body loses that indent. The last
    item is True when only blank lines separate the block from the one before it.
    """
    blocks, lines, i, last_end = [], text.splitlines(), 0, -2
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        adjacent = last_end >= 0 and not any(ln.strip() for ln in lines[last_end + 1:i])
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence)
                                      and not lines[i].strip().strip(fence[0])):
            body.append(lines[i][indent:] if not lines[i][:indent].strip() else lines[i])
            i += 1
        blocks.append((info, "\n".join(body) + "\n", start, adjacent))
        last_end = i
        i += 1
    return blocks


def python_blocks() -> list:
    """One pytest param per ```python (or ```py) block, with the ```text block right after it."""
    params = []
    for path in [ROOT / "README.md", *PAGES]:
        rel = path.relative_to(ROOT).as_posix()
        blocks = code_blocks(path.read_text())
        n = 0
        for k, (info, body, line, _) in enumerate(blocks):
            if info.split()[:1] not in (["python"], ["py"]):
                continue
            after = blocks[k + 1] if k + 1 < len(blocks) else None
            output = after[1] if after and after[3] and after[0] == "text" else None
            params.append(pytest.param(rel, line, body, output, id=f"{rel}:{n}"))
            n += 1
    return params


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name, run):
    """`maskstats NAME --help` works, shows an example, and the docs name the command."""
    result = run(name, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"maskstats {name}" in DOCS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_in_help_and_docs(name, run):
    """Each option of each command appears in its --help and on a page of docs/."""
    help_text = run(name, "--help").stdout
    for param in cli.commands[name].params:
        if not isinstance(param, click.Option) or param.hidden or param.name == "help":
            continue
        longest = max(param.opts, key=len)
        assert longest in help_text, (name, longest)
        assert f"`{longest}" in DOCS or f"{longest} " in DOCS, (name, longest)


def test_code_blocks_finds_fences_and_outputs():
    """The block parser finds indented and nested fences and tells which block follows which."""
    text = ("intro\n```python\nprint(1)\n```\n\n```text\n1\n```\nprose\n"
            "- item\n\n    ```python\n    x = '```'\n    if x:\n        pass\n    ```\n"
            "````markdown\n```python\nnot code\n```\n````\n")
    blocks = code_blocks(text)
    assert [(b[0], b[3]) for b in blocks] == [("python", False), ("text", True),
                                             ("python", False), ("markdown", True)]
    assert blocks[0][1] == "print(1)\n" and blocks[0][2] == 2
    assert blocks[2][1] == "x = '```'\nif x:\n    pass\n"
    assert blocks[3][1] == "```python\nnot code\n```\n"


def test_quick_start_has_exactly_two_commands():
    """The README's Quick start is one code block holding exactly two commands."""
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash|console|sh)?\n(.*?)```", section, re.S).group(1)
    lines = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 2
    assert "maskstats scan sample_masks/" in lines[0]
    assert "pytest" in lines[1]
    for line in lines:
        shlex.split(line)  # well-formed shell


def test_readme_stays_a_front_page():
    """README.md stays short (at most 250 lines) and holds no editorial comments."""
    assert len(README.splitlines()) <= 250
    for path in [ROOT / "README.md", *PAGES]:
        assert not re.search(r"<!--\s*(LEAD|TODO|FIXME|XXX)", path.read_text()), path.name


def test_nav_lists_every_page():
    """mkdocs.yml's nav names exactly the pages in docs/."""
    nav = re.findall(r"^\s+- (?:[^:\n]+: )?(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert sorted(nav) == sorted(p.name for p in PAGES)
    assert len(nav) == len(set(nav))


def test_relative_links_resolve():
    """Every relative link to a file from README.md or a docs page points at a file that exists."""
    for path in [ROOT / "README.md", *PAGES]:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            assert (path.parent / target.split("#")[0]).exists(), (path.name, target)


def test_changelog_has_unreleased_section():
    """CHANGELOG.md keeps an Unreleased section (Keep a Changelog)."""
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()


@pytest.fixture(scope="session")
def block_folder(tmp_path_factory) -> Path:
    """What every python block starts with: sample_masks/, maskstats.json and images.csv.

    The stats come from scanning sample_masks/ with ignore value 255 through the library; the
    per-image table is written too once ``maskstats.pipeline.scan`` can write one.
    """
    base = tmp_path_factory.mktemp("docs-blocks")
    shutil.copytree(ROOT / "sample_masks", base / "sample_masks")
    per_image = "per_image" in inspect.signature(maskstats.scan).parameters
    code = ("import maskstats\n"
            "kw = {'per_image': 'images.csv'} if %r else {}\n"
            "maskstats.scan(['sample_masks/'], ignore_index=[255], jobs=1, **kw)"
            ".save('maskstats.json')\n" % per_image)
    subprocess.run([sys.executable, "-c", code], cwd=base, env=block_env(), check=True,
                   timeout=120)
    assert (base / "maskstats.json").is_file()
    return base


def block_env() -> dict[str, str]:
    """The environment of a block: this checkout first on the path, no GUI for plots."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.mark.parametrize("rel, line, body, output", python_blocks())
def test_python_block_runs(rel, line, body, output, block_folder, tmp_path):
    """The ```python block runs in a fresh folder of sample data and prints what the docs show.

    A block may start with ``# requires: MODULE, ...`` (optional extras: skipped when one is
    not installed) or, if it cannot run here at all, ``# not run: REASON``. A ```text block
    right after it is its output, compared line by line (trailing spaces aside).
    """
    first = body.lstrip().splitlines()[0] if body.strip() else ""
    if first.startswith("# not run"):
        reason = first.partition(":")[2].strip()
        assert reason, f"{rel}:{line}: '# not run' needs a reason"
        pytest.skip(f"{rel}:{line}: {reason}")
    for m in re.finditer(r"^# requires: (.+)$", body, re.M):
        for module in m.group(1).split(","):
            if importlib.util.find_spec(module.strip()) is None:
                pytest.skip(f"{rel}:{line} needs {module.strip()}")
    work = tmp_path / "work"
    shutil.copytree(block_folder, work)
    script = tmp_path / "block.py"
    script.write_text(body)
    proc = subprocess.run([sys.executable, str(script)], cwd=work, env=block_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{rel}:{line} failed:\n{proc.stderr}"
    if output is not None:
        shown = [ln.rstrip() for ln in output.strip("\n").splitlines()]
        printed = [ln.rstrip() for ln in proc.stdout.strip("\n").splitlines()]
        assert printed == shown, f"{rel}:{line}: the block's output differs from the docs"
