"""Does the command line answer bad usage with its help and exit 2, as its README says?"""

from __future__ import annotations

from tests.factories import run_cli


def test_no_command_prints_the_commands_and_exits_2():
    done = run_cli()
    assert done.returncode == 2
    for name in ("validate", "serve", "score", "calibrate", "demo-data"):
        assert name in done.stdout


def test_an_unknown_command_exits_2_naming_the_choices():
    done = run_cli("frobnicate")
    assert done.returncode == 2 and "invalid choice" in done.stderr and "calibrate" in done.stderr
