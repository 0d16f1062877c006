# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""CloudFlow flow operations, the snake_case shape modules return, and the semantic comparison of flow settings.

A definition is compared by meaning: both sides are loaded as YAML (JSON is YAML), so a dict, a YAML text with
other spacing or key order and a JSON text of the same document are equal. PyYAML is a dependency of ansible-core,
so it is present wherever a module runs.
"""

from __future__ import annotations

import json
import time
import traceback
import typing as t

from ansible_collections.seed.cloudflow.plugins.module_utils._bulk_stop import entry_for, stop_in_progress
from ansible_collections.seed.cloudflow.plugins.module_utils._client import iterate_pages
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import (
    FLOW_ALREADY_EXISTS,
    FLOW_NOT_EXISTS,
    ApiError,
    CloudFlowError,
    ConfigurationError,
    DeleteWaitTimeout,
    FlowBusy,
    FlowRemovalError,
)
from ansible_collections.seed.cloudflow.plugins.module_utils._executions import list_in_progress_executions
from ansible_collections.seed.cloudflow.plugins.module_utils._schedules import delete_schedule, list_schedules

if t.TYPE_CHECKING:
    from ansible_collections.seed.cloudflow.plugins.module_utils._client import CloudFlowClient

# ansible-core depends on PyYAML, so it is there wherever ansible-core is installed; a module that needs it fails with
# missing_required_lib on a target without it.
YAML_IMPORT_ERROR = None  # type: t.Optional[str]
try:
    import yaml
except ImportError:
    yaml = None  # type: ignore[assignment]
    YAML_IMPORT_ERROR = traceback.format_exc()


STANDARD = "Standard"
EXPRESS = "Express"
EXECUTION_MODES = (STANDARD, EXPRESS)
DEFAULT_TYPE = "FDL"

# ListFlows accepts Limit 1 to 999 (one source says 1000); a large page keeps a big account within a few calls of
# the 2-calls-a-second quota.
LIST_FLOWS_PAGE_SIZE = 999

# DeleteFlow returns at once and the flow goes away later. DescribeFlow shares the 2-per-second quota with every
# other flow and schedule call, so the wait polls at most once a second.
DELETE_POLL_INTERVAL = 1.0

# Option name -> the API parameter UpdateFlow takes for it, in the order changes are reported.
UPDATABLE_FIELDS = (
    ("definition", "Definition"),
    ("description", "Description"),
    ("type", "Type"),
    ("role_arn", "RoleArn"),
    ("environment", "Environment"),
)
# Every option CreateFlow takes, in the same order (the execution mode is set on create only). ExternalStorageLocation
# and ResourceGroupId are not managed: DescribeFlow does not return the first, and moving a flow between resource
# groups is not a flow setting this collection models.
OPTION_FIELDS = UPDATABLE_FIELDS[:4] + (("execution_mode", "ExecutionMode"),) + UPDATABLE_FIELDS[4:]


# -- definitions -------------------------------------------------------------------------------------------------------

def load_definition(option: str, value: t.Any) -> dict[str, t.Any]:
    """The definition option as a document: a dict as given, a string loaded as YAML (or JSON, which is YAML)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise ConfigurationError(option, "must be a dict or a YAML or JSON string; got {0}".format(type(value).__name__))
    try:
        document = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise ConfigurationError(option, "is not valid YAML or JSON: {0}".format(" ".join(str(exc).split())))
    if document is None:
        raise ConfigurationError(option, "must hold a mapping (a flow definition document); the text is empty")
    if not isinstance(document, dict):
        raise ConfigurationError(
            option, "must hold a mapping (a flow definition document); the text holds {0}".format(type(document).__name__)
        )
    return document


def load_service_definition(text: t.Any) -> t.Any:
    """The service's definition as a document, or None when it is empty or not YAML (then only equal text matches)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def same_definition(service_text: t.Any, document: t.Any) -> bool:
    """Whether the service's definition text means the same document."""
    loaded = load_service_definition(service_text)
    return loaded is not None and loaded == document


def definition_text(value: t.Any) -> str:
    """What is sent as Definition: a string exactly as written (comments and layout kept), a dict as block YAML."""
    if isinstance(value, str):
        return value
    return dump_yaml(value)


def _represent_text(dumper: t.Any, text: str) -> t.Any:
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


