# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import socket
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _connection, _request
from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import Credentials, resolve_credentials
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ConfigurationError, CredentialsError
from ansible_collections.seed.cloudflow.plugins.module_utils._retry import RetryPolicy
from ansible_collections.seed.cloudflow.plugins.module_utils._signing import rpc_signature
from ansible_collections.seed.cloudflow.plugins.module_utils._transport import USER_AGENT, Transport
from ansible_collections.seed.cloudflow.tests.unit.plugins.mock_http import RecordedClients, Sleeps, certificate_failure

NO_METADATA = {"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"}
NO_OPTIONS = {}  # type: t.Dict[str, t.Optional[str]]
SOURCE_KEY_ID = "LTAI5tSourceKeyId"
SOURCE_SECRET = "SourceSecretValue0123456789"
ROLE_ARN = "acs:ram::1234567890:role/cloudflow-operator"
METADATA_TOKEN = "metadata-token-abc"
ROLE_NAME = "EcsCloudFlowRole"
ENDPOINT = "http://127.0.0.1:9"


def params(**given: t.Any) -> t.Dict[str, t.Any]:
    """The connection options as AnsibleModule hands them over: every option present, defaults applied; an endpoint,
    so that a region is not required."""
    values = {name: option.get("default") for name, option in _connection.argument_spec().items()}
    values["endpoint"] = ENDPOINT
    values.update(given)
    return values


def chain(
    options: t.Mapping[str, t.Any],
    *,
    environ: t.Mapping[str, str],
    config_path: str,
    http: t.Optional[Transport] = None,
    **sources: t.Any,
) -> t.Tuple[Credentials, t.Optional[str]]:
    """What a module run does: the connection resolved once from the options and the environment, then the credential
    chain over the module's Transport (one attempt per request, as with retries: 0, unless a test passes its own).
    Returns (credentials, region)."""
    connection = _connection.resolve(params(**options), environ=environ, config_path=config_path)
    transport = http or Transport(timeout=5.0, retry=RetryPolicy(max_retries=0))
    try:
        return resolve_credentials(connection, transport, environ=environ, config_path=config_path, **sources), connection.region
    finally:
        if http is None:
            transport.close()


# --- fake servers on 127.0.0.1 --------------------------------------------------------------


class RecordedRequest(t.NamedTuple):
    method: str
    path: str
    headers: t.Dict[str, str]


