# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake service whose listing never advances its NextToken, for the paging tests."""

from __future__ import annotations

import typing as t


class RepeatingTokenClient:
    """Answers every call of one listing action with the same page and the same NextToken; fails the test after a few calls."""

    def __init__(self, items_key: str, token: str, limit: int = 5) -> None:
        self.items_key = items_key
        self.token = token
        self.limit = limit
        self.calls: list[tuple[str, dict[str, t.Any]]] = []

    def call(self, action: str, params: t.Mapping[str, t.Any], *, read_timeout: t.Optional[float] = None) -> dict[str, t.Any]:
        self.calls.append((action, dict(params)))
        if len(self.calls) > self.limit:
            raise AssertionError("{0} was called {1} times: the listing does not stop".format(action, len(self.calls)))
        return {self.items_key: [{"ScheduleName": "a", "Name": "a"}], "NextToken": self.token, "RequestId": "r"}
