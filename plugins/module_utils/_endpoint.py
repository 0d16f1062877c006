# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where requests go: the endpoint of a region, and endpoint URLs checked and shown without secrets."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError

LOOPBACK_NAMES = frozenset(("localhost", "localhost."))
_REGION_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def endpoint_for_region(region: str) -> str:
    """The public fnf endpoint of a region (the service uses region-first host names)."""
    if not region or not _REGION_PATTERN.match(region):
        raise ConfigurationError("region", "{0!r} is not a region id such as cn-hangzhou.".format(region))
    return "https://{0}.fnf.aliyuncs.com".format(region)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown_endpoint(endpoint: str) -> str:
    """The endpoint for an error message, without user info or query, which may hold secrets."""
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return "an unparsable URL"
    netloc = parts.netloc.rpartition("@")[2]
    shown = "{0}://{1}{2}".format(parts.scheme, netloc, parts.path) if parts.scheme else endpoint.split("?")[0].rpartition("@")[2]
    return shown + ("?..." if parts.query else "")


def validate_endpoint(endpoint: str, option: str = "endpoint") -> str:
    """The normalised base URL (scheme://host[:port]); https, or plain http to a loopback host only."""
    text = (endpoint or "").strip()
    shown = _shown_endpoint(text)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigurationError(option, "is not a valid URL (got {0}).".format(shown))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(option, "must be a URL like https://cn-hangzhou.fnf.aliyuncs.com (got {0}).".format(shown))
    if "@" in parts.netloc:
        raise ConfigurationError(option, "must not contain user information (got {0}).".format(shown))
    if parts.path not in ("", "/"):
        raise ConfigurationError(option, "must not have a path; the API is always served at / (got {0}).".format(shown))
    if parts.query or parts.fragment:
        raise ConfigurationError(option, "must not have a query or fragment (got {0}).".format(shown))
    host = parts.hostname
    if scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            option, "plain http:// is only allowed for loopback hosts (got {0}); use https:// for anything else.".format(shown)
        )
    shown_host = "[{0}]".format(host) if ":" in host else host
    return "{0}://{1}{2}".format(scheme, shown_host.lower(), ":{0}".format(port) if port is not None else "")


def endpoint_label(url: str) -> str:
    """scheme://host[:port] of a URL, for messages: no user info, path or query (a signed query holds secrets)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return "an unparsable URL"
    if not parts.scheme or not host:
        return "an unparsable URL"
    shown_host = "[{0}]".format(host) if ":" in host else host
    return "{0}://{1}{2}".format(parts.scheme.lower(), shown_host, ":{0}".format(port) if port is not None else "")
