# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Starlette application: the signed API on `GET|POST /` and the control surface `/_emulator/`."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .api import (MAX_REQUEST_BYTES, Emulator, LogContext, NAME_RE, VERSION_RE,
                  action_param_names, new_request_id, parse_routing)
from .errors import ApiError, DropConnection
from .settings import SettingsError
from .signing import IncomingRequest
from . import cron
from .state import STATUSES, TERMINAL, Schedule, parse_status_time

RAW_SEND = "cloudflow_emulator.raw_send"
LOG = logging.getLogger("cloudflow_emulator")


class _RawSendCapture:
    """Outermost ASGI layer: remembers the server's own `send` so a fault can drop the
    connection (uvicorn's send is a bound method of the request cycle, which has the transport).
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND] = send
        await self.app(scope, receive, send)


class _HalfResponse(Response):
    """Fallback drop: start a response that promises a body and never send it."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"4096")]})


async def _drop(request: Request) -> Response:
    raw_send = request.scope.get(RAW_SEND)
    cycle = getattr(raw_send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return _HalfResponse()
    transport.abort()
    for _attempt in range(50):  # let the server notice, so it sends nothing at all
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0.001)
    return Response(status_code=204)


async def _read_body(request: Request) -> Tuple[bytes, int]:
    """Read the whole body (draining it) but keep at most MAX_REQUEST_BYTES + 1 bytes."""
    chunks: List[bytes] = []
    kept = 0
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if kept <= MAX_REQUEST_BYTES:
            chunks.append(chunk)
            kept += len(chunk)
    return b"".join(chunks), total


def _headers(request: Request) -> Dict[str, str]:
    out: Dict[str, List[str]] = {}
    for key, value in request.headers.items():
        out.setdefault(key.lower(), []).append(value)
    return {k: ",".join(sorted(v)) if len(v) > 1 else v[0] for k, v in out.items()}


def _error_body(err: ApiError, request_id: str, host: str) -> Dict[str, Any]:
    return {
        "RequestId": request_id,
        "HostId": host,
        "Code": err.code,
        "Message": err.message,
        "Recommend": "https://api.aliyun.com/troubleshoot?q=%s&product=fnf&requestId=%s"
                     % (err.code, request_id),
    }


async def api_endpoint(request: Request) -> Response:
    emu: Emulator = request.app.state.emulator
    headers = _headers(request)
    try:
        retry = int(headers.get("x-acs-retry-attempts", "0"))
    except ValueError:
        retry = 0
    ctx = LogContext(request.method, headers.get("user-agent", ""), retry)
    request_id = new_request_id()
    host = headers.get("host", "")
    try:
        body, body_size = await _read_body(request)
        raw_query = request.scope.get("query_string", b"")
        size = body_size + len(raw_query)
        try:
            query = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True,
                              encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            query = []
            raise ApiError("InvalidArgument", message="The query string is not valid UTF-8.")
        form: List[Tuple[str, str]] = []
        if body and size <= MAX_REQUEST_BYTES:
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                ctx.action = dict(query).get("Action") or headers.get("x-acs-action")
                ctx.param_names = action_param_names(name for name, _value in query)
                raise ApiError("UnsupportedMediaType")
            try:
                form = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                 encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                raise ApiError("InvalidArgument", message="The body is not valid UTF-8.")
        incoming = IncomingRequest(request.method, query, form, headers, body,
                                   request.url.path or "/")
        result = await emu.handle(incoming, ctx, size)
    except DropConnection:
        emu.log(ctx, None, "ConnectionDropped")
        return await _drop(request)
    except ApiError as err:
        emu.log(ctx, err.status, err.code)
        resp_headers = {"x-acs-request-id": request_id}
        resp_headers.update(err.headers)
        return JSONResponse(_error_body(err, request_id, host), status_code=err.status,
                            headers=resp_headers)
    except Exception:  # a bug in the emulator: answer like the service, keep the traceback
        LOG.exception("internal error while handling %s", ctx.action)
        err = ApiError("InternalServerError")
        emu.log(ctx, err.status, err.code)
        return JSONResponse(_error_body(err, request_id, host), status_code=err.status,
                            headers={"x-acs-request-id": request_id})
    body_out: Dict[str, Any] = {"RequestId": request_id}
    body_out.update(result)
    emu.log(ctx, 200, None)
    return JSONResponse(body_out, headers={"x-acs-request-id": request_id})


# ------------------------------------------------------------------ control surface ------------

def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> Dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("a JSON object is required")
    return data


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emulator
    emu.start_background()
    emu.store.complete_deletions()
    return emu


