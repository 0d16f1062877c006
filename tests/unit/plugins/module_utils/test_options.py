# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The option checks every module shares."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError
from ansible_collections.seed.cloudflow.plugins.module_utils._options import check_length, check_name, check_positive, json_object_text


@pytest.mark.parametrize("name", ["a", "_", "A", "run-2024_05", "_9-x", "x" * 128])
def test_check_name_accepts_the_service_rule(name: str) -> None:
    check_name("name", name)


@pytest.mark.parametrize("name", ["", "9run", "-run", "run 1", "run.1", "run/1", "r\u00fcn", "x" * 129, "run\n"])
def test_check_name_rejects_and_names_the_option(name: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_name("flow_name", name)
    assert raised.value.option == "flow_name"
    assert str(raised.value).startswith("flow_name: ")
    assert "1-128 characters" in str(raised.value)


def test_check_length_bounds_are_inclusive() -> None:
    check_length("cause", None, 1, 4096)
    check_length("cause", "c", 1, 4096)
    check_length("cause", "c" * 4096, 1, 4096)
    for value in ("", "c" * 4097):
        with pytest.raises(ConfigurationError, match=r"^cause: must be 1 to 4096 characters long; got \d+ characters"):
            check_length("cause", value, 1, 4096)


def test_json_object_text_from_a_dict_is_compact_and_sorted() -> None:
    assert json_object_text("input", {"b": 1, "a": [1, {"c": None}]}) == '{"a":[1,{"c":null}],"b":1}'
    assert json_object_text("input", {}) == "{}"
    assert json_object_text("input", None) is None


def test_json_object_text_keeps_a_json_object_string_as_given() -> None:
    text = '{ "b": 1, "a": 2 }'
    assert json_object_text("input", text) == text


@pytest.mark.parametrize("value, detail", [
    ("[1, 2]", "holds a JSON list"),
    ('"text"', "holds a JSON str"),
    ("42", "holds a JSON int"),
    ("null", "holds a JSON NoneType"),
    ("{'a': 1}", "not JSON"),
    ("", "not JSON"),
    (42, "got int"),
    ([1], "got list"),
    ({"a": {1, 2}}, "cannot be serialised as JSON"),
])
def test_json_object_text_rejects_everything_but_an_object(value: t.Any, detail: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        json_object_text("input", value)
    assert raised.value.option == "input"
    assert detail in str(raised.value)


def test_check_positive_with_and_without_zero() -> None:
    check_positive("timeout", None)
    check_positive("timeout", 0.5)
    check_positive("retries", 0, allow_zero=True)
    with pytest.raises(ConfigurationError, match="^timeout: must be greater than zero; got 0"):
        check_positive("timeout", 0)
    with pytest.raises(ConfigurationError, match="^retries: must be zero or greater; got -1"):
        check_positive("retries", -1, allow_zero=True)
