"""README's worked example shows what maskstats prints today.

Each ```bash block of the "A worked example" section is followed by a ```text block holding
the output of its commands (stdout, one after the other), run here in a fresh folder holding
a copy of sample_masks/, at a terminal width of 100 columns. To regenerate the text blocks
after a deliberate change of output: ``python tests/system/test_readme_example.py``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

from click.testing import CliRunner

from maskstats.cli import cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = "## A worked example"
PAIR = re.compile(r"```bash\n(.*?)```\n\n```text\n(.*?)```", re.S)
WIDTH = "100"


def section(text: str) -> tuple[int, int]:
    """Start and end offsets of the worked example section."""
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return start, end if end >= 0 else len(text)


def run_block(commands: str, folder: Path) -> str:
    """The stdout of every ``maskstats`` command of a block, run in ``folder``."""
    runner = CliRunner(env={"COLUMNS": WIDTH})
    out = []
    old = os.getcwd()
    os.chdir(folder)
    try:
        for line in commands.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            args = shlex.split(line, comments=True)
            assert args[0] == "maskstats", line
            result = runner.invoke(cli, args[1:], catch_exceptions=False)
            assert result.exit_code == 0, (line, result.stderr)
            out.append(result.stdout)
    finally:
        os.chdir(old)
    return "".join(out)


def outputs(folder: Path) -> list[tuple[str, str, str]]:
    """(commands, shown output, actual output) of every pair of the section, in order."""
    text = README.read_text()
    start, end = section(text)
    shutil.copytree(ROOT / "sample_masks", folder / "sample_masks")
    return [(m.group(1), m.group(2), run_block(m.group(1), folder))
            for m in PAIR.finditer(text[start:end])]


def strip(text: str) -> list[str]:
    return [ln.rstrip() for ln in text.strip("\n").splitlines()]


def test_worked_example_output_is_current(tmp_path):
    """Every command block of the worked example prints exactly the text block after it."""
    pairs = outputs(tmp_path)
    assert len(pairs) >= 3
    for commands, shown, actual in pairs:
        assert strip(actual) == strip(shown), f"README output of {commands!r} is stale"


def regenerate() -> None:
    """Rewrite the text blocks of the worked example with the current output."""
    import tempfile

    text = README.read_text()
    start, end = section(text)
    with tempfile.TemporaryDirectory() as tmp:
        pairs = iter(outputs(Path(tmp)))

        def fill(m: re.Match) -> str:
            commands, _shown, actual = next(pairs)
            body = "\n".join(strip(actual)) + "\n"
            return f"```bash\n{commands}```\n\n```text\n{body}```"

        new = text[:start] + PAIR.sub(fill, text[start:end]) + text[end:]
    README.write_text(new)


if __name__ == "__main__":
    sys.exit(regenerate())