async def control_reset(request: Request) -> Response:
    _emu(request).reset()
    return JSONResponse({"ok": True})


async def control_config(request: Request) -> Response:
    emu = _emu(request)
    if request.method == "POST":
        try:
            emu.update_settings(await _json(request))
        except (ValueError, SettingsError) as exc:
            return _bad(str(exc))
    return JSONResponse(emu.settings)


def _optional_seconds(data: Mapping[str, Any], key: str) -> Optional[float]:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("%s must be a number >= 0 or null" % key)
    return float(value)


def _input_text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, str):
        parsed = json.loads(value)
        if not isinstance(parsed, dict):
            raise ValueError("input must be a JSON object")
        return value
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    raise ValueError("input must be an object or a JSON string")


def _check_name(kind: str, value: Any) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValueError("%s must match %s" % (kind, NAME_RE.pattern))
    return value


def _ensure_flow(emu: Emulator, name: str):  # type: ignore[no-untyped-def]
    flow = emu.store.flows.get(name)
    if flow is None:
        flow = emu.store.create_flow(name, definition=_default_definition(name),
                                     description="seeded by the emulator")
    return flow


def _default_definition(name: str) -> str:
    return "version: v1\ntype: flow\nsteps:\n  - type: pass\n    name: %s_step\n" % name


async def control_flows(request: Request) -> Response:
    emu = _emu(request)
    if request.method == "GET":
        return JSONResponse({"flows": [f.to_control() for f in emu.store.flows.values()]})
    try:
        data = await _json(request)
        name = _check_name("name", data.get("name"))
        run_seconds = _optional_seconds(data, "run_seconds")
        definition = data.get("definition")
        if definition is not None and not isinstance(definition, str):
            raise ValueError("definition must be a string")
    except ValueError as exc:
        return _bad(str(exc))
    flow = emu.store.flows.get(name)
    if flow is None:
        flow = emu.store.create_flow(name, definition=definition or _default_definition(name),
                                     description=str(data.get("description", "")),
                                     run_seconds=run_seconds)
    else:
        if definition is not None:
            flow.definition = definition
        flow.run_seconds = run_seconds
    return JSONResponse(flow.to_control())


def _seed_args(data: Mapping[str, Any]) -> Tuple[str, Optional[str], Optional[float]]:
    status = data.get("status", "Running")
    if status not in STATUSES:
        raise ValueError("status must be one of %s" % ", ".join(STATUSES))
    return status, _input_text(data.get("input")), _optional_seconds(data, "run_seconds")


async def control_seed(request: Request) -> Response:
    emu = _emu(request)
    try:
        data = await _json(request)
        flow_name = _check_name("flow_name", data.get("flow_name"))
        name = _check_name("name", data.get("name"))
        status, input_, run_seconds = _seed_args(data)
        started_wall = None
        if data.get("started_time") is not None:
            started_wall = parse_status_time(str(data["started_time"]))
    except ValueError as exc:
        return _bad(str(exc))
    flow = _ensure_flow(emu, flow_name)
    if name in flow.executions:
        return _bad("execution %s already exists in flow %s" % (name, flow_name), 409)
    ex = emu.store.start_execution(flow, name, input_, status=status, running_after=None,
                                   succeed_after=run_seconds, started_wall=started_wall)
    return JSONResponse(ex.to_control())


async def control_bulk(request: Request) -> Response:
    emu = _emu(request)
    try:
        data = await _json(request)
        flow_name = _check_name("flow_name", data.get("flow_name"))
        count = data.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 100000:
            raise ValueError("count must be an integer 0..100000")
        prefix = data.get("name_prefix", "exec-")
        if not isinstance(prefix, str):
            raise ValueError("name_prefix must be a string")
        status, input_, run_seconds = _seed_args(data)
        names = ["%s%04d" % (prefix, i) for i in range(count)]
        for n in names:
            _check_name("name", n)
    except ValueError as exc:
        return _bad(str(exc))
    flow = _ensure_flow(emu, flow_name)
    clash = [n for n in names if n in flow.executions]
    if clash:
        return _bad("executions already exist: %s" % ", ".join(clash[:5]), 409)
    started = time.time()
    for n in names:
        emu.store.start_execution(flow, n, input_, status=status, running_after=None,
                                  succeed_after=run_seconds, started_wall=started)
    return JSONResponse({"flow_name": flow_name, "count": count, "names": names})


def _find(emu: Emulator, request: Request):  # type: ignore[no-untyped-def]
    flow = emu.store.flows.get(request.path_params["flow"])
    if flow is None:
        return None
    return flow.executions.get(request.path_params["name"])


