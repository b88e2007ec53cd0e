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
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (creating missing folders); ``path`` keeps its old content
    until the new one is complete, and on any error no temporary file is left behind.

    Returns the path written. A new file gets the permissions ``open`` would give it (the
    umask applies); an existing one keeps its own.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
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