if yaml is not None:
    class _ReadableDumper(yaml.SafeDumper):
        """Block style throughout; multi-line strings as literal blocks, so a definition inside a diff stays readable."""

    _ReadableDumper.add_representer(str, _represent_text)


def dump_yaml(document: t.Any) -> str:
    return yaml.dump(document, Dumper=_ReadableDumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1000)


def readable_definition(text: t.Any) -> str:
    """The service's definition re-emitted in one layout (for diffs), or the text itself when it is not YAML."""
    document = load_service_definition(text)
    if document is None:
        return text if isinstance(text, str) else ""
    return dump_yaml(document)


def check_definition_name(option: str, document: t.Mapping[str, t.Any], flow_name: str) -> None:
    """The service requires a Name inside a definition to be the flow's name."""
    inner = document.get("Name")
    if inner is not None and inner != flow_name:
        raise ConfigurationError(
            option, "names the flow {0!r} (its top-level Name), but the flow is {1!r}; the service requires them to match".format(inner, flow_name)
        )


# -- environment -------------------------------------------------------------------------------------------------------

def environment_from_option(option: str, value: t.Optional[t.Mapping[str, t.Any]]) -> t.Optional[dict[str, str]]:
    """The environment option as name -> text. Numbers become their text; other kinds of values fail."""
    if value is None:
        return None
    variables: dict[str, str] = {}
    for name, variable in value.items():
        if not isinstance(name, str) or not name:
            raise ConfigurationError(option, "variable names must be non-empty strings; got {0!r}".format(name))
        if isinstance(variable, bool) or not isinstance(variable, (str, int, float)):
            raise ConfigurationError(
                option,
                "the value of {0!r} must be a string or a number (the service stores text); got {1}".format(name, type(variable).__name__),
            )
        variables[name] = variable if isinstance(variable, str) else str(variable)
    return variables


def environment_from_service(raw: t.Any) -> dict[str, str]:
    """The service's Environment ({"Variables": [{"Name", "Value", "Description"}]}, or that as JSON text) as name -> value."""
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    variables: dict[str, str] = {}
    for variable in raw.get("Variables") or []:
        if isinstance(variable, dict) and variable.get("Name"):
            variables[variable["Name"]] = variable.get("Value") or ""
    return variables


def environment_descriptions(raw: t.Any) -> dict[str, str]:
    """The per-variable descriptions of the service's Environment, name -> description (non-empty ones only)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    return {
        variable["Name"]: variable["Description"]
        for variable in raw.get("Variables") or []
        if isinstance(variable, dict) and variable.get("Name") and isinstance(variable.get("Description"), str) and variable["Description"]
    }


def environment_document(variables: t.Mapping[str, str], descriptions: t.Optional[t.Mapping[str, str]] = None) -> dict[str, t.Any]:
    """The Environment object; a variable the flow already has keeps the description the service holds for it
    (the option manages values only, and sending the whole set would otherwise drop them)."""
    document = []
    for name in sorted(variables):
        variable = {"Name": name, "Value": variables[name]}
        if descriptions and name in descriptions:
            variable["Description"] = descriptions[name]
        document.append(variable)
    return {"Variables": document}


def environment_text(variables: t.Mapping[str, str], descriptions: t.Optional[t.Mapping[str, str]] = None) -> str:
    """The form field the API takes: the Environment object as JSON text."""
    return json.dumps(environment_document(variables, descriptions), separators=(",", ":"), ensure_ascii=False)


# -- result shape ------------------------------------------------------------------------------------------------------

def normalise_execution_mode(value: t.Any) -> str:
    """The service reports Standard as an empty string."""
    return value or STANDARD


def flow_result(flow: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Turn a service flow record into the snake_case shape every module returns."""
    return {
        "name": flow.get("Name"),
        "id": flow.get("Id") or None,
        "definition": flow.get("Definition"),
        "description": flow.get("Description") or "",
        "type": flow.get("Type") or None,
        "role_arn": flow.get("RoleArn") or None,
        "execution_mode": normalise_execution_mode(flow.get("ExecutionMode")),
        "environment": environment_from_service(flow.get("Environment")),
        "created_time": flow.get("CreatedTime") or None,
        "last_modified_time": flow.get("LastModifiedTime") or None,
    }