async def control_finish(request: Request) -> Response:
    emu = _emu(request)
    ex = _find(emu, request)
    if ex is None:
        return _bad("no such execution", 404)
    try:
        data = await _json(request)
        status = data.get("status")
        if status not in TERMINAL:
            raise ValueError("status must be one of %s" % ", ".join(TERMINAL))
        output = data.get("output")
        if output is not None and not isinstance(output, str):
            output = json.dumps(output, separators=(",", ":"))
    except ValueError as exc:
        return _bad(str(exc))
    if ex.status in TERMINAL:
        return _bad("execution already finished with %s" % ex.status, 409)
    ex.set_status(status, output=output, error=data.get("error"), cause=data.get("cause"))
    return JSONResponse(ex.to_control())


async def control_advance(request: Request) -> Response:
    emu = _emu(request)
    ex = _find(emu, request)
    if ex is None:
        return _bad("no such execution", 404)
    current = ex.status
    if current in TERMINAL:
        return _bad("execution already finished with %s" % current, 409)
    ex.set_status("Running" if current == "Starting" else "Succeeded")
    return JSONResponse(ex.to_control())


async def control_executions(request: Request) -> Response:
    emu = _emu(request)
    flow_name = request.query_params.get("flow_name")
    out = []
    for flow in emu.store.flows.values():
        if flow_name and flow.name != flow_name:
            continue
        executions = sorted(flow.executions.values(), key=lambda e: e.sort_key())
        out.extend(ex.to_control() for ex in executions)
    return JSONResponse({"executions": out})


async def control_schedules(request: Request) -> Response:
    emu = _emu(request)
    if request.method == "GET":
        flow_name = request.query_params.get("flow_name")
        out = [schedule.to_control()
               for name in sorted(emu.store.flows) if not flow_name or name == flow_name
               for _key, schedule in sorted(emu.store.flows[name].schedules.items())]
        return JSONResponse({"schedules": out})
    try:
        data = await _json(request)
        flow_name = _check_name("flow_name", data.get("flow_name"))
        name = _check_name("name", data.get("name"))
        expression = data.get("cron_expression")
        if not isinstance(expression, str):
            raise ValueError("cron_expression must be a string")
        cron.parse(expression)
        payload = _input_text(data.get("payload"))
        description = data.get("description", "")
        enable = data.get("enable", True)
        if not isinstance(description, str) or not isinstance(enable, bool):
            raise ValueError("description must be a string and enable true or false")
    except ValueError as exc:  # CronError is a ValueError
        return _bad(str(exc))
    flow = _ensure_flow(emu, flow_name)
    if name in flow.schedules:
        return _bad("schedule %s already exists in flow %s" % (name, flow_name), 409)
    schedule = Schedule(flow, name, expression, payload, description, enable,
                        emu.now_emulated())
    flow.schedules[name] = schedule
    emu.tick()
    return JSONResponse(schedule.to_control())


async def control_fire(request: Request) -> Response:
    emu = _emu(request)
    try:
        data = await _json(request)
        flow_name = data.get("flow_name")
        if flow_name is not None:
            _check_name("flow_name", flow_name)
    except ValueError as exc:
        return _bad(str(exc))
    if flow_name is not None and flow_name not in emu.store.flows:
        return _bad("no flow %s" % flow_name, 404)
    return JSONResponse(emu.fire_all(flow_name))


# -- versions and aliases ----------------------------------------------------------------------

def _control_flow(emu: Emulator, request: Request):  # type: ignore[no-untyped-def]
    return emu.store.flows.get(request.path_params["flow"])


async def control_versions(request: Request) -> Response:
    """GET: the flow's versions (oldest first); POST {"description"?}: publish one now."""
    emu = _emu(request)
    flow = _control_flow(emu, request)
    if flow is None:
        return _bad("no flow %s" % request.path_params["flow"], 404)
    if request.method == "GET":
        return JSONResponse({"versions": [flow.versions[n].to_control()
                                          for n in sorted(flow.versions)]})
    try:
        data = await _json(request)
        description = data.get("description", "")
        if not isinstance(description, str) or len(description) > 256:
            raise ValueError("description must be a string of at most 256 characters")
    except ValueError as exc:
        return _bad(str(exc))
    try:
        version = emu.publish_version(flow, description)
    except ApiError as err:
        return _bad(err.message, err.status)
    return JSONResponse(version.to_control())


