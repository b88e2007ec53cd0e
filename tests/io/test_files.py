"""Is an output file either its old self or complete, whatever fails while it is written?"""

from __future__ import annotations

import os
import stat

import pytest

from arms_training.io.files import write_atomic


def test_a_new_file_is_written_whole_with_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "new" / "folder" / "table.csv", b"a,b\n1,2\n")
    finally:
        os.umask(umask)
    assert path.read_bytes() == b"a,b\n1,2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(path.parent) == ["table.csv"]


def test_an_existing_file_is_replaced_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "report.html"
    path.write_bytes(b"old")
    path.chmod(0o600)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path, monkeypatch, failing):
    path = tmp_path / "calibration.xlsx"
    path.write_bytes(b"the workbook of an earlier run")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "write":  # half the data reaches the temporary file, then the disk is full
        real = os.fdopen

        class HalfWritten:
            def __init__(self, fh):
                self.fh = fh

            def write(self, data):
                self.fh.write(data[: len(data) // 2])
                self.fh.flush()
                disk_full()

            def __getattr__(self, name):
                return getattr(self.fh, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.fh.close()

        monkeypatch.setattr("arms_training.io.files.os.fdopen", lambda fd, mode: HalfWritten(real(fd, mode)))
    else:
        monkeypatch.setattr(f"arms_training.io.files.os.{failing}", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, b"x" * 100_000)
    assert path.read_bytes() == b"the workbook of an earlier run"
    assert os.listdir(tmp_path) == ["calibration.xlsx"]
