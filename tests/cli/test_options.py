"""An option means the same in every command: one metavar, one help, and -q wherever a file
is written."""

from __future__ import annotations

import json
from collections import defaultdict

import click
import numpy as np
import pytest

from maskstats.cli import cli
from conftest import save_png

#: options whose text differs between commands by design: -f lists each command's own
#: formats; split's -o is a folder (DIR), not a file; scan --per-image writes the table
#: that report --per-image reads
PER_COMMAND = {("--format", None), ("--output", "split"), ("--per-image", None)}


def _options() -> dict[str, dict[str, tuple]]:
    """long option name -> command -> (metavar as shown, help)."""
    seen: dict[str, dict[str, tuple]] = defaultdict(dict)
    for name in sorted(cli.commands):
        command = cli.commands[name]
        ctx = click.Context(command, info_name=name)
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            longest = max(param.opts, key=len)
            if (longest, None) in PER_COMMAND or (longest, name) in PER_COMMAND:
                continue
            seen[longest][name] = (param.make_metavar(ctx) if not param.is_flag else None,
                                   param.help, tuple(param.opts))
    return seen


def test_every_shared_option_has_one_metavar_and_one_help():
    """An option taken by several commands shows the same flags, metavar and help in each."""
    shared = {opt: by for opt, by in _options().items() if len(by) > 1}
    assert "--output" in shared and "--quiet" in shared and "--num-classes" in shared
    for opt, by_command in shared.items():
        variants = set(by_command.values())
        assert len(variants) == 1, f"{opt} differs between commands: {by_command}"


def test_output_is_a_file_everywhere_but_split():
    """-o shows the metavar FILE in every command that writes a file."""
    outputs = _options()["--output"]
    assert {"scan", "merge", "labels", "weights", "images", "sample-weights",
            "report"} <= set(outputs)
    assert {metavar for metavar, _, _ in outputs.values()} == {"FILE"}


def test_every_command_that_writes_takes_quiet():
    """Each command with -o/--output also takes -q/--quiet."""
    for name in sorted(cli.commands):
        opts = {o for p in cli.commands[name].params for o in p.opts}
        if "--output" in opts:
            assert {"-q", "--quiet"} <= opts, name


def test_report_quiet_prints_nothing(tmp_path, run):
    """report -q writes the page and prints no 'Wrote' line; without -q it does."""
    pytest.importorskip("matplotlib")
    save_png(tmp_path / "m" / "a.png", np.array([[0, 1], [1, 1]], np.uint8))
    assert run("scan", tmp_path / "m", "-o", tmp_path / "s.json", "-q").exit_code == 0
    quiet = run("report", tmp_path / "s.json", "-o", tmp_path / "r.html", "-q")
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    loud = run("report", tmp_path / "s.json", "-o", tmp_path / "r2.html")
    assert loud.stdout == f"Wrote {tmp_path / 'r2.html'}\n"


def test_weights_quiet_writes_the_same_file(tmp_path, run):
    """weights -q -o FILE writes the same weights as without -q, and prints nothing."""
    args = ["weights", "--counts", "3,1", "--scheme", "inverse-frequency", "-f", "list"]
    quiet = run(*args, "-o", tmp_path / "q.json", "-q")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    assert run(*args, "-o", tmp_path / "l.json").exit_code == 0
    assert (tmp_path / "q.json").read_bytes() == (tmp_path / "l.json").read_bytes()
    assert json.loads((tmp_path / "q.json").read_text()) == pytest.approx([4 / (2 * 3), 4 / (2 * 1)])  # N / (C n_c)
