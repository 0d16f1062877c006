# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which failures are worth another attempt, and how long to wait before it (full-jitter backoff, Retry-After)."""

from __future__ import annotations

import random
import typing as t
from dataclasses import dataclass

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import RESOURCE_THROTTLED

RETRYABLE_CODES = frozenset((RESOURCE_THROTTLED, "ServiceUnavailable", "InternalServerError", "ConcurrentUpdateError"))
RETRY_AFTER_HEADER = "x-acs-retry-after"


def is_retryable(http_status: t.Optional[int], code: t.Optional[str]) -> bool:
    """Throttling, server-side failures and update conflicts are worth another try; nothing else."""
    if code and (code in RETRYABLE_CODES or code.startswith("Throttling")):
        return True
    if http_status is None:
        return False
    return http_status == 429 or 500 <= http_status <= 599


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, capped; max_retries counts retries after the first attempt."""

    max_retries: int = 6
    base_delay: float = 0.25
    max_delay: float = 20.0

    def delay(self, retry_number: int, retry_after: t.Optional[float], rng: random.Random) -> float:
        """Seconds to wait before retry number retry_number (0 for the first retry)."""
        # The exponent is bounded so that a huge retry count cannot overflow a float.
        cap = min(self.max_delay, self.base_delay * (2.0 ** min(max(retry_number, 0), 64)))
        wait = rng.uniform(0.0, cap)
        if retry_after is not None and retry_after > 0:
            wait = max(wait, min(float(retry_after), self.max_delay))
        return wait


def retry_after_seconds(response: t.Any) -> t.Optional[float]:
    """The wait the service asks for. The official SDK reads x-acs-retry-after as whole milliseconds."""
    raw = response.headers.get(RETRY_AFTER_HEADER)
    if raw is None:
        return None
    try:
        milliseconds = int(raw.strip())
    except ValueError:
        return None
    return milliseconds / 1000.0 if milliseconds > 0 else None
