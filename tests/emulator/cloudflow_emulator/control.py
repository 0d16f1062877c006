# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`EmulatorControl`: the one client of the emulator's unsigned control surface `/_emulator/`.

Standard library only (urllib): the integration targets call it from Ansible's worker processes,
one process per task, where importing an HTTP library would cost more than the call.
"""
from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from types import TracebackType
from typing import Any, Dict, List, Mapping, Optional, Type, Union
from urllib.parse import quote, urlencode


class EmulatorControlError(RuntimeError):
    """The control surface refused a call (its HTTP status and message)."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        super().__init__("%s /_emulator%s: HTTP %d: %s" % (method, path, status, message))
        self.status = status
        self.message = message


class ControlResponse:
    """What the control surface answered to `EmulatorControl.request`."""

    def __init__(self, status_code: int, text: str) -> None:
        self.status_code = status_code
        self.text = text

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not)."""
        return json.loads(self.text)


def _segment(name: str) -> str:
    return quote(name, safe="")


def _tls_context(verify: Any) -> ssl.SSLContext:
    """verify as httpx takes it: True (the system's CAs), False, a CA file or an SSLContext."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    context = ssl.create_default_context(cafile=None if verify in (True, False) else str(verify))
    if verify is False:  # asked for: a test emulator's own certificate
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class EmulatorControl:
    """Seed state, change settings and read the request log of a running emulator.

    Every named method answers the JSON the emulator returned; a refusal raises EmulatorControlError.
    `request` is the unchecked call underneath, for callers that take a path as it comes.
    The client never uses a proxy from the environment (the emulator is on loopback); `verify` is
    for an emulator serving HTTPS (True, False, a CA file or an ssl.SSLContext).
    """

    def __init__(self, url: str, timeout: float = 30.0, verify: Any = True) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        handlers: List[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if self.url.startswith("https://"):
            handlers.append(urllib.request.HTTPSHandler(context=_tls_context(verify)))
        self._opener = urllib.request.build_opener(*handlers)

    # -- plumbing ---------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None,
                params: Optional[Mapping[str, str]] = None) -> ControlResponse:
        """One call to `/_emulator<path>` (the path may carry a query string), whatever it
        answers. The body is sent as JSON; a POST without one sends {}."""
        method = method.upper()
        if body is None and method == "POST":
            body = {}
        url = self.url + "/_emulator" + path
        if params:
            url += ("&" if "?" in path else "?") + urlencode(params)
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {} if data is None else {"Content-Type": "application/json"}
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return ControlResponse(response.status, response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            with error:
                return ControlResponse(error.code, error.read().decode("utf-8", "replace"))

    def _call(self, method: str, path: str, payload: Optional[Dict[str, Any]] = None,
              params: Optional[Dict[str, str]] = None) -> Any:
        response = self.request(method, path, payload if method == "POST" else None, params)
        if response.status_code >= 400:
            try:
                message = str(response.json().get("error", response.text))
            except (ValueError, AttributeError):
                message = response.text
            raise EmulatorControlError(method, path, response.status_code, message)
        return response.json()

    def close(self) -> None:
        """Nothing to release (one connection per call); kept for `with` and callers that close."""

    def __enter__(self) -> "EmulatorControl":
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close()

    # -- settings -----------------------------------------------------------------------------
    def reset(self, **settings: Any) -> None:
        """Forget flows, schedules, executions and the request log; startup settings again, then
        the given settings merged (as configure)."""
        self._call("POST", "/reset")
        if settings:
            self.configure(**settings)

    def configure(self, **settings: Any) -> Dict[str, Any]:
        """Merge settings (docs/architecture.md, "Settings"); answers the resulting settings."""
        result: Dict[str, Any] = self._call("POST", "/config", settings)
        return result

    def config(self) -> Dict[str, Any]:
        result: Dict[str, Any] = self._call("GET", "/config")
        return result

    # -- state ----------------------------------------------------------------------------------
    def create_flow(self, name: str, definition: Optional[str] = None,
                    run_seconds: Optional[float] = None, **fields: Any) -> Dict[str, Any]:
        """Create a flow (or update its definition and run_seconds when it exists)."""
        payload: Dict[str, Any] = {"name": name, "run_seconds": run_seconds}
        if definition is not None:
            payload["definition"] = definition
        payload.update(fields)
        result: Dict[str, Any] = self._call("POST", "/flows", payload)
        return result

    def flows(self) -> List[Dict[str, Any]]:
        result: List[Dict[str, Any]] = self._call("GET", "/flows")["flows"]
        return result

    def seed_execution(self, flow_name: str, name: str, **fields: Any) -> Dict[str, Any]:
        """Seed one execution; fields: status, input, run_seconds, started_time."""
        result: Dict[str, Any] = self._call(
            "POST", "/executions", dict(fields, flow_name=flow_name, name=name))
        return result

    def seed_executions(self, flow_name: str, count: int, **fields: Any) -> Dict[str, Any]:
        """Seed `count` executions named <name_prefix><4-digit index>; answers their names."""
        result: Dict[str, Any] = self._call(
            "POST", "/executions/bulk", dict(fields, flow_name=flow_name, count=count))
        return result

    def finish(self, flow_name: str, name: str, status: str, output: Any = None,
               **fields: Any) -> Dict[str, Any]:
        """Finish an execution now with status (Succeeded, Failed, TimedOut, Stopped);
        fields: error, cause."""
        payload = dict(fields, status=status)
        if output is not None:
            payload["output"] = output
        result: Dict[str, Any] = self._call(
            "POST", "/executions/%s/%s/finish" % (_segment(flow_name), _segment(name)), payload)
        return result

    def advance(self, flow_name: str, name: str) -> Dict[str, Any]:
        """One step along Starting -> Running -> Succeeded."""
        result: Dict[str, Any] = self._call(
            "POST", "/executions/%s/%s/advance" % (_segment(flow_name), _segment(name)))
        return result

    def executions(self, flow_name: Optional[str] = None) -> List[Dict[str, Any]]:
        params = {"flow_name": flow_name} if flow_name else None
        result: List[Dict[str, Any]] = self._call("GET", "/executions", params=params)[
            "executions"]
        return result

    def statuses(self, flow_name: str) -> Dict[str, str]:
        """{execution name: status} of one flow, as the emulator holds them now."""
        return {execution["Name"]: execution["Status"] for execution in self.executions(flow_name)}

    def execution(self, flow_name: str, name: str) -> Dict[str, Any]:
        for execution in self.executions(flow_name):
            if execution["Name"] == name:
                return execution
        raise EmulatorControlError("GET", "/executions", 404,
                                   "no execution %s in flow %s" % (name, flow_name))

    # -- schedules ------------------------------------------------------------------------------
    def create_schedule(self, flow_name: str, name: str, cron_expression: str,
                        payload: Any = None, description: str = "",
                        enable: bool = True) -> Dict[str, Any]:
        """Seed a schedule (creates the flow if missing); payload: an object or a JSON string."""
        payload_fields: Dict[str, Any] = {
            "flow_name": flow_name, "name": name, "cron_expression": cron_expression,
            "description": description, "enable": enable}
        if payload is not None:
            payload_fields["payload"] = payload
        result: Dict[str, Any] = self._call("POST", "/schedules", payload_fields)
        return result

    def schedules(self, flow_name: Optional[str] = None) -> List[Dict[str, Any]]:
        params = {"flow_name": flow_name} if flow_name else None
        result: List[Dict[str, Any]] = self._call("GET", "/schedules", params=params)[
            "schedules"]
        return result

    def schedules_enabled(self, flow_name: Optional[str] = None) -> Dict[str, bool]:
        """{"<flow>/<schedule>": enabled} as the emulator holds them now."""
        return {"%s/%s" % (entry["flow_name"], entry["ScheduleName"]): bool(entry["Enable"])
                for entry in self.schedules(flow_name)}

    def fire_schedules(self, flow_name: Optional[str] = None) -> Dict[str, Any]:
        """Fire every enabled schedule (of one flow) once now:
        {"fired": [{flow_name, schedule_name, execution_name}],
         "skipped": [{flow_name, schedule_name, reason}]}"""
        payload = {"flow_name": flow_name} if flow_name else {}
        result: Dict[str, Any] = self._call("POST", "/schedules/fire", payload)
        return result

    # -- versions and aliases -------------------------------------------------------------------
    def versions(self, flow_name: str) -> List[Dict[str, Any]]:
        """The flow's versions, oldest first: Version, Description, CreatedTime, flow_name, the
        snapshot (definition, flow_description, role_arn, environment, last_modified_time),
        outcome (the plan of set_version_outcome or None), execution_count, aliases."""
        result: List[Dict[str, Any]] = self._call(
            "GET", "/flows/%s/versions" % _segment(flow_name))["versions"]
        return result

    def publish_version(self, flow_name: str, description: str = "") -> Dict[str, Any]:
        """Publish the flow as it is now (as PublishFlowVersion, without a request)."""
        result: Dict[str, Any] = self._call(
            "POST", "/flows/%s/versions" % _segment(flow_name), {"description": description})
        return result

    def set_version_outcome(self, flow_name: str, version: Union[int, str],
                            outcome: Optional[str], run_seconds: Optional[float] = 0.0,
                            output: Any = None, error: Optional[str] = None,
                            cause: Optional[str] = None) -> Dict[str, Any]:
        """Executions of that version started from now on end with outcome (Succeeded, Failed,
        TimedOut, Stopped) run_seconds after they run (None: they run until told); the version
        may be one still to be published. outcome None forgets the plan."""
        payload: Dict[str, Any] = {"outcome": outcome, "run_seconds": run_seconds}
        for key, value in (("output", output), ("error", error), ("cause", cause)):
            if value is not None:
                payload[key] = value
        path = "/flows/%s/versions/%s/outcome" % (_segment(flow_name), _segment(str(version)))
        result: Dict[str, Any] = self._call("POST", path, payload)
        return result

    def aliases(self, flow_name: str) -> List[Dict[str, Any]]:
        """The flow's aliases by name: Name, Description, RoutingConfigurations (integer
        weights), CreatedTime, flow_name, last_modified_time, execution_count."""
        result: List[Dict[str, Any]] = self._call(
            "GET", "/flows/%s/aliases" % _segment(flow_name))["aliases"]
        return result

    def create_alias(self, flow_name: str, name: str, routing: Mapping[Union[int, str], int],
                     description: str = "") -> Dict[str, Any]:
        """Create an alias with the API's rules, e.g. routing={"1": 90, "2": 10}."""
        routes = [{"version": str(version), "weight": weight}
                  for version, weight in routing.items()]
        result: Dict[str, Any] = self._call(
            "POST", "/flows/%s/aliases" % _segment(flow_name),
            {"name": name, "routing_configurations": routes, "description": description})
        return result

    # -- request log ------------------------------------------------------------------------
    def requests(self) -> Dict[str, Any]:
        """{"requests": [...], "counts": {action: n}, "write_count": n, "total": n}"""
        result: Dict[str, Any] = self._call("GET", "/requests")
        return result

    def requests_text(self) -> str:
        """The request log as the emulator serves it (raw JSON text, for scans of what it holds)."""
        response = self.request("GET", "/requests")
        if response.status_code >= 400:
            raise EmulatorControlError("GET", "/requests", response.status_code, response.text)
        return response.text

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")
