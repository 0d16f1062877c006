# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The record file: atomic, durable, private writes; a bounded lock; no lost update between processes."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import stat
import typing as t
from pathlib import Path

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _record_file
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import RecordError


def test_a_write_replaces_the_file_whole_with_mode_0600_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = str(tmp_path / "window.json")
    _record_file.write_json(path, {"n": 1})
    first_inode = os.stat(path).st_ino
    _record_file.write_json(path, {"n": 2, "text": "caf\u00e9"})
    assert json.loads(Path(path).read_text(encoding="utf-8")) == {"n": 2, "text": "caf\u00e9"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.stat(path).st_ino != first_inode, "written aside and renamed over, never rewritten in place"
    assert sorted(os.listdir(tmp_path)) == ["window.json"]


def test_a_write_fsyncs_the_file_and_then_its_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    _record_file.write_json(str(tmp_path / "window.json"), {"n": 1})
    assert synced == ["file", "dir"]


def test_reading_a_missing_file_is_none_and_a_damaged_one_fails_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "window.json"
    assert _record_file.read_json(str(path)) is None
    path.write_text("{half", encoding="utf-8")
    with pytest.raises(RecordError, match=r"^{0}: is not a JSON file".format(path)):
        _record_file.read_json(str(path))
    path.write_text("[1]", encoding="utf-8")
    with pytest.raises(RecordError, match="not an object"):
        _record_file.read_json(str(path))


@pytest.mark.parametrize("relative, problem", [
    ("window.json", "must be absolute"),
    ("{tmp}/missing/window.json", "does not exist"),
    ("{tmp}", "is a directory"),
])
def test_a_place_where_no_record_can_be_kept_fails_before_anything_else(tmp_path: Path, relative: str, problem: str) -> None:
    path = relative.format(tmp=tmp_path)
    with pytest.raises(RecordError, match=problem) as failure:
        _record_file.check_location(path)
    assert str(failure.value).startswith(path)


def test_a_lock_held_elsewhere_fails_after_the_timeout_naming_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "window.json")
    holder = os.open(_record_file.lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    try:
        with pytest.raises(RecordError) as failure:
            with _record_file.Lock(path, 2.0, clock=lambda: now[0], sleep=sleep):
                pass
    finally:
        os.close(holder)
    assert "could not lock {0}.lock within 2 seconds".format(path) in str(failure.value)
    assert 2.0 <= now[0] < 2.2
    with _record_file.Lock(path, 2.0):  # free again
        pass


def _append_many(path: str, worker: int, count: int) -> None:
    for index in range(count):
        _record_file.update_json(path, lambda content: dict(content or {}, **{"{0}-{1}".format(worker, index): True}), 30.0)


def test_writers_in_several_processes_never_lose_an_update(tmp_path: Path) -> None:
    path = str(tmp_path / "window.json")
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_append_many, args=(path, worker, 25)) for worker in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    content = _record_file.read_json(path)
    assert content is not None and len(content) == 100


def test_an_update_applies_the_change_to_what_is_on_disk_now(tmp_path: Path) -> None:
    path = str(tmp_path / "window.json")
    seen: list[t.Any] = []

    def change(content: t.Optional[dict[str, t.Any]]) -> dict[str, t.Any]:
        seen.append(content)
        return dict(content or {}, n=len(seen))

    _record_file.update_json(path, change, 5.0)
    _record_file.write_json(path, {"other": "writer"})
    assert _record_file.update_json(path, change, 5.0) == {"other": "writer", "n": 2}
    assert seen == [None, {"other": "writer"}]
