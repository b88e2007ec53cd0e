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


def test_version_is_the_package_version():
    from arms_training import __version__

    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"arms-training {__version__}"


def test_every_command_is_offered_and_every_option_shows_its_default():
    """Help is written for users: no reST markup, and each option ends with its default."""
    import argparse

    from arms_training.cli import COMMANDS, build_parser
    from arms_training.commands.options import HelpFormatter

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == list(COMMANDS)
    for name, command in sub.choices.items():
        text = command.format_help()
        assert "``" not in text and ":func:" not in text, name
        formatter = HelpFormatter(name)
        for action in command._actions:
            if not action.option_strings or action.required or action.dest == "help":
                continue
            assert "default" in formatter._get_help_string(action), (name, action.option_strings)


def test_a_bad_number_names_what_is_allowed():
    done = run_cli("demo-data", "--trainees", "five", "--out", "x.jsonl")
    assert done.returncode == 2
    assert "'five' is not a whole number; allowed: a whole number, 1 or more" in done.stderr
    assert "_positive" not in done.stderr


def test_a_command_module_that_fails_to_import_is_an_error_not_a_missing_command(monkeypatch):
    """The command table once hid a command whose module raised ModuleNotFoundError, which would
    hide a real import error in any command too."""
    import importlib

    import pytest

    from arms_training import cli

    real = importlib.import_module

    def broken(name, *a):
        if name == "arms_training.commands.audit":
            raise ModuleNotFoundError("No module named 'somedependency'")
        return real(name, *a)

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="somedependency"):
        cli.build_parser()
