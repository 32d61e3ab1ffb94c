"""Start-up: commands load lazily, and each imports only what it needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
from PIL import Image

from maskstats.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "PIL", "rich", "tqdm", "pyspng", "multiprocessing")

# runs the CLI with the given arguments in a fresh interpreter, then prints which heavy
# modules and which command modules were imported
PROBE = """
import json, sys
from maskstats.cli import main
sys.argv = ["maskstats", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
heavy = [m for m in {heavy!r} if m in sys.modules]
commands = sorted(m for m in sys.modules if m.startswith("maskstats.cli.")
                  and m not in ("maskstats.cli.common", "maskstats.cli.options",
                                "maskstats.cli.summary", "maskstats.cli.text",
                                "maskstats.cli.staging"))
print(json.dumps({{"heavy": heavy, "commands": commands}}), file=sys.__stderr__)
"""


def probe(*args: str, cwd: Path = ROOT) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
                          capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""})
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_version_imports_no_heavy_module_and_no_command():
    """`maskstats --version` loads neither NumPy, Pillow, rich, tqdm nor any command module."""
    assert probe("--version") == {"heavy": [], "commands": []}


def test_a_command_loads_only_its_own_module():
    """`maskstats schemes` imports its command module only, and no rich or tqdm."""
    seen = probe("schemes")
    assert seen["commands"] == ["maskstats.cli.weights"]
    assert "rich" not in seen["heavy"] and "tqdm" not in seen["heavy"]


def test_quiet_scan_without_progress_imports_neither_rich_nor_tqdm(tmp_path):
    """A -q --no-progress scan never imports rich (summary) or tqdm (progress bar)."""
    Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4)).save(tmp_path / "m.png")
    seen = probe("scan", str(tmp_path / "m.png"), "-o", str(tmp_path / "o.json"), "-q",
                 "--no-progress", "-j", "1")
    assert json.loads((tmp_path / "o.json").read_text())["total_pixels"] == 12
    assert "rich" not in seen["heavy"] and "tqdm" not in seen["heavy"]
    assert seen["commands"] == ["maskstats.cli.scan"]


def test_commands_mapping_lists_and_loads_every_command():
    """cli.commands holds every registered command, each a click command when read."""
    assert sorted(cli.commands) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.commands[name]
        assert isinstance(command, click.Command) and command.name == name
    assert dict(cli.commands.items()).keys() == COMMANDS.keys()


def test_help_lists_every_command(run):
    """`maskstats --help` lists every lazily registered command with its summary."""
    result = run("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.stdout


def test_unknown_command_is_a_usage_error(run):
    """A mistyped command is click's usage error (exit 2), not an import failure."""
    result = run("scna")
    assert result.exit_code == 2
    assert "No such command 'scna'" in result.stderr
