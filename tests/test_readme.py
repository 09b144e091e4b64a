"""Every command shown in the README runs, and the Quick start block is what CI runs."""

from __future__ import annotations

import re
import shlex

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def readme_commands() -> list[str]:
    commands = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for line in block.splitlines():
            if line.startswith("$ jaccli "):
                commands.append(line[2:].split(" | ")[0])
    return commands


def test_readme_shows_commands():
    assert len(readme_commands()) >= 6


def test_every_readme_command_behaves_as_shown(cli):
    for command in readme_commands():
        args = shlex.split(command)[1:]
        run = cli(*args)
        expected = 2 if "1,,2" in command else 0
        assert run.code == expected, (command, run.stderr)


def test_readme_table_output_is_current(cli):
    """The tour's first table is real output, not a hand-written picture."""
    block = re.search(
        r"```console\n\$ (jaccli jacobian samples/elementwise.py --at 2,1)\n(.*?)```", README, re.S
    )
    assert block
    run = cli(*shlex.split(block.group(1))[1:], "--format", "table")
    shown = [line.strip() for line in block.group(2).splitlines() if line.strip()]
    printed = [line.strip() for line in run.stdout.splitlines() if line.strip()]
    # The mode line wraps with the terminal width; compare the header and the table rows.
    assert shown[:2] == printed[:2]
    assert shown[-3:] == printed[-3:]


def test_quick_start_has_two_commands_and_ci_runs_the_second():
    block = re.search(r"## Quick start\s*```sh\n(.*?)```", README, re.S)
    assert block
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[1] in (ROOT / ".ci" / "run").read_text()