class FakeServer:
    """An http.server in a thread; subclasses answer through respond()."""

    def __init__(self) -> None:
        self.requests = []  # type: t.List[RecordedRequest]
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                owner.requests.append(RecordedRequest(self.command, self.path, {name.lower(): value for name, value in self.headers.items()}))
                status, body = owner.respond(self.command, self.path, {name.lower(): value for name, value in self.headers.items()})
                payload = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _handle
            do_PUT = _handle

            def log_message(self, *args: t.Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:{0}".format(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def respond(self, method: str, path: str, headers: t.Dict[str, str]) -> t.Tuple[int, str]:
        raise NotImplementedError

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeMetadata(FakeServer):
    """ECS metadata service: optional token protection, one attached role."""

    def __init__(self, *, token_supported: bool = True, token_required: bool = False, role: t.Optional[str] = ROLE_NAME, code: str = "Success") -> None:
        super().__init__()
        self.token_supported = token_supported
        self.token_required = token_required
        self.role = role
        self.code = code

    def respond(self, method: str, path: str, headers: t.Dict[str, str]) -> t.Tuple[int, str]:
        if method == "PUT" and path == "/latest/api/token":
            if not self.token_supported or headers.get("x-aliyun-ecs-metadata-token-ttl-seconds") != "21600":
                return 403, "forbidden"
            return 200, METADATA_TOKEN
        if self.token_required and headers.get("x-aliyun-ecs-metadata-token") != METADATA_TOKEN:
            return 401, "token required"
        if path == "/latest/meta-data/ram/security-credentials/":
            return (200, self.role + "\n") if self.role else (404, "not found")
        if self.role and path == "/latest/meta-data/ram/security-credentials/" + self.role:
            return 200, json.dumps(
                {
                    "AccessKeyId": "STS.EcsKeyId",
                    "AccessKeySecret": "EcsRoleSecret",
                    "SecurityToken": "EcsRoleToken",
                    "Expiration": "2030-01-01T00:00:00Z",
                    "Code": self.code,
                }
            )
        return 404, "not found"


class FakeSts(FakeServer):
    """STS AssumeRole that checks the RPC V1 signature like the real service."""

    def __init__(self, secrets: t.Dict[str, str]) -> None:
        super().__init__()
        self.secrets = secrets
        self.params = []  # type: t.List[t.Dict[str, str]]

    def respond(self, method: str, path: str, headers: t.Dict[str, str]) -> t.Tuple[int, str]:
        parts = urlsplit(path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.params.append(params)
        signature = params.pop("Signature", "")
        secret = self.secrets.get(params.get("AccessKeyId", ""))
        if secret is None:
            return 404, json.dumps({"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.", "RequestId": "STS-R1"})
        if method != "GET" or parts.path != "/" or signature != rpc_signature("GET", params, secret):
            return 400, json.dumps({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched.", "RequestId": "STS-R2"})
        return 200, json.dumps(
            {
                "RequestId": "STS-OK",
                "AssumedRoleUser": {"Arn": params["RoleArn"] + "/" + params["RoleSessionName"]},
                "Credentials": {
                    "AccessKeyId": "STS.RoleKeyId",
                    "AccessKeySecret": "RoleSecret",
                    "SecurityToken": "RoleToken",
                    "Expiration": "2030-01-01T00:00:00Z",
                },
            }
        )


def closed_port_url() -> str:
    """A loopback URL where nothing listens, so connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return "http://127.0.0.1:{0}".format(port)


def write_config(tmp_path: Path, profiles: t.List[t.Dict[str, t.Any]], current: t.Optional[str] = "default") -> str:
    path = tmp_path / "config.json"
    document = {"profiles": profiles, "meta_path": ""}  # type: t.Dict[str, t.Any]
    if current is not None:
        document["current"] = current
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def ak_profile(name: str, key_id: str, secret: str = "secret-" + "x" * 8, region: str = "cn-shanghai", **fields: t.Any) -> t.Dict[str, t.Any]:
    profile = {"name": name, "mode": "AK", "access_key_id": key_id, "access_key_secret": secret, "region_id": region, "sts_token": ""}
    profile.update(fields)
    return profile


@pytest.fixture
def missing_config(tmp_path: Path) -> str:
    return str(tmp_path / "absent" / "config.json")


# --- options and environment ----------------------------------------------------------------


def test_options_win_over_environment(missing_config: str) -> None:
    environ = dict(NO_METADATA, ALIBABA_CLOUD_ACCESS_KEY_ID="env-id", ALIBABA_CLOUD_ACCESS_KEY_SECRET="env-secret")
    credentials, region = chain(
        {"access_key_id": "opt-id", "access_key_secret": "opt-secret", "security_token": "opt-token", "region": "cn-beijing"},
        environ=environ,
        config_path=missing_config,
    )
    assert credentials == Credentials("opt-id", "opt-secret", "opt-token", credentials.source)
    assert "option" in credentials.source
    assert region == "cn-beijing"


def test_new_environment_family_wins_over_old(missing_config: str) -> None:
    environ = dict(
        NO_METADATA,
        ALIBABA_CLOUD_ACCESS_KEY_ID="new-id",
        ALIBABA_CLOUD_ACCESS_KEY_SECRET="new-secret",
        ALIBABA_CLOUD_SECURITY_TOKEN="new-token",
        ALICLOUD_ACCESS_KEY="old-id",
        ALICLOUD_SECRET_KEY="old-secret",
    )
    credentials, _region = chain(NO_OPTIONS, environ=environ, config_path=missing_config)
    assert (credentials.access_key_id, credentials.access_key_secret, credentials.security_token) == ("new-id", "new-secret", "new-token")
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in credentials.source


def test_old_environment_family(missing_config: str) -> None:
    environ = dict(NO_METADATA, ALICLOUD_ACCESS_KEY="old-id", ALICLOUD_SECRET_KEY="old-secret", ALICLOUD_SECURITY_TOKEN="old-token")
    credentials, _region = chain(NO_OPTIONS, environ=environ, config_path=missing_config)
    assert (credentials.access_key_id, credentials.access_key_secret, credentials.security_token) == ("old-id", "old-secret", "old-token")
    assert "ALICLOUD_ACCESS_KEY" in credentials.source


def test_environment_wins_over_profile(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [ak_profile("default", "profile-id")])
    environ = dict(NO_METADATA, ALICLOUD_ACCESS_KEY="old-id", ALICLOUD_SECRET_KEY="old-secret")
    credentials, region = chain(NO_OPTIONS, environ=environ, config_path=config_path)
    assert credentials.access_key_id == "old-id"
    assert region == "cn-shanghai"


def test_explicit_profile_option_wins_over_environment(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [ak_profile("default", "default-id"), ak_profile("production", "production-id")])
    environ = dict(NO_METADATA, ALIBABA_CLOUD_ACCESS_KEY_ID="env-id", ALIBABA_CLOUD_ACCESS_KEY_SECRET="env-secret")
    options = dict(NO_OPTIONS, profile="production")
    credentials, _region = chain(options, environ=environ, config_path=config_path)
    assert credentials.access_key_id == "production-id"


def test_empty_values_count_as_unset(missing_config: str) -> None:
    environ = dict(
        NO_METADATA, ALIBABA_CLOUD_ACCESS_KEY_ID="", ALIBABA_CLOUD_ACCESS_KEY_SECRET=" ", ALICLOUD_ACCESS_KEY="old-id", ALICLOUD_SECRET_KEY="old-secret",
        ALIBABA_CLOUD_REGION_ID=" ", ALICLOUD_REGION="us-west-1",
    )
    credentials, region = chain({"profile": " ", "region": ""}, environ=environ, config_path=missing_config)
    assert credentials.access_key_id == "old-id"
    assert credentials.security_token is None
    assert region == "us-west-1"


@pytest.mark.parametrize("options, blank", [
    ({"access_key_id": "", "access_key_secret": "opt-secret"}, "access_key_id"),
    ({"access_key_id": "opt-id", "access_key_secret": " "}, "access_key_secret"),
])
def test_half_a_key_pair_set_in_the_task_fails_naming_the_blank_one(missing_config: str, options: t.Dict[str, str], blank: str) -> None:
    # The task set one half of the pair: the blank other half is an error, not a reason to look at the environment.
    environ = dict(NO_METADATA, ALICLOUD_ACCESS_KEY="old-id", ALICLOUD_SECRET_KEY="old-secret")
    with pytest.raises(ConfigurationError) as raised:
        chain(options, environ=environ, config_path=missing_config)
    assert raised.value.option == blank and "is empty while" in str(raised.value)
    assert "opt-secret" not in str(raised.value)


def test_a_key_pair_blank_on_both_sides_counts_as_unset(missing_config: str) -> None:
    environ = dict(NO_METADATA, ALICLOUD_ACCESS_KEY="old-id", ALICLOUD_SECRET_KEY="old-secret")
    credentials, _region = chain({"access_key_id": "", "access_key_secret": " "}, environ=environ, config_path=missing_config)
    assert credentials.access_key_id == "old-id"


HALF_SECRET = "secret-value-123"
HALF_TOKEN = "token-value-456"


# A secret or a token set in the task without its key id is refused by AnsibleModule (REQUIRED_TOGETHER, REQUIRED_BY)
# before resolve() runs: test_connection_options checks those.
@pytest.mark.parametrize(
    "options, environ, missing",
    [
        ({"access_key_id": "id"}, {}, "access_key_secret"),
        ({}, {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id"}, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        ({}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": HALF_SECRET}, "ALIBABA_CLOUD_ACCESS_KEY_ID"),
        ({}, {"ALICLOUD_ACCESS_KEY": "id"}, "ALICLOUD_SECRET_KEY"),
        ({}, {"ALICLOUD_SECRET_KEY": HALF_SECRET}, "ALICLOUD_ACCESS_KEY"),
        ({}, {"ALICLOUD_SECURITY_TOKEN": HALF_TOKEN}, "ALICLOUD_SECURITY_TOKEN"),
        # A half pair is never skipped, even when a later source is complete.
        ({}, {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALICLOUD_ACCESS_KEY": "old-id", "ALICLOUD_SECRET_KEY": HALF_SECRET}, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        ({"access_key_id": "id"}, {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": HALF_SECRET}, "access_key_secret"),
    ],
)
def test_half_pairs_are_configuration_errors(
    options: t.Dict[str, t.Optional[str]], environ: t.Dict[str, str], missing: str, missing_config: str
) -> None:
    with pytest.raises(ConfigurationError) as raised:
        chain(options, environ=dict(NO_METADATA, **environ), config_path=missing_config)
    assert str(raised.value).startswith(missing + ": ")
    assert HALF_SECRET not in str(raised.value) and HALF_TOKEN not in str(raised.value)


# --- aliyun CLI profile file ----------------------------------------------------------------


def test_profile_current_is_used(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [ak_profile("default", "default-id"), ak_profile("dev", "dev-id", region="cn-qingdao")], current="dev")
    credentials, region = chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path)
    assert credentials.access_key_id == "dev-id"
    assert credentials.security_token is None
    assert "dev" in credentials.source and config_path in credentials.source
    assert region == "cn-qingdao"


@pytest.mark.parametrize(
    "options, environ, expected",
    [
        ({"profile": "ops"}, {"ALIBABA_CLOUD_PROFILE": "dev"}, "ops-id"),
        ({}, {"ALIBABA_CLOUD_PROFILE": "dev", "ALICLOUD_PROFILE": "ops"}, "dev-id"),
        ({}, {"ALICLOUD_PROFILE": "ops"}, "ops-id"),
        ({}, {}, "dev-id"),
    ],
)
def test_profile_selection_order(tmp_path: Path, options: t.Dict[str, t.Optional[str]], environ: t.Dict[str, str], expected: str) -> None:
    config_path = write_config(tmp_path, [ak_profile("dev", "dev-id"), ak_profile("ops", "ops-id")], current="dev")
    credentials, _region = chain(options, environ=dict(NO_METADATA, **environ), config_path=config_path)
    assert credentials.access_key_id == expected


def test_profile_default_when_no_current(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [ak_profile("other", "other-id"), ak_profile("default", "default-id")], current=None)
    credentials, _region = chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path)
    assert credentials.access_key_id == "default-id"


def test_profile_sts_token_mode(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [ak_profile("default", "STS.id", mode="StsToken", sts_token="profile-token")])
    credentials, _region = chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path)
    assert (credentials.access_key_id, credentials.security_token) == ("STS.id", "profile-token")


def test_profile_ram_role_arn_mode_assumes_role(tmp_path: Path) -> None:
    profile = ak_profile(
        "default", SOURCE_KEY_ID, SOURCE_SECRET, mode="RamRoleArn", ram_role_arn=ROLE_ARN, ram_session_name="ansible-test", expired_seconds=1800
    )
    config_path = write_config(tmp_path, [profile])
    with FakeSts({SOURCE_KEY_ID: SOURCE_SECRET}) as sts:
        credentials, region = chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path, sts_endpoint=sts.url)
    assert (credentials.access_key_id, credentials.access_key_secret, credentials.security_token) == ("STS.RoleKeyId", "RoleSecret", "RoleToken")
    assert ROLE_ARN in credentials.source
    assert region == "cn-shanghai"
    (params,) = sts.params
    assert params["Action"] == "AssumeRole"
    assert params["Version"] == "2015-04-01"
    assert params["RoleArn"] == ROLE_ARN
    assert params["RoleSessionName"] == "ansible-test"
    assert params["DurationSeconds"] == "1800"
    assert params["SignatureMethod"] == "HMAC-SHA1"


def test_profile_ram_role_arn_failure_names_profile_and_code(tmp_path: Path) -> None:
    profile = ak_profile("default", SOURCE_KEY_ID, "WrongSecretValue123", mode="RamRoleArn", ram_role_arn=ROLE_ARN)
    config_path = write_config(tmp_path, [profile])
    with FakeSts({SOURCE_KEY_ID: SOURCE_SECRET}) as sts, pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path, sts_endpoint=sts.url)
    text = str(raised.value)
    assert "SignatureDoesNotMatch" in text and "STS-R2" in text and "'default'" in text and config_path in text
    assert "WrongSecretValue123" not in text and SOURCE_SECRET not in text
    assert sts.params[0]["RoleSessionName"] == "ansible-seed-cloudflow"
    assert sts.params[0]["DurationSeconds"] == "3600"


def test_profile_ram_role_arn_unreachable_sts(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [ak_profile("default", SOURCE_KEY_ID, SOURCE_SECRET, mode="RamRoleArn", ram_role_arn=ROLE_ARN)])
    with pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path, sts_endpoint=closed_port_url())
    assert "AssumeRole" in str(raised.value) and "ConnectError" in str(raised.value)


def test_profile_ecs_ram_role_mode(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [{"name": "default", "mode": "EcsRamRole", "ram_role_name": ROLE_NAME, "region_id": "cn-zhangjiakou"}])
    with FakeMetadata() as metadata:
        credentials, region = chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path, metadata_url=metadata.url)
    assert (credentials.access_key_id, credentials.access_key_secret, credentials.security_token) == ("STS.EcsKeyId", "EcsRoleSecret", "EcsRoleToken")
    assert region == "cn-zhangjiakou"
    # The role is named by the profile, so the role listing is never asked for.
    assert [request.path for request in metadata.requests] == ["/latest/api/token", "/latest/meta-data/ram/security-credentials/" + ROLE_NAME]


def test_profile_ecs_ram_role_failure_is_an_error(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [{"name": "default", "mode": "EcsRamRole", "ram_role_name": "OtherRole"}])
    with FakeMetadata() as metadata, pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ={}, config_path=config_path, metadata_url=metadata.url)
    assert "EcsRamRole" in str(raised.value) and "OtherRole" in str(raised.value)


@pytest.mark.parametrize(
    "document, options, words",
    [
        ({"current": "default", "profiles": [{"name": "default", "mode": "ChainableRamRoleArn"}]}, {}, "does not support"),
        ({"current": "dev", "profiles": [ak_profile("default", "id")]}, {}, "profile 'dev' was not found"),
        ({"current": "default", "profiles": [ak_profile("default", "id")]}, {"profile": "prod"}, "profile 'prod' was not found"),
        ("{not json", {}, "cannot read"),
        ([1, 2], {}, "JSON object"),
    ],
)
def test_profile_file_problems(tmp_path: Path, document: t.Any, options: t.Dict[str, t.Optional[str]], words: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    with pytest.raises(CredentialsError) as raised:
        chain(options, environ=NO_METADATA, config_path=str(path))
    assert words in str(raised.value)
    assert str(path) in str(raised.value)


def test_requested_profile_without_file(missing_config: str) -> None:
    with pytest.raises(CredentialsError) as raised:
        chain({"profile": "prod"}, environ=NO_METADATA, config_path=missing_config)
    assert "'prod'" in str(raised.value) and missing_config in str(raised.value)


@pytest.mark.parametrize(
    "profile, words",
    [
        (ak_profile("default", ""), "no access_key_id"),
        (ak_profile("default", "id", ""), "no access_key_secret"),
        (ak_profile("default", "id", mode="StsToken"), "no sts_token"),
        (ak_profile("default", "id", mode="RamRoleArn"), "no ram_role_arn"),
    ],
)
def test_incomplete_profiles_are_configuration_errors(tmp_path: Path, profile: t.Dict[str, t.Any], words: str) -> None:
    config_path = write_config(tmp_path, [profile])
    with pytest.raises(ConfigurationError) as raised:
        chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path)
    assert str(raised.value).startswith("profile: ")
    assert words in str(raised.value) and config_path in str(raised.value)


def test_implicit_default_profile_absent_moves_on(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, [ak_profile("other", "id")], current=None)
    with pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ=NO_METADATA, config_path=config_path)
    assert "no Alibaba Cloud credentials found" in str(raised.value)


# --- ECS instance RAM role (step 4) ---------------------------------------------------------


def test_metadata_token_protected_path(missing_config: str) -> None:
    with FakeMetadata(token_required=True) as metadata:
        credentials, region = chain(NO_OPTIONS, environ={}, config_path=missing_config, metadata_url=metadata.url)
    assert credentials.access_key_id == "STS.EcsKeyId" and credentials.security_token == "EcsRoleToken"
    assert ROLE_NAME in credentials.source
    assert region is None
    token_request, listing, role = metadata.requests
    assert (token_request.method, token_request.path) == ("PUT", "/latest/api/token")
    assert token_request.headers["x-aliyun-ecs-metadata-token-ttl-seconds"] == "21600"
    assert listing.path == "/latest/meta-data/ram/security-credentials/"
    assert role.path == "/latest/meta-data/ram/security-credentials/" + ROLE_NAME
    assert listing.headers["x-aliyun-ecs-metadata-token"] == METADATA_TOKEN
    assert role.headers["x-aliyun-ecs-metadata-token"] == METADATA_TOKEN


def test_metadata_falls_back_to_plain_form(missing_config: str) -> None:
    with FakeMetadata(token_supported=False) as metadata:
        credentials, _region = chain(NO_OPTIONS, environ={}, config_path=missing_config, metadata_url=metadata.url)
    assert credentials.access_key_secret == "EcsRoleSecret"
    assert [request.method for request in metadata.requests] == ["PUT", "GET", "GET"]
    assert all("x-aliyun-ecs-metadata-token" not in request.headers for request in metadata.requests[1:])


@pytest.mark.parametrize("switch", ["true", "TRUE", "True"])
def test_metadata_plain_form_can_be_forbidden(missing_config: str, switch: str) -> None:
    with FakeMetadata(token_supported=False) as metadata, pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ={"ALIBABA_CLOUD_IMDSV1_DISABLED": switch}, config_path=missing_config, metadata_url=metadata.url)
    assert "ALIBABA_CLOUD_IMDSV1_DISABLED" in str(raised.value)
    assert [request.method for request in metadata.requests] == ["PUT"]


def test_metadata_role_name_from_environment(missing_config: str) -> None:
    with FakeMetadata() as metadata:
        chain(NO_OPTIONS, environ={"ALIBABA_CLOUD_ECS_METADATA": ROLE_NAME}, config_path=missing_config, metadata_url=metadata.url)
    assert [request.path for request in metadata.requests] == ["/latest/api/token", "/latest/meta-data/ram/security-credentials/" + ROLE_NAME]


@pytest.mark.parametrize("switch", ["true", "TRUE", "True"])
def test_metadata_disabled_switch(missing_config: str, switch: str) -> None:
    with FakeMetadata() as metadata, pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ={"ALIBABA_CLOUD_ECS_METADATA_DISABLED": switch}, config_path=missing_config, metadata_url=metadata.url)
    assert metadata.requests == []
    assert "skipped" in str(raised.value)


@pytest.mark.parametrize(
    "server_options, words",
    [({"role": None}, "no RAM role is attached"), ({"code": "Failed"}, "could not be read")],
)
def test_metadata_without_usable_role(missing_config: str, server_options: t.Dict[str, t.Any], words: str) -> None:
    with FakeMetadata(**server_options) as metadata, pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ={}, config_path=missing_config, metadata_url=metadata.url)
    assert words in str(raised.value)


def test_nothing_found_lists_sources_and_fix(missing_config: str) -> None:
    metadata_url = closed_port_url()
    with pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ={}, config_path=missing_config, metadata_url=metadata_url)
    text = str(raised.value)
    for words in ("module options", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY", missing_config, "not present", metadata_url, "aliyun configure"):
        assert words in text


# --- region ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, environ, expected",
    [
        ({"region": "cn-beijing"}, {"ALIBABA_CLOUD_REGION_ID": "cn-shenzhen", "ALICLOUD_REGION": "us-west-1"}, "cn-beijing"),
        ({}, {"ALIBABA_CLOUD_REGION_ID": "cn-shenzhen", "ALICLOUD_REGION": "us-west-1"}, "cn-shenzhen"),
        ({}, {"ALICLOUD_REGION": "us-west-1"}, "us-west-1"),
        ({}, {}, "cn-shanghai"),
        ({"profile": "bare"}, {}, None),
    ],
)
def test_region_resolution(tmp_path: Path, options: t.Dict[str, t.Optional[str]], environ: t.Dict[str, str], expected: t.Optional[str]) -> None:
    config_path = write_config(tmp_path, [ak_profile("default", "id"), ak_profile("bare", "id", region="")])
    _credentials, region = chain(options, environ=dict(NO_METADATA, **environ), config_path=config_path)
    assert region == expected


def test_region_is_none_without_any_source(missing_config: str) -> None:
    _credentials, region = chain({"access_key_id": "i", "access_key_secret": "s"}, environ=NO_METADATA, config_path=missing_config)
    assert region is None


def test_credentials_repr_hides_secret_and_token() -> None:
    credentials = Credentials("visible-id", "hidden-secret", "hidden-token", "test")
    for text in (repr(credentials), str(credentials), "{0}".format(credentials)):
        assert "hidden-secret" not in text and "hidden-token" not in text and "visible-id" in text


# --- STS and the metadata service go through the module's Transport ------------------------------


class MockServices:
    """One httpx.MockTransport handler for STS and the metadata service; records requests, answers from a script."""

    def __init__(self, sts_script: t.Sequence[t.Any] = (), metadata: t.Optional[FakeMetadata] = None) -> None:
        self.sts_script = list(sts_script)
        self.metadata = metadata
        self.requests = []  # type: t.List[httpx.Request]
        self.sts_params = []  # type: t.List[t.Dict[str, str]]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "sts.example.test":
            params = dict(request.url.params.multi_items())
            self.sts_params.append(dict(params))
            step = self.sts_script.pop(0) if len(self.sts_script) > 1 else self.sts_script[0]
            if isinstance(step, BaseException):
                raise step
            signature = params.pop("Signature", "")
            if signature != rpc_signature(request.method, params, SOURCE_SECRET):
                return httpx.Response(400, json={"Code": "SignatureDoesNotMatch", "Message": "no", "RequestId": "STS-BAD"})
            return step
        assert self.metadata is not None
        status, body = self.metadata.respond(request.method, request.url.raw_path.decode("ascii"), {k.lower(): v for k, v in request.headers.items()})
        return httpx.Response(status, text=body)


def sts_ok() -> httpx.Response:
    role_keys = {"AccessKeyId": "STS.RoleKeyId", "AccessKeySecret": "RoleSecret", "SecurityToken": "RoleToken"}
    return httpx.Response(200, json={"RequestId": "STS-OK", "Credentials": role_keys})


def ram_role_config(tmp_path: Path) -> str:
    return write_config(tmp_path, [ak_profile("default", SOURCE_KEY_ID, SOURCE_SECRET, mode="RamRoleArn", ram_role_arn=ROLE_ARN)])


def module_transport(monkeypatch: pytest.MonkeyPatch, services: MockServices, **options: t.Any) -> Transport:
    """A Transport like the module's, whose requests go to services."""
    RecordedClients(monkeypatch, services)
    options.setdefault("timeout", 7.5)
    options.setdefault("sleep", Sleeps())
    return Transport(**options)


def test_sts_assume_role_uses_the_module_transport(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    signed = []  # type: t.List[str]
    real_signature = _request.rpc_signature

    def spy(method: str, params: t.Mapping[str, str], secret: str) -> str:
        signed.append(params["Action"])
        return real_signature(method, params, secret)

    # The one signing path: _request's, the same the fnf API requests use.
    monkeypatch.setattr(_request, "rpc_signature", spy)
    services = MockServices([sts_ok()])
    with module_transport(monkeypatch, services) as http:
        credentials, _region = chain(
            NO_OPTIONS, environ=NO_METADATA, config_path=ram_role_config(tmp_path), sts_endpoint="https://sts.example.test", http=http
        )
    assert credentials.access_key_id == "STS.RoleKeyId"
    assert signed == ["AssumeRole"]
    (request,) = services.requests
    assert request.method == "GET" and str(request.url).startswith("https://sts.example.test/?")
    assert request.extensions["timeout"] == {"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}
    assert request.headers["user-agent"] == USER_AGENT
    assert services.sts_params[0]["Version"] == "2015-04-01"


def test_sts_assume_role_follows_the_retry_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    throttled = httpx.Response(503, json={"Code": "ServiceUnavailable", "Message": "busy", "RequestId": "STS-503"})
    services = MockServices([httpx.ConnectError("refused"), throttled, sts_ok()])
    sleeps = Sleeps()
    with module_transport(monkeypatch, services, retry=RetryPolicy(max_retries=2), sleep=sleeps) as http:
        credentials, _region = chain(
            NO_OPTIONS, environ=NO_METADATA, config_path=ram_role_config(tmp_path), sts_endpoint="https://sts.example.test", http=http
        )
    assert credentials.security_token == "RoleToken"
    assert len(services.requests) == 3 and len(sleeps.delays) == 2
    # Every attempt is signed afresh (the gateway refuses a nonce it has seen).
    assert len({params["SignatureNonce"] for params in services.sts_params}) == 3


def test_sts_transport_failure_names_the_endpoint_and_action(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = MockServices([httpx.ConnectTimeout("timed out")])
    with module_transport(monkeypatch, services, retry=RetryPolicy(max_retries=1)) as http, pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ=NO_METADATA, config_path=ram_role_config(tmp_path), sts_endpoint="https://sts.example.test", http=http)
    text = str(raised.value)
    assert "AssumeRole failed: could not reach https://sts.example.test after 2 attempts: ConnectTimeout" in text
    assert SOURCE_SECRET not in text and "Signature" not in text


def test_sts_certificate_failure_is_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = MockServices([certificate_failure()])
    with module_transport(monkeypatch, services, retry=RetryPolicy(max_retries=5)) as http, pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ=NO_METADATA, config_path=ram_role_config(tmp_path), sts_endpoint="https://sts.example.test", http=http)
    assert len(services.requests) == 1
    assert "validate_certs" in str(raised.value)


def test_metadata_requests_use_the_module_transport(missing_config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    services = MockServices(metadata=FakeMetadata(token_required=True))
    with module_transport(monkeypatch, services, timeout=12) as http:
        credentials, _region = chain(
            NO_OPTIONS, environ={}, config_path=missing_config, metadata_url="http://100.100.100.200", http=http
        )
    assert credentials.access_key_id == "STS.EcsKeyId"
    assert [(request.method, request.url.path) for request in services.requests] == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/ram/security-credentials/"),
        ("GET", "/latest/meta-data/ram/security-credentials/" + ROLE_NAME),
    ]
    for request in services.requests:
        # The module's timeout; only the connect phase is cut short, since off ECS nothing answers there.
        assert request.extensions["timeout"] == {"connect": 1.0, "read": 12, "write": 12, "pool": 12}
        assert request.headers["user-agent"] == USER_AGENT


def test_metadata_is_not_retried_and_names_its_endpoint(missing_config: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []  # type: t.List[httpx.Request]

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        raise httpx.ConnectError("[Errno 113] No route to host")

    RecordedClients(monkeypatch, refuse)
    http = Transport(timeout=5, retry=RetryPolicy(max_retries=6), sleep=Sleeps())
    with http, pytest.raises(CredentialsError) as raised:
        chain(NO_OPTIONS, environ={}, config_path=missing_config, metadata_url="http://100.100.100.200", http=http)
    # The token request, then the role listing in the plain form: one attempt each.
    assert [request.method for request in seen] == ["PUT", "GET"]
    assert "could not reach http://100.100.100.200 after 1 attempt: ConnectError" in str(raised.value)


@pytest.mark.parametrize("validate_certs", [True, False])
def test_validate_certs_reaches_sts_and_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validate_certs: bool) -> None:
    services = MockServices([sts_ok()], metadata=FakeMetadata())
    clients = RecordedClients(monkeypatch, services)
    http = Transport(timeout=9, validate_certs=validate_certs)
    with http:
        chain(NO_OPTIONS, environ=NO_METADATA, config_path=ram_role_config(tmp_path), sts_endpoint="https://sts.example.test", http=http)
        chain(NO_OPTIONS, environ={}, config_path=str(tmp_path / "none.json"), metadata_url="https://metadata.example.test", http=http)
    assert [request.url.host for request in services.requests] == ["sts.example.test"] + ["metadata.example.test"] * 3
    # One https client, shared by both, built with the module's certificate option.
    assert [options["verify"] for options in clients.options] == [validate_certs]


# --- region without any request ------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, environ, expected",
    [
        ({"region": "cn-beijing"}, {"ALIBABA_CLOUD_REGION_ID": "cn-shenzhen"}, "cn-beijing"),
        ({}, {"ALIBABA_CLOUD_REGION_ID": " ", "ALICLOUD_REGION": "us-west-1"}, "us-west-1"),
        ({}, {}, "cn-shanghai"),
        ({}, {"ALIBABA_CLOUD_PROFILE": "bare"}, None),
        ({"profile": "bare"}, {}, None),
    ],
)
def test_resolve_region_reads_only_local_sources(
    tmp_path: Path, options: t.Dict[str, t.Optional[str]], environ: t.Dict[str, str], expected: t.Optional[str]
) -> None:
    config_path = write_config(tmp_path, [ak_profile("default", "id"), ak_profile("bare", "id", region="")])
    # resolve() has no Transport to send with: the region comes from the options, the environment and the profile file.
    assert _connection.resolve(params(**options), environ=environ, config_path=config_path).region == expected
