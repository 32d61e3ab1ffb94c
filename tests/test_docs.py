"""The docs keep up with the code: every command and option is in --help and the README."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from maskstats.cli import cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
#: the README and the pages of the docs site: options may be documented in either
DOCS = README + "".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name, run):
    """`maskstats NAME --help` works and shows an example."""
    result = run(name, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"maskstats {name}" in DOCS


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_in_help_and_readme(name, run):
    """Each option of each command appears in its --help and in the README."""
    help_text = run(name, "--help").stdout
    for param in cli.commands[name].params:
        if not isinstance(param, click.Option) or param.hidden or param.name == "help":
            continue
        longest = max(param.opts, key=len)
        assert longest in help_text, (name, longest)
        assert f"`{longest}" in DOCS or f"{longest} " in DOCS, (name, longest)


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


def test_changelog_has_unreleased_section():
    """CHANGELOG.md keeps an Unreleased section (Keep a Changelog)."""
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