def _outcome(data: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    outcome = data.get("outcome")
    if outcome is None:
        return None
    if outcome not in TERMINAL:
        raise ValueError("outcome must be one of %s, or null" % ", ".join(TERMINAL))
    run_seconds = _optional_seconds(data, "run_seconds") if "run_seconds" in data else 0.0
    output = data.get("output")
    if output is not None and not isinstance(output, str):
        output = json.dumps(output, separators=(",", ":"))
    for key in ("error", "cause"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError("%s must be a string" % key)
    return {"outcome": outcome, "run_seconds": run_seconds, "output": output,
            "error": data.get("error"), "cause": data.get("cause")}


async def control_version_outcome(request: Request) -> Response:
    """Plan how executions of one version end: {"outcome": "Failed", "run_seconds"? = 0,
    "output"?, "error"?, "cause"?}, or {"outcome": null} to forget the plan. The version may
    be one still to be published; executions started before the call are not changed."""
    emu = _emu(request)
    flow = _control_flow(emu, request)
    if flow is None:
        return _bad("no flow %s" % request.path_params["flow"], 404)
    version = request.path_params["version"]
    if not VERSION_RE.match(version):
        return _bad("version must be a version number (1, 2, ...)")
    number = int(version)
    if number < flow.next_version and number not in flow.versions:
        return _bad("version %s of flow %s was deleted" % (version, flow.name), 404)
    try:
        plan = _outcome(await _json(request))
    except ValueError as exc:
        return _bad(str(exc))
    if plan is None:
        flow.version_outcomes.pop(number, None)
    else:
        flow.version_outcomes[number] = plan
    answer: Dict[str, Any] = {"flow_name": flow.name, "version": version}
    answer.update(plan or {"outcome": None})
    return JSONResponse(answer)


async def control_aliases(request: Request) -> Response:
    """GET: the flow's aliases (name order); POST {"name", "routing_configurations":
    [{"version", "weight"}], "description"?}: create one (the API's rules and limits)."""
    emu = _emu(request)
    flow = _control_flow(emu, request)
    if flow is None:
        return _bad("no flow %s" % request.path_params["flow"], 404)
    if request.method == "GET":
        return JSONResponse({"aliases": [flow.aliases[n].to_control()
                                         for n in sorted(flow.aliases)]})
    try:
        data = await _json(request)
        name = _check_name("name", data.get("name"))
        description = data.get("description", "")
        if not isinstance(description, str) or len(description) > 256:
            raise ValueError("description must be a string of at most 256 characters")
        routes = data.get("routing_configurations")
        if not isinstance(routes, list) or not all(
                isinstance(r, dict) and set(r) == {"version", "weight"} for r in routes):
            raise ValueError('routing_configurations must be a list of {"version", "weight"}')
        raw = json.dumps([{"Version": r["version"], "Weight": r["weight"]} for r in routes])
    except ValueError as exc:
        return _bad(str(exc))
    try:
        alias = emu.add_alias(flow, name, parse_routing(raw), description)
    except ApiError as err:
        return _bad(err.message, err.status)
    return JSONResponse(alias.to_control())


async def control_requests(request: Request) -> Response:
    emu = _emu(request)
    if request.method == "DELETE":
        emu.clear_requests()
        return JSONResponse({"ok": True})
    return JSONResponse(emu.request_log())


def create_app(initial_settings: Optional[Mapping[str, Any]] = None) -> Any:
    """Build the ASGI application. `app.state.emulator` is the Emulator."""
    routes = [
        Route("/", api_endpoint, methods=["GET", "POST"]),
        Route("/_emulator/reset", control_reset, methods=["POST"]),
        Route("/_emulator/config", control_config, methods=["GET", "POST"]),
        Route("/_emulator/flows", control_flows, methods=["GET", "POST"]),
        Route("/_emulator/flows/{flow}/versions", control_versions, methods=["GET", "POST"]),
        Route("/_emulator/flows/{flow}/versions/{version}/outcome", control_version_outcome,
              methods=["POST"]),
        Route("/_emulator/flows/{flow}/aliases", control_aliases, methods=["GET", "POST"]),
        Route("/_emulator/executions", control_executions, methods=["GET"]),
        Route("/_emulator/executions", control_seed, methods=["POST"]),
        Route("/_emulator/executions/bulk", control_bulk, methods=["POST"]),
        Route("/_emulator/executions/{flow}/{name}/finish", control_finish, methods=["POST"]),
        Route("/_emulator/executions/{flow}/{name}/advance", control_advance, methods=["POST"]),
        Route("/_emulator/schedules", control_schedules, methods=["GET", "POST"]),
        Route("/_emulator/schedules/fire", control_fire, methods=["POST"]),
        Route("/_emulator/requests", control_requests, methods=["GET", "DELETE"]),
    ]
    app = Starlette(routes=routes)
    app.state.emulator = Emulator(initial_settings)
    return _RawSendCapture(app)