def diff_text(flow: t.Optional[t.Mapping[str, t.Any]]) -> str:
    """A flow as YAML for diff mode: the settings a task manages, with the definition as readable text."""
    if flow is None:
        return ""
    shaped = flow_result(flow)
    shown = {
        "name": shaped["name"],
        "description": shaped["description"],
        "type": shaped["type"],
        "role_arn": shaped["role_arn"],
        "execution_mode": shaped["execution_mode"],
        "environment": shaped["environment"],
        "definition": readable_definition(shaped["definition"]),
    }
    return dump_yaml(shown)


# -- desired state -----------------------------------------------------------------------------------------------------

class FlowSpec:
    """The flow settings a task asks for, validated; None means 'not given, leave as it is'."""

    def __init__(
        self,
        name: str,
        definition: t.Any = None,
        description: t.Optional[str] = None,
        type_: t.Optional[str] = None,
        role_arn: t.Optional[str] = None,
        execution_mode: t.Optional[str] = None,
        environment: t.Optional[t.Mapping[str, t.Any]] = None,
    ) -> None:
        self.name = name
        self.document: t.Optional[dict[str, t.Any]] = None
        self.definition_text: t.Optional[str] = None
        if definition is not None:
            self.document = load_definition("definition", definition)
            check_definition_name("definition", self.document, name)
            self.definition_text = definition_text(definition)
        self.description = description
        self.type = type_
        self.role_arn = role_arn
        if execution_mode is not None and execution_mode not in EXECUTION_MODES:
            raise ConfigurationError("execution_mode", "must be one of {0}; got {1!r}".format(", ".join(EXECUTION_MODES), execution_mode))
        self.execution_mode = execution_mode
        self.environment = environment_from_option("environment", environment)

    def create_params(self) -> dict[str, t.Any]:
        """CreateFlow's parameters. Definition, Description and Type are required by the API; an omitted type is FDL."""
        if self.definition_text is None:
            raise ConfigurationError("definition", "is required to create flow {0!r}, which does not exist".format(self.name))
        if self.description is None:
            raise ConfigurationError(
                "description", "is required to create flow {0!r}, which does not exist: the CreateFlow API requires a description".format(self.name)
            )
        return {
            "Name": self.name,
            "Definition": self.definition_text,
            "Description": self.description,
            "Type": self.type or DEFAULT_TYPE,
            "RoleArn": self.role_arn,
            "ExecutionMode": self.execution_mode,
            "Environment": None if self.environment is None else environment_text(self.environment),
        }

    def create_options(self) -> list[str]:
        """The options a create sends, in OPTION_FIELDS order: the ones the task set, and type (FDL when omitted)."""
        sent = self.create_params()
        return [option for option, field in OPTION_FIELDS if sent.get(field) is not None]

    def check_immutable(self, flow: t.Mapping[str, t.Any]) -> None:
        """Fail, before any write, on a change that UpdateFlow cannot make."""
        current = normalise_execution_mode(flow.get("ExecutionMode"))
        if self.execution_mode is not None and self.execution_mode != current:
            raise ConfigurationError(
                "execution_mode",
                "flow {0!r} runs in {1} mode and the service sets the execution mode only when a flow is created; to run it in {2} "
                "mode the flow must be deleted and created again: delete it with state: absent and wait: true (the service deletes "
                "asynchronously, so without wait a create right after can still find the old flow), then create it".format(
                    self.name, current, self.execution_mode),
            )

    def changed_options(self, flow: t.Mapping[str, t.Any]) -> list[str]:
        """The options whose values differ from the service's, in UPDATABLE_FIELDS order."""
        changed = []
        if self.document is not None and not same_definition(flow.get("Definition"), self.document):
            changed.append("definition")
        if self.description is not None and self.description != (flow.get("Description") or ""):
            changed.append("description")
        if self.type is not None and self.type != (flow.get("Type") or ""):
            changed.append("type")
        if self.role_arn is not None and self.role_arn != (flow.get("RoleArn") or ""):
            changed.append("role_arn")
        if self.environment is not None and self.environment != environment_from_service(flow.get("Environment")):
            changed.append("environment")
        return changed

    def update_params(self, changed: t.Iterable[str], flow: t.Optional[t.Mapping[str, t.Any]] = None) -> dict[str, t.Any]:
        """UpdateFlow's parameters: the name and only the fields that differ.

        The environment keeps the descriptions the service holds (in ``flow``) for the variables the task keeps.
        """
        descriptions = environment_descriptions(flow.get("Environment")) if flow is not None else None
        wire = {
            "definition": self.definition_text,
            "description": self.description,
            "type": self.type,
            "role_arn": self.role_arn,
            "environment": None if self.environment is None else environment_text(self.environment, descriptions),
        }
        params: dict[str, t.Any] = {"Name": self.name}
        for option, field in UPDATABLE_FIELDS:
            if option in changed:
                params[field] = wire[option]
        return params

    def predicted(self, flow: t.Optional[t.Mapping[str, t.Any]], changed: t.Iterable[str]) -> dict[str, t.Any]:
        """The service record a real run would leave (check mode): the current one with the changes applied."""
        if flow is None:
            record: dict[str, t.Any] = {
                key: value for key, value in self.create_params().items() if value is not None
            }
            record["ExecutionMode"] = self.execution_mode or STANDARD
        else:
            record = dict(flow)
            record.update(self.update_params(changed, flow))
        if "Environment" in record and isinstance(record["Environment"], str):
            record["Environment"] = json.loads(record["Environment"])
        return record

    def unapplied(self, answer: t.Mapping[str, t.Any], sent: t.Iterable[str]) -> list[str]:
        """The options sent to UpdateFlow that its answer does not show as applied; fields the answer omits are skipped."""
        fields = dict(UPDATABLE_FIELDS)
        sent = list(sent)
        return [option for option in self.changed_options(answer) if option in sent and fields[option] in answer]


