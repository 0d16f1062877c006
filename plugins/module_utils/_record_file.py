# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A JSON file that has to survive the operator: atomic, durable replacement under an exclusive lock.

Every change takes an exclusive lock, re-reads the file, applies the change and writes the result to a temporary
file in the same directory (mode 0600), which is flushed, fsynced and renamed over the file; then the directory is
fsynced so that the rename itself survives a crash. A reader therefore sees the old content or the new one, never
half of either, and two writers never lose each other's change.

The lock is taken on a companion file, ``<path>.lock``: the file itself is replaced by every write, so a lock held
on it would stay with the replaced inode. The lock file is left in place (removing it would let a third writer lock
a new inode while a second still waits on the old one).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import time
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import RecordError

try:
    import fcntl
except ImportError:  # not a POSIX host: the module documents that the record needs one
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".lock"
LOCK_POLL_SECONDS = 0.05


def lock_path(path: str) -> str:
    return path + LOCK_SUFFIX


def check_location(path: str) -> None:
    """Fail now, before anything is changed, if a record cannot be kept at path."""
    if not os.path.isabs(path):
        raise RecordError(path, "the record path must be absolute")
    if os.path.isdir(path):
        raise RecordError(path, "is a directory; give the path of a file in it")
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise RecordError(path, "the directory {0} does not exist".format(directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise RecordError(path, "the directory {0} is not writable by this user".format(directory))
    if fcntl is None:
        raise RecordError(path, "a record file needs a POSIX host (fcntl locks)")


def read_json(path: str) -> t.Optional[dict[str, t.Any]]:
    """The JSON object in the file, or None when there is no file."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RecordError(path, "cannot be read: {0}".format(error.strerror or error))
    try:
        content = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RecordError(path, "is not a JSON file ({0}); it was not written by this collection, or was damaged".format(error))
    if not isinstance(content, dict):
        raise RecordError(path, "holds JSON that is not an object; it was not written by this collection")
    return content


def _fsync_directory(directory: str) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError as error:
        # Some file systems cannot fsync a directory; the rename is still atomic there.
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(descriptor)


def write_json(path: str, content: t.Mapping[str, t.Any]) -> None:
    """Replace the file with content, atomically and durably, mode 0600."""
    directory = os.path.dirname(path)
    data = (json.dumps(content, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        descriptor, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    except OSError as error:
        raise RecordError(path, "cannot be written: {0}".format(error.strerror or error))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync_directory(directory)
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise RecordError(path, "cannot be written: {0}".format(error.strerror or error))


class Lock:
    """An exclusive lock on path's companion lock file, waited for at most timeout seconds."""

    def __init__(
        self,
        path: str,
        timeout: float,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path
        self.timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._descriptor = None  # type: t.Optional[int]

    def __enter__(self) -> Lock:
        name = lock_path(self.path)
        try:
            descriptor = os.open(name, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise RecordError(self.path, "cannot create the lock file {0}: {1}".format(name, error.strerror or error))
        deadline = self._clock() + self.timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(descriptor)
                    raise RecordError(self.path, "cannot lock {0}: {1}".format(name, error.strerror or error))
            if self._clock() >= deadline:
                os.close(descriptor)
                raise RecordError(
                    self.path,
                    "could not lock {0} within {1:g} seconds: another run is writing this record".format(name, self.timeout),
                    hint="wait for the other run to finish, or raise lock_timeout.",
                )
            self._sleep(LOCK_POLL_SECONDS)
        self._descriptor = descriptor
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._descriptor is not None:
            try:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
            finally:
                os.close(self._descriptor)
                self._descriptor = None


def update_json(
    path: str,
    change: t.Callable[[t.Optional[dict[str, t.Any]]], dict[str, t.Any]],
    lock_timeout: float,
) -> dict[str, t.Any]:
    """Under the lock: read the file (None when missing), apply change, write its result; returns what was written."""
    with Lock(path, lock_timeout):
        content = change(read_json(path))
        write_json(path, content)
        return content
