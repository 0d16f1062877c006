# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where requests go: the endpoint of a region, endpoints checked, and endpoints shown without secrets."""

from __future__ import annotations

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._endpoint import endpoint_for_region, endpoint_label, validate_endpoint
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError


@pytest.mark.parametrize(
    "endpoint, normalised",
    [
        ("https://cn-hangzhou.fnf.aliyuncs.com", "https://cn-hangzhou.fnf.aliyuncs.com"),
        ("https://cn-hangzhou.fnf.aliyuncs.com/", "https://cn-hangzhou.fnf.aliyuncs.com"),
        (" HTTPS://CN-Hangzhou.fnf.aliyuncs.com:443/ ", "https://cn-hangzhou.fnf.aliyuncs.com:443"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://127.8.9.10:80/", "http://127.8.9.10:80"),
        ("http://localhost:8123", "http://localhost:8123"),
        ("http://[::1]:8123", "http://[::1]:8123"),
        ("https://10.0.0.5:8443", "https://10.0.0.5:8443"),
    ],
)
def test_valid_endpoints(endpoint: str, normalised: str) -> None:
    assert validate_endpoint(endpoint) == normalised


@pytest.mark.parametrize(
    "endpoint, words",
    [
        ("http://cn-hangzhou.fnf.aliyuncs.com", "only allowed for loopback"),
        ("http://10.0.0.5:8123", "only allowed for loopback"),
        ("http://localhost.example.com", "only allowed for loopback"),
        ("cn-hangzhou.fnf.aliyuncs.com", "must be a URL"),
        ("ftp://example.com", "must be a URL"),
        ("https://", "must be a URL"),
        ("", "must be a URL"),
        ("https://example.com/api", "must not have a path"),
        ("https://example.com/?x=1", "must not have a query"),
        ("https://example.com/#top", "must not have a query or fragment"),
        ("https://user:hunter2secret@example.com", "must not contain user information"),
        ("https://example.com:99999", "not a valid URL"),
    ],
)
def test_invalid_endpoints(endpoint: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        validate_endpoint(endpoint)
    assert str(raised.value).startswith("endpoint: ")
    assert words in str(raised.value)
    assert "hunter2secret" not in str(raised.value)


def test_an_invalid_endpoint_is_blamed_on_where_it_came_from() -> None:
    with pytest.raises(ConfigurationError) as raised:
        validate_endpoint("http://192.168.1.10", "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT")
    assert raised.value.option == "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT"


def test_endpoint_for_region() -> None:
    assert endpoint_for_region("cn-hangzhou") == "https://cn-hangzhou.fnf.aliyuncs.com"
    assert endpoint_for_region("ap-southeast-1") == "https://ap-southeast-1.fnf.aliyuncs.com"
    with pytest.raises(ConfigurationError) as raised:
        endpoint_for_region("evil.com/x")
    assert str(raised.value).startswith("region: ")


@pytest.mark.parametrize(
    "url, shown",
    [
        ("https://cn-hangzhou.fnf.aliyuncs.com/?Signature=abc&AccessKeyId=k", "https://cn-hangzhou.fnf.aliyuncs.com"),
        ("http://127.0.0.1:8443/", "http://127.0.0.1:8443"),
        ("https://user:secret@sts.aliyuncs.com/path?x=1", "https://sts.aliyuncs.com"),
        ("http://[::1]:9000/latest/api/token", "http://[::1]:9000"),
        ("not a url", "an unparsable URL"),
    ],
)
def test_endpoint_label_drops_user_info_path_and_query(url: str, shown: str) -> None:
    assert endpoint_label(url) == shown
