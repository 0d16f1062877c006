# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`EmulatorProcess`: run the emulator in a child process and wait until it accepts connections."""
from __future__ import annotations

import os
import signal
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Mapping, Optional, Sequence, Type, Union

from .control import EmulatorControl

PathLike = Union[str, "os.PathLike[str]"]


class EmulatorStartError(RuntimeError):
    """The emulator exited or stayed silent before announcing its URL."""


def _package_parent() -> str:
    return str(Path(__file__).resolve().parent.parent)


def _child_env(extra: Optional[Mapping[str, str]]) -> dict:
    env = dict(os.environ)
    if extra:
        env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    # Let the child import this very copy of the package, even when it is only on sys.path
    # (a checkout) and not installed; an installed copy in site-packages needs nothing.
    parent = _package_parent()
    installed = set(site.getsitepackages()) | {site.getusersitepackages()}
    if parent not in installed:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (parent, env.get("PYTHONPATH")) if p)
    return env


def _url_file_in(args: Sequence[str]) -> Optional[Path]:
    """The caller's own --url-file (argparse keeps the last one, so it would win over ours)."""
    found = None
    for index, arg in enumerate(args):
        if arg == "--url-file" and index + 1 < len(args):
            found = Path(args[index + 1])
        elif arg.startswith("--url-file="):
            found = Path(arg.split("=", 1)[1])
    return found


class EmulatorProcess:
    """`sys.executable -m cloudflow_emulator --port PORT --url-file ... ARGS` in its own process
    group; stdout and stderr go to `log_path` (a temporary file when None).

    `env` adds variables to (or overrides them in) the current environment. Use it as a context
    manager, or call start() and stop().
    """

    def __init__(self, port: int = 0, args: Sequence[str] = (),
                 env: Optional[Mapping[str, str]] = None, log_path: Optional[PathLike] = None,
                 startup_timeout: float = 60.0) -> None:
        self.port = port
        self.args = tuple(args)
        self.env = dict(env) if env else None
        self.startup_timeout = startup_timeout
        self._own_log = log_path is None
        self.log_path: Optional[Path] = Path(log_path) if log_path is not None else None
        self.process: Optional["subprocess.Popen[bytes]"] = None
        self._url: Optional[str] = None
        self._control: Optional[EmulatorControl] = None
        self._workdir: Optional[tempfile.TemporaryDirectory] = None  # type: ignore[type-arg]
        self._log_handle: Optional[IO[bytes]] = None

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> "EmulatorProcess":
        if self.process is not None:
            raise RuntimeError("this emulator process was already started")
        self._workdir = tempfile.TemporaryDirectory(prefix="cloudflow-emulator-")
        url_file = _url_file_in(self.args) or Path(self._workdir.name) / "url"
        if self.log_path is None:
            self.log_path = Path(self._workdir.name) / "emulator.log"
        self._log_handle = open(self.log_path, "wb")
        command = [sys.executable, "-m", "cloudflow_emulator", "--port", str(self.port),
                   "--url-file", str(url_file), *self.args]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log_handle,
            stderr=subprocess.STDOUT, env=_child_env(self.env),
            start_new_session=True)  # own process group: stop() signals the whole group
        try:
            self._url = self._wait_for_url(url_file)
        except BaseException:
            self._terminate(timeout=5.0)
            self._close_files()
            raise
        return self

    def _wait_for_url(self, url_file: Path) -> str:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            # The URL file is written in full (newline-terminated) before the URL line.
            if url_file.exists():
                text = url_file.read_text(encoding="utf-8")
                if text.endswith("\n"):
                    return text.strip()
            code = self.process.poll()
            if code is not None:
                raise EmulatorStartError("the emulator exited with status %s before it was ready; "
                                         "its log:\n%s" % (code, self.log_text()))
            if time.monotonic() >= deadline:
                raise EmulatorStartError("the emulator announced no URL within %s s; its log:\n%s"
                                         % (self.startup_timeout, self.log_text()))
            time.sleep(0.02)

    def _signal_group(self, sig: int) -> None:
        assert self.process is not None
        try:
            if hasattr(os, "killpg"):
                os.killpg(self.process.pid, sig)
            else:  # pragma: no cover - no process groups on this platform
                self.process.send_signal(sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _terminate(self, timeout: float) -> Optional[int]:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=timeout)
        return self.process.returncode

    def _close_files(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def stop(self, timeout: float = 15.0) -> Optional[int]:
        """SIGTERM the process group (SIGKILL after `timeout`); answer the exit status
        (0 after a clean shutdown; None when it was never started)."""
        code = self._terminate(timeout)
        self._close_files()
        return code

    def cleanup(self) -> None:
        """Remove the temporary directory (and with it a log file this object chose)."""
        if self._workdir is not None and self._own_log:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> "EmulatorProcess":
        return self.start()

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.stop()

    # -- views ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the emulator has not been started")
        return self._url

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the emulator has not been started")
        return self.process.pid

    @property
    def returncode(self) -> Optional[int]:
        return None if self.process is None else self.process.poll()

    @property
    def control(self) -> EmulatorControl:
        """An EmulatorControl for this emulator (one per process, closed by stop())."""
        if self._control is None:
            self._control = EmulatorControl(self.url)
        return self._control

    def log_text(self) -> str:
        """Everything the emulator wrote to stdout and stderr so far."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")
