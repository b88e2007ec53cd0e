"""``arms-training erase --trainee ID``: erase everything held about one person."""

from __future__ import annotations

import argparse
import sys

from arms_training.commands.options import add_database_arguments, error_text

DESCRIPTION = """\
Erase everything the training database holds about one trainee (UK GDPR right to erasure):
their submitted responses and re-scores, drafts, session evaluation answers and session
memberships. It shows what is held and asks you to type the trainee id to confirm (--yes skips
the question, for scripts). The audit log records the erasure under a digest of the id, never
the id itself, so nothing of it remains. Files exported earlier are not in the database:
delete those copies too.

Exit status: 0 erased; 1 nothing held, or not confirmed; 2 bad usage, or the database failed."""

LABELS = {
    "submissions": "submitted responses",
    "rescores": "re-scores",
    "drafts": "drafts",
    "surveys": "survey answers",
    "participants": "session memberships",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trainee", required=True, metavar="ID", help="the trainee id, exactly as stored")
    p.add_argument("--yes", action="store_true", help="erase without asking (for scripts)")
    add_database_arguments(p)


def summary(held: dict[str, int]) -> str:
    return ", ".join(f"{held[k]} {label}" for k, label in LABELS.items() if held.get(k)) or "nothing"


def confirmed(prompt: str, expected: str) -> bool:
    """Whether the person at the terminal typed ``expected``; False without a terminal."""
    if not sys.stdin or not sys.stdin.isatty():
        return False
    try:
        return input(prompt).strip() == expected
    except EOFError:
        return False


def run(args: argparse.Namespace) -> int:
    from arms_training.commands.options import open_store
    from arms_training.errors import ArmsError

    try:
        with open_store(args.db) as store:
            held = store.held_about(args.trainee)
            if not any(held.values()):
                print(
                    f"erase: the training database ({store.url}) holds nothing about trainee {args.trainee!r}"
                )
                return 1
            print(
                f"The training database ({store.url}) holds about trainee {args.trainee!r}: {summary(held)}."
            )
            if not args.yes:
                if not sys.stdin or not sys.stdin.isatty():
                    print(
                        "erase: not erased; give --yes to erase without a terminal to confirm at",
                        file=sys.stderr,
                    )
                    return 1
                if not confirmed(f"Type the trainee id ({args.trainee}) to erase all of it: ", args.trainee):
                    print("erase: not erased (the id typed did not match)", file=sys.stderr)
                    return 1
            deleted = store.erase_trainee(args.trainee, actor=args.actor)
            digest = store.subject_digest(args.trainee)
    except ArmsError as exc:
        print(f"erase: {error_text(exc)}", file=sys.stderr)
        return 2
    print(
        f"Erased {summary(deleted)}. The audit log records the erasure as {digest} (a digest, not "
        "the id). Delete any copies exported earlier, too."
    )
    return 0
