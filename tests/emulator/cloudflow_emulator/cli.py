# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: `python -m cloudflow_emulator --port 0` (see docs/architecture.md)."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import socket
import sys
from typing import Any, Dict, List, Optional

import uvicorn

from .app import create_app
from .settings import SettingsError, defaults, merge

URL_PREFIX = "CLOUDFLOW_EMULATOR_URL="


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cloudflow-emulator",
                                description="Local CloudFlow (fnf 2019-03-15) API emulator")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    p.add_argument("--url-file", help="also write the bare URL to this file")
    p.add_argument("--quota-scale", type=float, help="multiply every rate-limit bucket")
    p.add_argument("--no-quotas", action="store_true", help="disable rate limiting")
    p.add_argument("--no-verify-time", action="store_true",
                   help="disable the timestamp-skew and nonce-replay checks")
    p.add_argument("--config", help="JSON file with initial settings")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="private key for --tls-cert (PEM)")
    p.add_argument("--log-level", default="warning",
                   choices=["critical", "error", "warning", "info", "debug", "trace"])
    return p


def initial_settings(args: argparse.Namespace) -> Dict[str, Any]:
    settings: Dict[str, Any] = {}
    if args.config:
        with open(args.config, encoding="utf-8") as fh:
            loaded = json.load(fh)
        merge(defaults(), loaded)  # validate early for a clear message
        settings.update(loaded)
    if args.quota_scale is not None:
        settings["quota_scale"] = args.quota_scale
    if args.no_quotas:
        settings["quotas_enabled"] = False
    if args.no_verify_time:
        settings["check_timestamp"] = False
        settings["check_nonce"] = False
    merge(defaults(), settings)
    return settings


class EmulatorServer(uvicorn.Server):
    """uvicorn server that announces its URL once it accepts connections, wakes long-polls
    on shutdown and exits with status 0 on SIGTERM / SIGINT."""

    def __init__(self, config: uvicorn.Config, url: str, url_file: Optional[str],
                 app: Any) -> None:
        super().__init__(config)
        self.url = url
        self.url_file = url_file
        self.emulator_app = app
        self.loop: Optional[asyncio.AbstractEventLoop] = None

    async def startup(self, sockets: Optional[List[socket.socket]] = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)
        if self.should_exit:
            return
        self.emulator_app.state.emulator.start_background()  # the schedule ticker
        if self.url_file:
            with open(self.url_file, "w", encoding="utf-8") as fh:
                fh.write(self.url + "\n")
        sys.stdout.write(URL_PREFIX + self.url + "\n")
        sys.stdout.flush()

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True
        if self.loop is not None:
            emulator = self.emulator_app.state.emulator
            try:
                self.loop.call_soon_threadsafe(emulator.shutdown)
            except RuntimeError:
                pass


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        print("--tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    try:
        settings = initial_settings(args)
    except (OSError, ValueError, SettingsError) as exc:
        print("bad settings: %s" % exc, file=sys.stderr)
        return 2
    app = create_app(settings)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print("cannot bind %s:%s: %s" % (args.host, args.port, exc), file=sys.stderr)
        return 2
    sock.listen(128)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    scheme = "https" if args.tls_cert else "http"
    host = "[%s]" % args.host if ":" in args.host else args.host
    url = "%s://%s:%d" % (scheme, host, port)
    config = uvicorn.Config(
        app, log_level=args.log_level, access_log=args.log_level in ("debug", "trace"),
        ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key, lifespan="off",
        timeout_graceful_shutdown=5, http="h11",
        # let oversized query strings reach the app, which answers 400 EntityTooLarge
        h11_max_incomplete_event_size=4 * 1024 * 1024,
    )
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("uvicorn.error").setLevel(args.log_level.upper()
                                                if args.log_level != "trace" else "DEBUG")
    server = EmulatorServer(config, url, args.url_file, app)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0
