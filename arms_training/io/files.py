"""Writing an output file so that it is either complete or not there at all.

A command that fails half-way (a full disk, a figure that cannot be drawn, an interrupt) must
not leave a truncated CSV or workbook where a quality lead would open it, nor spoil the file a
previous run wrote: each file is written to a temporary file in the same folder and moved into
place (``os.replace``, atomic on one file system) only when complete.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["write_atomic", "atomic_file", "atomic_folder"]


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_file(path: str | Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A text file to write ``path`` through, for output too large to hold whole: ``path``
    changes only when the block ends without an error (then as :func:`write_atomic` does)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_name(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """A temporary folder beside ``path`` to fill; renamed to ``path`` (which must not exist)
    when the block ends without an error, removed otherwise."""
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_name(path)
    temp.mkdir()
    try:
        yield temp
        os.rename(temp, path)  # fails, leaving path alone, if someone made path meanwhile
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (creating missing folders); ``path`` keeps its old content
    until the new one is complete, and on any error no temporary file is left behind.

    Returns the path written. A new file gets the permissions ``open`` would give it (the
    umask applies); an existing one keeps its own.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_name(path)
    # O_EXCL: never write through a file (or a link) someone else put at the temporary name.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename, so a crash cannot leave it empty
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return path
