# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed many schedules through the emulator's control surface; one task per schedule would take minutes.

Usage: seed_schedules.py EMULATOR_URL FLOW_NAME COUNT NAME_PREFIX
"""

from __future__ import annotations

import json
import sys
import urllib.request


def seed(url: str, flow_name: str, count: int, prefix: str) -> None:
    for index in range(count):
        body = {
            "flow_name": flow_name,
            "name": "{0}{1:04d}".format(prefix, index),
            "cron_expression": "0 {0} * * * *".format(index % 60),
            "payload": {"index": index},
            "enable": index % 3 != 0,
        }
        request = urllib.request.Request(
            url.rstrip("/") + "/_emulator/schedules",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec - a loopback test server
            response.read()
    print(json.dumps({"seeded": count}))


if __name__ == "__main__":
    seed(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
