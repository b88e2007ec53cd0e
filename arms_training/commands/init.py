"""``arms-training init DIR``: a copy of the shipped case library for a force to edit."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

DESCRIPTION = """\
Copy the shipped case library (vignettes/ and answer_keys/) into DIR, with an empty frameworks/
for a force's own framework file, so a force can edit its cases without touching the installed
package. DIR may exist but must not already hold vignettes/, answer_keys/ or frameworks/
(nothing is overwritten). Then point arms-training at it:

    export ARMS_TRAINING_CONTENT=DIR
    arms-training validate

Exit status: 0 copied; 2 DIR already holds a library, or cannot be written."""

FRAMEWORKS_NOTE = """\
A framework file put here (YAML, as arms_training/frameworks/arms-2018.yaml) is found by every
arms-training tool while ARMS_TRAINING_CONTENT points at this folder; a file named like a shipped
one replaces it. See docs/formats.md.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", type=Path, metavar="DIR", help="the folder to make (or fill)")


def run(args: argparse.Namespace) -> int:
    from arms_training.io.files import atomic_folder
    from arms_training.locations import CONTENT_ENV, LIBRARY_FOLDERS, shipped_library

    dest: Path = args.folder.expanduser()
    source = shipped_library()
    parts = (*LIBRARY_FOLDERS, "frameworks")
    taken = [dest / sub for sub in parts if (dest / sub).exists()]
    if taken:
        print(
            f"init: {', '.join(map(str, taken))} already exists; nothing was copied (choose an "
            "empty folder, or edit the library that is there)",
            file=sys.stderr,
        )
        return 2
    if dest.exists() and not dest.is_dir():
        print(f"init: {dest} is a file; give a folder", file=sys.stderr)
        return 2
    counts = {}
    try:
        for sub in LIBRARY_FOLDERS:
            with atomic_folder(dest / sub) as temp:
                for f in sorted((source / sub).glob("*.y*ml")):
                    shutil.copy2(f, temp / f.name)
                counts[sub] = len(list(temp.iterdir()))
        with atomic_folder(dest / "frameworks") as temp:
            (temp / "README.txt").write_text(FRAMEWORKS_NOTE, encoding="utf-8")
    except OSError as exc:
        print(f"init: cannot write {dest}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(
        f"Copied {counts['vignettes']} vignettes and {counts['answer_keys']} answer keys from "
        f"{source} to {dest}.\nPoint arms-training at it (in the shell that runs serve, and in "
        f"its service file):\n\n    export {CONTENT_ENV}={dest.resolve()}\n\nthen check it with "
        "`arms-training validate`. Answer keys must stay outside the notebook folders the "
        "servers serve; this folder is not one of them."
    )
    return 0
