"""Every command shown in the README runs, and the Quick start block is what CI runs."""

from __future__ import annotations

import re
import shlex

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def readme_examples() -> list[tuple[str, str]]:
    """Each ``$ jaccli ...`` line of a console block, with the output shown below it."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
            line, _, shown = part.partition("\n")
            if line.startswith("jaccli "):
                examples.append((line.split(" | ")[0], shown))
    return examples


def readme_commands() -> list[str]:
    return [command for command, _ in readme_examples()]


def expected_code(shown: str) -> int:
    """What the shown output implies: a usage error, a failed check, or success."""
    if "jaccli: error:" in shown:
        return 2
    return 1 if "FAILED" in shown else 0


def test_readme_shows_commands():
    assert len(readme_commands()) >= 6


def test_every_readme_command_behaves_as_shown(cli):
    for command, shown in readme_examples():
        run = cli(*shlex.split(command)[1:])
        assert run.code == expected_code(shown), (command, run.stderr)


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
