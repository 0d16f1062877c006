# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Module glue: one way for every module to start, open its client, run, and fail.

A module gives run_module its own options, a function that checks them (before any request) and a function that
does the work with the client; the runner checks that httpx is there, resolves the connection once, opens the one
client of the run, and turns every error of the collection into fail_json the same way.
"""

from __future__ import annotations

import traceback
import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.seed.cloudflow.plugins.module_utils import _connection
from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient
from ansible_collections.seed.cloudflow.plugins.module_utils._credentials import resolve_credentials
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, CloudFlowError, ConfigurationError, FailedWithResult
from ansible_collections.seed.cloudflow.plugins.module_utils._quota import RateLimiter
from ansible_collections.seed.cloudflow.plugins.module_utils._transport import HTTPX_IMPORT_ERROR, Transport

Params = t.Dict[str, t.Any]
Result = t.Dict[str, t.Any]


T = t.TypeVar("T")


def one_or_all(name: t.Optional[str], describe: t.Callable[[str], t.Optional[T]], list_all: t.Callable[[], t.Iterable[T]]) -> list[T]:
    """What an info module reads: the one record it is given the name of (none when it does not exist), or all."""
    if name:
        found = describe(name)
        return [found] if found is not None else []
    return list(list_all())


class CloudFlowModule(AnsibleModule):
    """An AnsibleModule with the shared connection options (and their pairing rules) and the collection's way of failing."""

    def __init__(self, argument_spec: dict[str, dict[str, t.Any]], **kwargs: t.Any) -> None:
        spec = _connection.argument_spec()
        spec.update(argument_spec)
        kwargs["required_together"] = list(_connection.REQUIRED_TOGETHER) + list(kwargs.get("required_together") or [])
        kwargs["required_by"] = dict(_connection.REQUIRED_BY, **(kwargs.get("required_by") or {}))
        super().__init__(argument_spec=spec, **kwargs)

    def fail_on_error(self, error: CloudFlowError, subject: t.Optional[str] = None, **result: t.Any) -> t.NoReturn:
        """Fail with the error's complete message, after the subject unless it names an option; a service error also
        carries error (Code, Message, RequestId)."""
        message = str(error)
        if subject and not isinstance(error, ConfigurationError):
            message = "{0}: {1}".format(subject, message)
        if isinstance(error, ApiError):
            result.setdefault("error", error.as_dict())
        self.fail_json(msg=message, **result)

    def fail_unexpected(self, error: Exception) -> t.NoReturn:
        """Last resort: a short message instead of a traceback (which still shows at -vvv)."""
        self.fail_json(msg="Unexpected error ({0}): {1}".format(type(error).__name__, error), exception=traceback.format_exc())


def open_client(module: CloudFlowModule, connection: _connection.Connection) -> CloudFlowClient:
    """The run's one client: its Transport (used by the credential chain too) and its one quota budget per action."""
    http = Transport(timeout=connection.timeout, validate_certs=connection.validate_certs, retry=connection.retry)
    try:
        credentials = resolve_credentials(connection, http)
    except BaseException:
        http.close()
        raise
    # Secrets from the environment, a profile, STS or the metadata service are masked like no_log options.
    module.no_log_values.update(secret for secret in (credentials.access_key_secret, credentials.security_token) if secret)
    return CloudFlowClient(connection.endpoint, credentials, http, RateLimiter(connection.quota_scale))


class Manager:
    """The shape of a module that changes things: it reads the current state once, then decides; every write sits
    behind the check-mode guard, while changed and the diff are still worked out. run() calls ensure_<state>()."""

    def __init__(self, module: CloudFlowModule, client: CloudFlowClient) -> None:
        self.module = module
        self.client = client
        self.params = module.params
        self.check_mode = module.check_mode
        self.diff_mode = module._diff

    def run(self) -> Result:
        ensure = getattr(self, "ensure_" + self.params["state"])
        return t.cast(Result, ensure())


def run_module(
    argument_spec: dict[str, dict[str, t.Any]],
    work: t.Callable[[CloudFlowModule, CloudFlowClient], Result],
    *,
    check: t.Optional[t.Callable[[Params], t.Any]] = None,
    subject: t.Optional[t.Callable[[Params], t.Optional[str]]] = None,
    libraries: t.Sequence[t.Tuple[str, t.Optional[str]]] = (),
    **module_options: t.Any,
) -> None:
    """Run a module: check its libraries and options, resolve the connection, open the client, do the work, exit.

    libraries are (name, import error) pairs of what the module needs besides httpx. subject names what the module
    works on ("Flow 'nightly'"), in front of every failure message that does not name an option. A result with
    failed=true fails the task with the result as it is; FailedWithResult fails with the fields it carries.
    """
    module = CloudFlowModule(argument_spec, **module_options)
    for name, import_error in (("httpx", HTTPX_IMPORT_ERROR),) + tuple(libraries):
        if import_error:
            module.fail_json(msg=missing_required_lib(name), exception=import_error)
    label = subject(module.params) if subject else None
    try:
        if check is not None:
            check(module.params)
        connection = _connection.resolve(module.params)
        with open_client(module, connection) as client:
            result = work(module, client)
    except FailedWithResult as failure:
        fields = dict(failure.result)
        if isinstance(failure.error, ApiError):
            fields.setdefault("error", failure.error.as_dict())
        module.fail_json(msg=str(failure), **fields)
    except CloudFlowError as error:
        module.fail_on_error(error, label)
    except Exception as error:  # pylint: disable=broad-exception-caught
        module.fail_unexpected(error)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
