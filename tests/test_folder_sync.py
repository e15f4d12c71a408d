"""A run's files reach the disk before its folder replaces the earlier one.

:func:`siting.outputs.write_folder` writes every file, then syncs them all at once; a file
the disk cannot sync is refused by name and the earlier folder stays as it was.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from siting.outputs import WriteError, write_folder


def test_every_file_is_synced_before_the_folder_is_swapped_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")).name)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = write_folder(tmp_path / "plan", {f"f{i}.csv": f"a\n{i}\n" for i in range(13)})
    assert sorted(n for n in synced if n.endswith(".csv")) == sorted(f"f{i}.csv" for i in range(13))
    assert (out / "f12.csv").read_text() == "a\n12\n"


def test_a_file_the_disk_cannot_sync_is_named_and_the_earlier_folder_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_folder(tmp_path / "plan", {"solution.json": "{}\n", "a.csv": "old\n"})
    real = os.fsync

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("b.csv"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(WriteError) as caught:
        write_folder(tmp_path / "plan", {"solution.json": "{}\n", "a.csv": "new\n", "b.csv": "b\n",
                                          "c.csv": "c\n"})
    assert "b.csv: could not be written (Input/output error)" in str(caught.value)
    assert "is as it was" in str(caught.value)
    assert (tmp_path / "plan" / "a.csv").read_text() == "old\n"
    assert not (tmp_path / "plan" / "b.csv").exists()