# -- API calls ---------------------------------------------------------------------------------------------------------

def describe_flow(client: CloudFlowClient, name: str) -> t.Optional[dict[str, t.Any]]:
    """The flow record, or None when the flow does not exist."""
    try:
        return client.call("DescribeFlow", {"Name": name})
    except ApiError as error:
        if error.code == FLOW_NOT_EXISTS:
            return None
        raise


def list_flows(client: CloudFlowClient, name_prefix: t.Optional[str] = None) -> t.Iterator[dict[str, t.Any]]:
    """Every flow, across pages; the prefix filter is applied here (ListFlows has none)."""
    for flow in iterate_pages(client, "ListFlows", {}, "Flows", LIST_FLOWS_PAGE_SIZE):
        if not name_prefix or str(flow.get("Name", "")).startswith(name_prefix):
            yield flow


def _record(answer: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {key: value for key, value in answer.items() if key != "RequestId"}


def create_flow(client: CloudFlowClient, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Create a flow and return its record.

    FlowAlreadyExists on a retry means the earlier attempt was applied with its reply lost: the flow is then read
    back. On the first attempt it means someone else created the flow meanwhile, and the error is raised.
    """
    try:
        return _record(client.call("CreateFlow", params))
    except ApiError as error:
        if error.code != FLOW_ALREADY_EXISTS or error.attempts < 2:
            raise
        flow = describe_flow(client, params["Name"])
        if flow is None:
            raise
        return flow


def update_flow(client: CloudFlowClient, params: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Send UpdateFlow and return its answer. The answer has no ExecutionMode: merge it over the record read before."""
    return _record(client.call("UpdateFlow", params))


def delete_flow(client: CloudFlowClient, name: str) -> bool:
    """Ask the service to delete a flow; returns whether this request deleted it.

    FlowNotExists on a retry means the earlier attempt was applied with its reply lost; on the first attempt it
    means someone else deleted the flow meanwhile.
    """
    try:
        client.call("DeleteFlow", {"Name": name})
        return True
    except ApiError as error:
        if error.code != FLOW_NOT_EXISTS:
            raise
        return error.attempts > 1


def wait_until_deleted(
    client: CloudFlowClient,
    name: str,
    timeout: float,
    clock: t.Callable[[], float] = time.monotonic,
    sleep: t.Callable[[float], None] = time.sleep,
) -> None:
    """Poll DescribeFlow until it answers FlowNotExists; raises DeleteWaitTimeout after ``timeout`` seconds."""
    deadline = clock() + timeout
    while describe_flow(client, name) is not None:
        remaining = deadline - clock()
        if remaining <= 0:
            raise DeleteWaitTimeout(name, timeout)
        sleep(min(DELETE_POLL_INTERVAL, remaining))


# -- removal -----------------------------------------------------------------------------------------------------------

class FlowRemoval:
    """What removing a flow did (or, in check mode, would do)."""

    def __init__(self, flow: t.Mapping[str, t.Any]) -> None:
        self.flow = flow
        self.executions: list[dict[str, t.Any]] = []
        self.schedules: list[str] = []
        self.deleted_schedules: list[str] = []
        self.flow_deleted = False
        # FlowNotExists from a listing after DescribeFlow found the flow: it was deleted meanwhile, nothing was done.
        self.vanished = False

    @property
    def changed(self) -> bool:
        return self.flow_deleted or bool(self.deleted_schedules) or any(entry["changed"] for entry in self.executions)

    def result(self) -> dict[str, t.Any]:
        """The fields a module returns for what was done so far."""
        return {"changed": self.changed, "flow": flow_result(self.flow), "executions": self.executions,
                "deleted_schedules": self.deleted_schedules}


def remove_flow(
    client: CloudFlowClient,
    flow: t.Mapping[str, t.Any],
    *,
    force: bool = False,
    check_mode: bool = False,
    wait: bool = False,
    wait_timeout: float = 300.0,
    cause: t.Optional[str] = None,
    clock: t.Callable[[], float] = time.monotonic,
    sleep: t.Callable[[float], None] = time.sleep,
) -> FlowRemoval:
    """Delete a flow: refuse while executions are in progress unless forced, then stop them, delete its schedules
    (their fate on DeleteFlow is not documented) and the flow. In check mode only read.

    Raises FlowBusy before any write when executions are in progress and force is off, FlowRemovalError when a step
    fails after earlier ones changed something, and the error itself (ApiError, TransportError) when the first step
    fails. A FlowNotExists from the listings means the flow went away after it was read: the removal then reports
    ``vanished`` and has done nothing.
    """
    name = flow["Name"]
    removal = FlowRemoval(flow)
    step = "ListExecutions"
    try:
        if force:
            outcome = stop_in_progress(client, name, cause=cause, check_mode=check_mode)
            removal.executions = outcome.executions
            if outcome.failed:
                raise FlowRemovalError(removal, outcome.message() + "; the flow and its schedules were left in place")
        else:
            running = list_in_progress_executions(client, name)
            if running:
                raise FlowBusy(name, [dict(entry_for(execution, name), changed=False) for execution in running])
        step = "ListSchedules"
        removal.schedules = [schedule["ScheduleName"] for schedule in list_schedules(client, name)]
    except (FlowBusy, FlowRemovalError):
        raise
    except ApiError as error:
        if error.code == FLOW_NOT_EXISTS:
            # Deleted by someone else since DescribeFlow found it: already absent; only the stops (if any) were ours.
            removal.vanished = True
            return removal
        if not removal.changed:
            raise
        raise FlowRemovalError(removal, "Flow {0!r}: {1} failed after earlier changes: {2}".format(name, step, error), error)
    except CloudFlowError as error:
        if not removal.changed:
            raise
        raise FlowRemovalError(removal, "Flow {0!r}: {1} failed after earlier changes: {2}".format(name, step, error))
    if check_mode:
        return removal
    step = "DeleteSchedule"
    try:
        for schedule_name in removal.schedules:
            step = "deleting schedule {0!r}".format(schedule_name)
            if delete_schedule(client, name, schedule_name):
                removal.deleted_schedules.append(schedule_name)
        step = "DeleteFlow"
        removal.flow_deleted = delete_flow(client, name)
    except CloudFlowError as error:
        if not removal.changed:
            raise
        raise FlowRemovalError(
            removal, "Flow {0!r}: {1} failed after earlier changes: {2}".format(name, step, error), error if isinstance(error, ApiError) else None
        )
    if wait:
        try:
            wait_until_deleted(client, name, wait_timeout, clock=clock, sleep=sleep)
        except DeleteWaitTimeout as error:
            raise FlowRemovalError(removal, str(error))
        except CloudFlowError as error:
            raise FlowRemovalError(
                removal, "Flow {0!r}: waiting for the deletion failed: {1}".format(name, error), error if isinstance(error, ApiError) else None
            )
    return removal
