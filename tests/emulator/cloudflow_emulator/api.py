# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fnf 2019-03-15 actions, rate limits, fault injection and the request log."""
from __future__ import annotations

import asyncio
import copy
import json
import math
import random
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from . import cron
from . import settings as settings_mod
from .errors import ApiError, DropConnection
from .signing import AuthResult, IncomingRequest, NonceCache, parse_timestamp, verify
from .state import (IN_PROGRESS, STATUSES, TERMINAL, Alias, Execution, Flow, FlowVersion,
                    Schedule, Store, fmt_time)

API_VERSION = "2019-03-15"
MAX_REQUEST_BYTES = 1024 * 1024
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")
# A flow version as the API spells it: "1", "2", ... (no sign, no leading zero). An alias name
# follows NAME_RE, so it never starts with a digit and a Qualifier is always one or the other.
VERSION_RE = re.compile(r"^[1-9][0-9]{0,9}$")
# An alias routes to one or two versions.
MAX_ROUTES = 2
READ_PREFIXES = ("Describe", "List", "Get")

# action -> (burst, refill per second)
QUOTAS: Dict[str, Tuple[float, float]] = {
    "StartExecution": (100.0, 100.0),
    "DescribeExecution": (50.0, 5.0),
    "GetExecutionHistory": (50.0, 5.0),
}
DEFAULT_QUOTA = (10.0, 2.0)
REQUEST_LOG_MAX = 10000
# Actions that the reference lists with 409 ConcurrentUpdateError (error_409_rate applies to them).
CONFLICT_ACTIONS = ("StopExecution", "UpdateFlow", "DeleteFlow", "CreateSchedule",
                    "UpdateSchedule", "DeleteSchedule")
# What a Python bool becomes on the wire in the official SDK (tea-openapi's Utils.query calls
# str(value)), and the JSON spelling other SDKs send.
BOOLEAN_TEXT = {"true": True, "false": False, "True": True, "False": False}
FLOW_TYPES = ("FDL",)
EXECUTION_MODES = ("Standard", "Express")
# At most this many fire times per schedule per tick; later ones of a burst are dropped.
MAX_FIRES_PER_TICK = 100
# Signing and protocol parameters (reference 4.1, legacy RegionId and SignatureType included): left
# out of an entry's param_names, which lists only the action's own parameters. CreateSchedule's
# business SignatureVersion clashes with the common one and is left out too.
COMMON_PARAMS = frozenset((
    "Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod",
    "SignatureVersion", "SignatureType", "AccessKeyId", "SecurityToken", "Signature", "RegionId",
))


def is_write(action: Optional[str]) -> bool:
    return bool(action) and not str(action).startswith(READ_PREFIXES)


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def action_param_names(names: Iterable[str]) -> List[str]:
    """The action's own parameter names among `names`, sorted and each once; never values."""
    return sorted(set(names) - COMMON_PARAMS)


# ------------------------------------------------------------------ parameter helpers ----------

def _invalid(detail: str) -> ApiError:
    return ApiError("InvalidArgument", message="Parameter error. " + detail)


def required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError("MissingRequiredParams", name)
    return value


def check_name(kind: str, value: str) -> str:
    if not NAME_RE.match(value):
        raise _invalid("%s '%s' must match %s." % (kind, value, NAME_RE.pattern))
    return value


def optional_int(params: Mapping[str, str], name: str, low: int, high: int,
                 default: Optional[int]) -> Optional[int]:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise _invalid("%s '%s' is not an integer." % (name, raw))
    if not low <= value <= high:
        raise _invalid("%s must be between %d and %d." % (name, low, high))
    return value


def optional_bool(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise _invalid("%s '%s' is not a boolean." % (name, raw))


def optional_boolean(params: Mapping[str, str], name: str) -> Optional[bool]:
    """A boolean as the SDKs send it (see BOOLEAN_TEXT); None when absent."""
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in BOOLEAN_TEXT:
        raise _invalid("%s '%s' is not a boolean (true or false)." % (name, raw))
    return BOOLEAN_TEXT[raw]


def json_object(params: Mapping[str, str], name: str) -> Optional[str]:
    """A parameter that must hold a JSON object (kept as sent); None when absent or empty."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise _invalid("%s is not valid JSON." % name)
    if not isinstance(parsed, dict):
        raise _invalid("%s must be a JSON object." % name)
    return raw


def parse_environment(raw: str) -> Dict[str, Any]:
    """Environment: the JSON string {"Variables": [{"Name", "Value", "Description"?}]}."""
    try:
        environment = json.loads(raw)
    except ValueError:
        raise _invalid("Environment is not valid JSON.")
    if not isinstance(environment, dict) or set(environment) - {"Variables"}:
        raise _invalid('Environment must be {"Variables": [...]}.')
    variables = environment.get("Variables", [])
    if not isinstance(variables, list):
        raise _invalid("Environment.Variables must be a list.")
    out: List[Dict[str, str]] = []
    seen = set()
    for variable in variables:
        if (not isinstance(variable, dict) or set(variable) - {"Name", "Value", "Description"}
                or not isinstance(variable.get("Name"), str) or not variable["Name"]
                or not isinstance(variable.get("Value"), str)
                or not isinstance(variable.get("Description", ""), str)):
            raise _invalid("Each Environment variable is {Name, Value, Description?} (strings, "
                           "Name not empty).")
        if variable["Name"] in seen:
            raise _invalid("Environment variable %s is given twice." % variable["Name"])
        seen.add(variable["Name"])
        item = {"Name": variable["Name"], "Value": variable["Value"]}
        if "Description" in variable:
            item["Description"] = variable["Description"]
        out.append(item)
    return {"Variables": out}


def check_version(name: str, value: str) -> str:
    if not VERSION_RE.match(value):
        raise _invalid("%s '%s' is not a version number (1, 2, ...)." % (name, value))
    return value


def check_qualifier(value: str) -> str:
    """A Qualifier: a version number or an alias name (which cannot start with a digit)."""
    if not (VERSION_RE.match(value) or NAME_RE.match(value)):
        raise _invalid("Qualifier '%s' is neither a version number nor an alias name." % value)
    return value


def is_version(qualifier: str) -> bool:
    return bool(VERSION_RE.match(qualifier))


def parse_routing(raw: str) -> List[Tuple[str, int]]:
    """RoutingConfigurations: the JSON string [{"Version": "1", "Weight": 100}] that the SDK
    sends; 1 or 2 entries, distinct versions ("1" or 1), integer weights 0-100 summing to 100.
    Whether the versions exist is checked against the flow (Emulator.check_routes)."""
    try:
        routes = json.loads(raw)
    except ValueError:
        raise _invalid("RoutingConfigurations is not valid JSON.")
    if not isinstance(routes, list) or not 1 <= len(routes) <= MAX_ROUTES:
        raise _invalid("RoutingConfigurations must be a list of 1 or 2 {Version, Weight}.")
    out: List[Tuple[str, int]] = []
    for route in routes:
        if not isinstance(route, dict) or set(route) != {"Version", "Weight"}:
            raise _invalid("Each RoutingConfigurations entry is {Version, Weight}.")
        version, weight = route["Version"], route["Weight"]
        if isinstance(version, int) and not isinstance(version, bool):
            version = str(version)
        if not isinstance(version, str) or not VERSION_RE.match(version):
            raise _invalid("RoutingConfigurations Version %s is not a version number."
                           % json.dumps(route["Version"]))
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
            raise _invalid("RoutingConfigurations Weight %s is not an integer in 0..100."
                           % json.dumps(weight))
        if any(seen == version for seen, _weight in out):
            raise _invalid("RoutingConfigurations names version %s twice." % version)
        out.append((version, weight))
    total = sum(weight for _version, weight in out)
    if total != 100:
        raise _invalid("RoutingConfigurations weights sum to %d, not 100." % total)
    return out


def check_cron(expression: str) -> cron.Schedule:
    try:
        return cron.parse(expression)
    except cron.CronError as exc:
        raise _invalid("CronExpression '%s' is not valid: %s." % (expression, exc))


def check_flow_type(value: str) -> str:
    if value not in FLOW_TYPES:
        raise _invalid("Type '%s' is not supported (FDL)." % value)
    return value


def optional_length(params: Mapping[str, str], name: str, low: int, high: int) -> Optional[str]:
    value = params.get(name)
    if value is None:
        return None
    if not low <= len(value) <= high:
        raise _invalid("%s must be %d to %d characters long." % (name, low, high))
    return value


def optional_time_ms(params: Mapping[str, str], name: str) -> Optional[int]:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(round(parse_timestamp(raw).timestamp() * 1000))
    except ValueError:
        raise _invalid("%s '%s' is not an RFC 3339 time." % (name, raw))


# ------------------------------------------------------------------ rate limits ----------------

class TokenBucket:
    def __init__(self, burst: float, refill: float) -> None:
        self.burst = burst
        self.refill = refill
        self.tokens = burst
        self.updated = time.monotonic()

    def take(self) -> float:
        """Take one token; return 0.0 on success, else seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.refill)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.refill if self.refill > 0 else float("inf")


# ------------------------------------------------------------------ the emulator ---------------

def _int_or_none(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


class LogContext:
    def __init__(self, method: str, user_agent: str, retry: int) -> None:
        self.time = fmt_time(time.time())
        self.method = method
        self.action: Optional[str] = None
        self.flow_name: Optional[str] = None
        self.execution_name: Optional[str] = None
        self.access_key_id: Optional[str] = None
        self.signature_algorithm: Optional[str] = None
        self.wait_time_seconds: Optional[str] = None
        self.schedule_name: Optional[str] = None
        self.param_names: List[str] = []
        self.user_agent = user_agent
        self.retry = retry


class Emulator:
    def __init__(self, initial_settings: Optional[Mapping[str, Any]] = None) -> None:
        self.startup_settings = settings_mod.merge(settings_mod.defaults(), dict(
            initial_settings or {}))
        self.store = Store()
        self.nonces = NonceCache()
        self.settings: Dict[str, Any] = {}
        self.buckets: Dict[str, TokenBucket] = {}
        self.rng = random.Random()
        self.routing_rng = random.Random()
        self.requests: List[Dict[str, Any]] = []
        self.counts: Dict[str, int] = {}
        self.write_count = 0
        self.total = 0
        self.seq = 0
        # emulated clock for schedules: origin instants (epoch seconds) of the current scale
        self.clock_real = time.time()
        self.clock_emulated = self.clock_real
        self._ticker: Optional["asyncio.Task[None]"] = None
        self._ticker_wake: Optional[asyncio.Event] = None
        self.actions: Dict[str, Callable[[Dict[str, str]], Awaitable[Dict[str, Any]]]] = {
            "CreateFlow": self.create_flow,
            "UpdateFlow": self.update_flow,
            "DescribeFlow": self.describe_flow,
            "ListFlows": self.list_flows,
            "DeleteFlow": self.delete_flow,
            "PublishFlowVersion": self.publish_flow_version,
            "ListFlowVersions": self.list_flow_versions,
            "DeleteFlowVersion": self.delete_flow_version,
            "CreateFlowAlias": self.create_flow_alias,
            "UpdateFlowAlias": self.update_flow_alias,
            "DescribeFlowAlias": self.describe_flow_alias,
            "ListFlowAliases": self.list_flow_aliases,
            "DeleteFlowAlias": self.delete_flow_alias,
            "CreateSchedule": self.create_schedule,
            "UpdateSchedule": self.update_schedule,
            "DescribeSchedule": self.describe_schedule,
            "ListSchedules": self.list_schedules,
            "DeleteSchedule": self.delete_schedule,
            "StartExecution": self.start_execution,
            "StopExecution": self.stop_execution,
            "DescribeExecution": self.describe_execution,
            "ListExecutions": self.list_executions,
            "GetExecutionHistory": self.get_execution_history,
        }
        self.reset()

    # -- settings / reset -----------------------------------------------------------------
    def reset(self) -> None:
        self.store.clear()
        self.nonces.clear()
        self.clear_requests()
        self.settings = {}
        self.apply_settings(copy.deepcopy(self.startup_settings))

    def apply_settings(self, new: Dict[str, Any]) -> None:
        old = self.settings
        if not old or old.get("schedule_time_scale") != new["schedule_time_scale"]:
            self._rescale_clock(old, new)
        self.settings = new
        self._wake_ticker()
        if (not old or old.get("quota_scale") != new["quota_scale"]
                or old.get("quotas_enabled") != new["quotas_enabled"]):
            self.buckets = {}
        if not old or old.get("faults") != new["faults"]:
            self.rng = random.Random(new["faults"].get("seed"))
        if not old or old.get("routing_seed") != new["routing_seed"]:
            self.routing_rng = random.Random(new["routing_seed"])

    def update_settings(self, update: Any) -> Dict[str, Any]:
        merged = settings_mod.merge(self.settings, update)
        if isinstance(update, dict) and "faults" in update:
            # re-posting faults (e.g. the same seed) restarts the random sequence
            self.settings["faults"] = None
        self.apply_settings(merged)
        if isinstance(update, dict) and "routing_seed" in update:
            # re-posting the routing seed (even unchanged) restarts its sequence too
            self.routing_rng = random.Random(merged["routing_seed"])
        return self.settings

    # -- emulated time and schedules ------------------------------------------------------------
    def _rescale_clock(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Keep emulated time continuous while the scale runs; scale 0 = real time again.
        Fire times before the change are not made up for."""
        now = time.time()
        emulated = self.now_emulated() if old and old.get("schedule_time_scale") else now
        if not new["schedule_time_scale"]:
            emulated = now
        self.clock_real, self.clock_emulated = now, emulated
        for flow in self.store.flows.values():
            for schedule in flow.schedules.values():
                schedule.checked_until = max(schedule.checked_until, emulated)

    def now_emulated(self) -> float:
        scale = float(self.settings.get("schedule_time_scale") or 0.0) if self.settings else 0.0
        if scale <= 0:
            return time.time()
        return self.clock_emulated + (time.time() - self.clock_real) * scale

    @staticmethod
    def _utc(epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, tz=timezone.utc)

    def next_fire(self, schedule: Schedule, after: float) -> Optional[float]:
        """The next fire time (emulated epoch seconds) strictly after `after`."""
        parsed = cron.parse(schedule.cron_expression)
        nxt = parsed.next_after(self._utc(after), anchor=self._utc(schedule.anchor))
        return None if nxt is None else nxt.timestamp()

    def fire(self, schedule: Schedule) -> Execution:
        """Start an execution of the schedule's flow with its Payload as the input. Not an API
        request: never rate limited, faulted or logged."""
        flow = schedule.flow
        while True:
            schedule.fire_count += 1
            suffix = "-%d" % schedule.fire_count
            name = ("schedule-" + schedule.name)[:128 - len(suffix)] + suffix
            if name not in flow.executions:
                break
        starting = float(self.settings["starting_seconds"])
        succeed_after = None if flow.run_seconds is None else starting + float(flow.run_seconds)
        return self.store.start_execution(flow, name, schedule.payload, status="Starting",
                                          running_after=starting, succeed_after=succeed_after)

    def fire_all(self, flow_name: Optional[str] = None) -> Dict[str, List[Dict[str, Any]]]:
        """Fire every enabled schedule (of one flow, or of all) once, now."""
        self.store.complete_deletions()
        fired: List[Dict[str, Any]] = []
        skipped: List[Dict[str, Any]] = []
        for name in sorted(self.store.flows):
            flow = self.store.flows[name]
            if flow_name is not None and name != flow_name:
                continue
            for schedule_name in sorted(flow.schedules):
                schedule = flow.schedules[schedule_name]
                entry = {"flow_name": name, "schedule_name": schedule_name}
                if flow.delete_at is not None:
                    skipped.append(dict(entry, reason="flow_deleting"))
                elif not schedule.enable:
                    skipped.append(dict(entry, reason="disabled"))
                else:
                    fired.append(dict(entry, execution_name=self.fire(schedule).name))
        return {"fired": fired, "skipped": skipped}

    def tick(self) -> float:
        """Fire what is due in emulated time; answer the real seconds until the next fire."""
        self.store.complete_deletions()
        scale = float(self.settings["schedule_time_scale"])
        if scale <= 0:
            return 3600.0
        now = self.now_emulated()
        soonest: Optional[float] = None
        for flow in list(self.store.flows.values()):
            if flow.delete_at is not None:
                continue
            for schedule in list(flow.schedules.values()):
                if not schedule.enable:
                    continue
                nxt = self.next_fire(schedule, schedule.checked_until)
                fires = 0
                while nxt is not None and nxt <= now and fires < MAX_FIRES_PER_TICK:
                    self.fire(schedule)
                    fires += 1
                    schedule.checked_until = nxt
                    nxt = self.next_fire(schedule, nxt)
                schedule.checked_until = max(schedule.checked_until, now)
                if nxt is not None and nxt <= now:
                    nxt = self.next_fire(schedule, now)
                if nxt is not None and (soonest is None or nxt < soonest):
                    soonest = nxt
        if soonest is None:
            return 3600.0
        return max(0.0, (soonest - now) / scale)

    async def _run_ticker(self) -> None:
        while not self.store.shutting_down:
            wait = self.tick()
            wake = self._ticker_wake = asyncio.Event()
            try:
                await asyncio.wait_for(wake.wait(), min(max(wait, 0.002), 0.5))
            except asyncio.TimeoutError:
                pass

    def _wake_ticker(self) -> None:
        if self._ticker_wake is not None:
            self._ticker_wake.set()

    def start_background(self) -> None:
        """Start the schedule ticker (needs a running event loop; harmless to call again)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._ticker is None or self._ticker.done():
            self._ticker = loop.create_task(self._run_ticker())

    def shutdown(self) -> None:
        self.store.shutdown()
        if self._ticker is not None:
            self._ticker.cancel()

    def clear_requests(self) -> None:
        self.requests = []
        self.counts = {}
        self.write_count = 0
        self.total = 0
        self.seq = 0

    # -- request log ------------------------------------------------------------------------
    def log(self, ctx: LogContext, http_status: Optional[int], code: Optional[str]) -> None:
        self.seq += 1
        self.total += 1
        action = ctx.action or ""
        self.counts[action] = self.counts.get(action, 0) + 1
        if is_write(ctx.action):
            self.write_count += 1
        self.requests.append({
            "seq": self.seq,
            "time": ctx.time,
            "method": ctx.method,
            "action": ctx.action,
            "http_status": http_status,
            "code": code,
            "flow_name": ctx.flow_name,
            "execution_name": ctx.execution_name,
            "access_key_id": ctx.access_key_id,
            "signature_algorithm": ctx.signature_algorithm,
            "wait_time_seconds": _int_or_none(ctx.wait_time_seconds),
            "schedule_name": ctx.schedule_name,
            "param_names": list(ctx.param_names),
            "user_agent": ctx.user_agent,
            "retry": ctx.retry,
        })
        if len(self.requests) > REQUEST_LOG_MAX:
            del self.requests[: len(self.requests) - REQUEST_LOG_MAX]

    def request_log(self) -> Dict[str, Any]:
        return {"requests": list(self.requests), "counts": dict(self.counts),
                "write_count": self.write_count, "total": self.total}

    # -- pipeline -----------------------------------------------------------------------------
    def _bucket(self, action: str) -> TokenBucket:
        bucket = self.buckets.get(action)
        if bucket is None:
            burst, refill = QUOTAS.get(action, DEFAULT_QUOTA)
            scale = float(self.settings["quota_scale"])
            bucket = TokenBucket(max(1.0, burst * scale), refill * scale)
            self.buckets[action] = bucket
        return bucket

    def _rate_limit(self, action: str) -> None:
        if not self.settings["quotas_enabled"]:
            return
        wait = self._bucket(action).take()
        if wait > 0:
            # Whole milliseconds, as the official SDK reads the header.
            headers = {"x-acs-retry-after": str(int(math.ceil(wait * 1000)))}
            raise ApiError("ResourceThrottled", headers=headers)

    async def _faults(self, action: str) -> None:
        faults = self.settings["faults"]
        if faults.get("actions") is not None and action not in faults["actions"]:
            return
        latency = faults.get("latency_ms")
        if latency:
            low, high = latency
            delay = low if high <= low else self.rng.uniform(low, high)
            if delay > 0:
                await asyncio.sleep(delay / 1000.0)
        if faults.get("drop_rate") and self.rng.random() < faults["drop_rate"]:
            raise DropConnection()
        if faults.get("error_500_rate") and self.rng.random() < faults["error_500_rate"]:
            raise ApiError("InternalServerError")
        if faults.get("error_429_rate") and self.rng.random() < faults["error_429_rate"]:
            raise ApiError("ResourceThrottled")
        if (action in CONFLICT_ACTIONS and faults.get("error_409_rate")
                and self.rng.random() < faults["error_409_rate"]):
            raise ApiError("ConcurrentUpdateError")

    async def handle(self, req: IncomingRequest, ctx: LogContext, size: int) -> Dict[str, Any]:
        params = req.params()
        ctx.param_names = action_param_names(params)
        auth_header = req.headers.get("authorization", "")
        ctx.action = params.get("Action") or req.headers.get("x-acs-action")
        ctx.flow_name = params.get("FlowName") or (
            params.get("Name") if ctx.action and "Flow" in ctx.action else None)
        ctx.execution_name = params.get("ExecutionName")
        ctx.wait_time_seconds = params.get("WaitTimeSeconds")
        ctx.access_key_id = params.get("AccessKeyId")
        if auth_header.startswith("ACS3-HMAC-SHA256"):
            ctx.signature_algorithm = "ACS3-HMAC-SHA256"
            ctx.action = req.headers.get("x-acs-action") or params.get("Action")
            match = re.search(r"Credential=([^,\s]+)", auth_header)
            ctx.access_key_id = match.group(1) if match else None
        elif "Signature" in params or "AccessKeyId" in params:
            ctx.signature_algorithm = "RPC-V1-HMAC-SHA1"
        if ctx.action and "Schedule" in ctx.action:
            ctx.schedule_name = params.get("ScheduleName")
        if size > MAX_REQUEST_BYTES:
            raise ApiError("EntityTooLarge", MAX_REQUEST_BYTES)

        now_wall = datetime.now(timezone.utc) + timedelta(seconds=self.settings["clock_offset_seconds"])
        auth: AuthResult = verify(req, self.settings, self.nonces, now_wall, time.monotonic())
        if auth.access_key_id:
            ctx.access_key_id = auth.access_key_id
        version, action = auth.version, auth.action
        v3 = auth.algorithm == "ACS3-HMAC-SHA256"
        if not version:
            if v3:
                raise ApiError("MissingRequiredHeader", "x-acs-version")
            raise ApiError("MissingRequiredParams", "Version")
        if version != API_VERSION:
            raise ApiError("APIVersionNotSupported", version)
        if not action:
            if v3:
                raise ApiError("MissingRequiredHeader", "x-acs-action")
            raise ApiError("MissingRequiredParams", "Action")
        handler = self.actions.get(action)
        if handler is None:
            raise ApiError("ActionNotSupported", action)
        self._rate_limit(action)
        await self._faults(action)
        self.start_background()
        self.store.complete_deletions()
        return await handler(params)

    # -- lookups ------------------------------------------------------------------------------
    def _flow(self, name: str) -> Flow:
        flow = self.store.flows.get(name)
        if flow is None:
            raise ApiError("FlowNotExists", name)
        return flow

    @staticmethod
    def _version(flow: Flow, version: str) -> FlowVersion:
        found = flow.versions.get(int(version))
        if found is None:
            raise ApiError("FlowVersionNotExists", version, flow.name)
        return found

    @staticmethod
    def _alias(flow: Flow, name: str) -> Alias:
        alias = flow.aliases.get(name)
        if alias is None:
            raise ApiError("FlowAliasNotExists", name, flow.name)
        return alias

    def _execution(self, params: Mapping[str, str]) -> Execution:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        exec_name = check_name("ExecutionName", required(params, "ExecutionName"))
        flow = self._flow(flow_name)
        ex = flow.executions.get(exec_name)
        if ex is None:
            raise ApiError("ExecutionNotExists", exec_name, flow_name)
        return ex

    # -- flow actions -------------------------------------------------------------------------
    async def create_flow(self, params: Dict[str, str]) -> Dict[str, Any]:
        name = check_name("Name", required(params, "Name"))
        definition = required(params, "Definition")
        description = required(params, "Description")
        type_ = check_flow_type(required(params, "Type"))
        mode = params.get("ExecutionMode") or "Standard"
        if mode not in EXECUTION_MODES:
            raise _invalid("ExecutionMode must be Standard or Express.")
        optional_length(params, "Description", 0, 256)
        environment = None
        if params.get("Environment"):
            environment = parse_environment(params["Environment"])
        if name in self.store.flows:
            raise ApiError("FlowAlreadyExists", name)
        flow = self.store.create_flow(
            name, definition=definition, description=description, type_=type_,
            role_arn=params.get("RoleArn", ""), execution_mode=mode, environment=environment,
            external_storage_location=params.get("ExternalStorageLocation"),
            resource_group_id=params.get("ResourceGroupId"))
        return flow.to_api()

    async def update_flow(self, params: Dict[str, str]) -> Dict[str, Any]:
        """Partial: a parameter that is present changes its field ("" clears Description,
        RoleArn and Environment; an empty Definition or Type is invalid)."""
        name = check_name("Name", required(params, "Name"))
        if "Definition" in params and params["Definition"] == "":
            raise _invalid("Definition must not be empty.")
        if "Type" in params:
            check_flow_type(params["Type"])
        optional_length(params, "Description", 0, 256)
        environment = None
        if params.get("Environment"):
            environment = parse_environment(params["Environment"])
        flow = self._flow(name)
        for param, attr in (("Definition", "definition"), ("Description", "description"),
                            ("Type", "type"), ("RoleArn", "role_arn")):
            if param in params:
                setattr(flow, attr, params[param])
        if "Environment" in params:
            flow.environment = environment
        flow.last_modified_time = fmt_time(time.time())
        return flow.to_api(update_reply=True)

    async def describe_flow(self, params: Dict[str, str]) -> Dict[str, Any]:
        """With FlowVersion: that version's snapshot (404 FlowVersionNotExists if unknown)."""
        name = check_name("Name", required(params, "Name"))
        version = params.get("FlowVersion") or None
        if version is not None:
            check_version("FlowVersion", version)
        flow = self._flow(name)
        if version is None:
            return flow.to_api()
        return flow.to_api(version=self._version(flow, version))

    async def list_flows(self, params: Dict[str, str]) -> Dict[str, Any]:
        limit = optional_int(params, "Limit", 1, 1000, 60)
        assert limit is not None
        names = sorted(self.store.flows)
        token = params.get("NextToken")
        if token:
            if token not in self.store.flows:
                raise _invalid("NextToken '%s' is not valid." % token)
            names = [n for n in names if n >= token]
        out: Dict[str, Any] = {"Flows": [self.store.flows[n].to_api() for n in names[:limit]]}
        if len(names) > limit:
            out["NextToken"] = names[limit]
        return out

    async def delete_flow(self, params: Dict[str, str]) -> Dict[str, Any]:
        """Asynchronous, as the service: success at once, the flow (with its executions and
        schedules) stays visible for delete_delay_seconds; a repeated DeleteFlow meanwhile
        answers success and keeps the first deletion time."""
        name = check_name("Name", required(params, "Name"))
        flow = self._flow(name)
        if flow.delete_at is None:
            delay = float(self.settings["delete_delay_seconds"])
            flow.delete_at = time.monotonic() + delay
            if delay <= 0:
                self.store.complete_deletions()
            else:
                # wake long-polls of its executions when the deletion completes
                asyncio.get_running_loop().call_later(delay + 0.001, self.store.complete_deletions)
        return {}

    # -- versions and aliases (README.md, "Versions and aliases") ------------------------------
    def publish_version(self, flow: Flow, description: str) -> FlowVersion:
        """Publish the flow as it is now, changed or not (the reference: no precondition)."""
        limit = int(self.settings["max_versions_per_flow"])
        if len(flow.versions) >= limit:
            raise ApiError("LimitExceeded", "versions", flow.name, limit)
        return flow.publish(description)

    @staticmethod
    def check_routes(flow: Flow, routing: List[Tuple[str, int]]) -> None:
        for version, _weight in routing:
            if int(version) not in flow.versions:
                raise _invalid("RoutingConfigurations: version %s of flow %s does not exist."
                               % (version, flow.name))

    def add_alias(self, flow: Flow, name: str, routing: List[Tuple[str, int]],
                  description: str) -> Alias:
        if name in flow.aliases:
            raise ApiError("FlowAliasAlreadyExists", name, flow.name)
        limit = int(self.settings["max_aliases_per_flow"])
        if len(flow.aliases) >= limit:
            raise ApiError("LimitExceeded", "aliases", flow.name, limit)
        self.check_routes(flow, routing)
        alias = Alias(flow, name, routing, description)
        flow.aliases[name] = alias
        return alias

    def route(self, alias: Alias) -> FlowVersion:
        """The version an execution through the alias runs: one draw of the routing generator
        (seeded by routing_seed) in 0..99; the first route takes draws below its weight."""
        draw = self.routing_rng.randrange(100)
        chosen = alias.routing[-1][0]
        for version, weight in alias.routing:
            if draw < weight:
                chosen = version
                break
            draw -= weight
        return alias.flow.versions[int(chosen)]

    async def publish_flow_version(self, params: Dict[str, str]) -> Dict[str, Any]:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        description = optional_length(params, "Description", 0, 256) or ""
        flow = self._flow(flow_name)
        out: Dict[str, Any] = {"FlowName": flow.name}
        out.update(self.publish_version(flow, description).to_api())
        return out

    async def list_flow_versions(self, params: Dict[str, str]) -> Dict[str, Any]:
        """Oldest first; NextToken is the version the next page starts with (any version
        number is accepted, so deleting versions between pages does not break paging)."""
        flow_name = check_name("FlowName", required(params, "FlowName"))
        limit = optional_int(params, "Limit", 1, 1000, 60)
        assert limit is not None
        token = params.get("NextToken") or None
        if token is not None and not VERSION_RE.match(token):
            raise _invalid("NextToken '%s' is not valid." % token)
        flow = self._flow(flow_name)
        numbers = sorted(flow.versions)
        if token is not None:
            numbers = [n for n in numbers if n >= int(token)]
        out: Dict[str, Any] = {
            "FlowVersions": [flow.versions[n].to_api() for n in numbers[:limit]]}
        if len(numbers) > limit:
            out["NextToken"] = str(numbers[limit])
        return out

    async def delete_flow_version(self, params: Dict[str, str]) -> Dict[str, Any]:
        """Refused (409 FlowVersionInUse) while an alias routes to the version; executions of
        the version that are still running go on."""
        flow_name = check_name("FlowName", required(params, "FlowName"))
        version = check_version("FlowVersion", required(params, "FlowVersion"))
        flow = self._flow(flow_name)
        found = self._version(flow, version)
        users = flow.aliases_routing_to(found)
        if users:
            raise ApiError("FlowVersionInUse", version, flow.name, ", ".join(users))
        del flow.versions[found.number]
        return {}

    async def create_flow_alias(self, params: Dict[str, str]) -> Dict[str, Any]:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        name = check_name("Name", required(params, "Name"))
        routing = parse_routing(required(params, "RoutingConfigurations"))
        description = optional_length(params, "Description", 0, 256) or ""
        flow = self._flow(flow_name)
        out: Dict[str, Any] = {"FlowName": flow.name}
        out.update(self.add_alias(flow, name, routing, description).to_api())
        return out

    async def update_flow_alias(self, params: Dict[str, str]) -> Dict[str, Any]:
        """Partial: RoutingConfigurations, when present, replaces the routes; Description,
        when present, replaces the description ("" clears it)."""
        flow_name = check_name("FlowName", required(params, "FlowName"))
        name = check_name("Name", required(params, "Name"))
        routing = None
        if "RoutingConfigurations" in params:
            routing = parse_routing(params["RoutingConfigurations"])
        description = optional_length(params, "Description", 0, 256)
        flow = self._flow(flow_name)
        alias = self._alias(flow, name)
        if routing is not None:
            self.check_routes(flow, routing)
            alias.routing = routing
        if description is not None:
            alias.description = description
        alias.last_modified_time = fmt_time(time.time())
        return {"Alias": alias.to_api()}

    async def describe_flow_alias(self, params: Dict[str, str]) -> Dict[str, Any]:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        name = check_name("Name", required(params, "Name"))
        return {"Alias": self._alias(self._flow(flow_name), name).to_api()}

    async def list_flow_aliases(self, params: Dict[str, str]) -> Dict[str, Any]:
        """Name order; Weight is a string here (as the SDK's ListFlowAliases model says)."""
        flow_name = check_name("FlowName", required(params, "FlowName"))
        limit = optional_int(params, "Limit", 1, 1000, 60)
        assert limit is not None
        flow = self._flow(flow_name)
        names = sorted(flow.aliases)
        token = params.get("NextToken")
        if token:
            if token not in flow.aliases:
                raise _invalid("NextToken '%s' is not valid." % token)
            names = [n for n in names if n >= token]
        out: Dict[str, Any] = {"Aliases": [flow.aliases[n].to_api(weight_as_string=True)
                                           for n in names[:limit]]}
        if len(names) > limit:
            out["NextToken"] = names[limit]
        return out

    async def delete_flow_alias(self, params: Dict[str, str]) -> Dict[str, Any]:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        name = check_name("Name", required(params, "Name"))
        flow = self._flow(flow_name)
        del flow.aliases[self._alias(flow, name).name]
        return {}

    # -- schedule actions -----------------------------------------------------------------------
    def _schedule(self, params: Mapping[str, str]) -> Schedule:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        schedule_name = check_name("ScheduleName", required(params, "ScheduleName"))
        flow = self._flow(flow_name)
        schedule = flow.schedules.get(schedule_name)
        if schedule is None:
            raise ApiError("ScheduleNotExists", schedule_name, flow_name)
        return schedule

    async def create_schedule(self, params: Dict[str, str]) -> Dict[str, Any]:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        schedule_name = check_name("ScheduleName", required(params, "ScheduleName"))
        expression = required(params, "CronExpression")
        check_cron(expression)
        payload = json_object(params, "Payload")
        description = optional_length(params, "Description", 0, 256) or ""
        enable = optional_boolean(params, "Enable")
        flow = self._flow(flow_name)
        if schedule_name in flow.schedules:
            raise ApiError("ScheduleAlreadyExists", schedule_name, flow_name)
        # Enable omitted: enabled (the reference leaves the default open; see README.md).
        schedule = Schedule(flow, schedule_name, expression, payload, description,
                            True if enable is None else enable, self.now_emulated())
        flow.schedules[schedule_name] = schedule
        self._wake_ticker()
        return schedule.to_api()

    async def update_schedule(self, params: Dict[str, str]) -> Dict[str, Any]:
        """Partial: a parameter that is present changes its field ("" clears Description and
        Payload). Enabling again, or a new expression, restarts the schedule's timing."""
        check_name("FlowName", required(params, "FlowName"))
        check_name("ScheduleName", required(params, "ScheduleName"))
        expression = params.get("CronExpression")
        if expression is not None:
            if expression == "":
                raise _invalid("CronExpression must not be empty.")
            check_cron(expression)
        payload = json_object(params, "Payload")
        description = optional_length(params, "Description", 0, 256)
        enable = optional_boolean(params, "Enable")
        schedule = self._schedule(params)
        now = self.now_emulated()
        restart = False
        if expression is not None:
            restart = restart or expression != schedule.cron_expression
            schedule.cron_expression = expression
        if "Payload" in params:
            schedule.payload = payload
        if description is not None:
            schedule.description = description
        if enable is not None:
            restart = restart or (enable and not schedule.enable)
            schedule.enable = enable
        if restart:
            schedule.anchor = now
            schedule.checked_until = now
        schedule.last_modified_time = fmt_time(time.time())
        self._wake_ticker()
        return schedule.to_api()

    async def describe_schedule(self, params: Dict[str, str]) -> Dict[str, Any]:
        return self._schedule(params).to_api()

    async def list_schedules(self, params: Dict[str, str]) -> Dict[str, Any]:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        limit = optional_int(params, "Limit", 1, 1000, 60)
        assert limit is not None
        flow = self._flow(flow_name)
        names = sorted(flow.schedules)
        token = params.get("NextToken")
        # The docs say the first query may use the FlowName as its NextToken.
        if token and token in flow.schedules:
            names = [n for n in names if n >= token]
        elif token and token != flow_name:
            raise _invalid("NextToken '%s' is not valid." % token)
        out: Dict[str, Any] = {
            "Schedules": [flow.schedules[n].to_api() for n in names[:limit]]}
        if len(names) > limit:
            out["NextToken"] = names[limit]
        return out

    async def delete_schedule(self, params: Dict[str, str]) -> Dict[str, Any]:
        schedule = self._schedule(params)
        del schedule.flow.schedules[schedule.name]
        return {}

    # -- execution actions --------------------------------------------------------------------
    async def start_execution(self, params: Dict[str, str]) -> Dict[str, Any]:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        exec_name = params.get("ExecutionName") or None
        if exec_name is not None:
            check_name("ExecutionName", exec_name)
        input_ = params.get("Input") or None
        if input_ is not None:
            try:
                parsed = json.loads(input_)
            except ValueError:
                raise _invalid("Input is not valid JSON.")
            if not isinstance(parsed, dict):
                raise _invalid("Input must be a JSON object.")
        qualifier = params.get("Qualifier") or None
        if qualifier is not None:
            check_qualifier(qualifier)
        flow = self._flow(flow_name)
        if flow.execution_mode != "Standard":
            raise _invalid("StartExecution needs a flow in Standard mode.")
        version: Optional[FlowVersion] = None
        alias: Optional[Alias] = None
        if qualifier is not None:
            if is_version(qualifier):
                version = self._version(flow, qualifier)
            else:
                alias = self._alias(flow, qualifier)
        if exec_name is None:
            exec_name = "exec-" + uuid.uuid4().hex
        existing = flow.executions.get(exec_name)
        if existing is not None:
            if existing.status in TERMINAL:
                raise ApiError("ExecutionAlreadyExists", exec_name, flow_name)
            return existing.to_api()
        if alias is not None:
            version = self.route(alias)
        starting = float(self.settings["starting_seconds"])
        run_seconds = flow.run_seconds
        finish_status = "Succeeded"
        finish_extra: Dict[str, Any] = {}
        outcome = flow.version_outcomes.get(version.number) if version is not None else None
        if outcome is not None:
            run_seconds = outcome["run_seconds"]
            finish_status = outcome["outcome"]
            finish_extra = {key: outcome.get(key) for key in ("output", "error", "cause")}
        succeed_after = None if run_seconds is None else starting + float(run_seconds)
        ex = self.store.start_execution(flow, exec_name, input_, status="Starting",
                                        running_after=starting, succeed_after=succeed_after,
                                        version=version, qualifier=qualifier,
                                        finish_status=finish_status, finish_extra=finish_extra)
        return ex.to_api()

    async def stop_execution(self, params: Dict[str, str]) -> Dict[str, Any]:
        error = optional_length(params, "Error", 1, 128)
        cause = optional_length(params, "Cause", 1, 4096)
        ex = self._execution(params)
        if ex.status in TERMINAL:
            raise ApiError("ExecutionAlreadyCompleted", ex.name, ex.flow.name)
        reply = ex.to_api()
        if not ex.stop_requested:
            ex.stop_requested = True
            delay = float(self.settings["stop_delay_seconds"])
            if delay <= 0:
                ex.set_status("Stopped", error=error, cause=cause)
            else:
                ex.schedule(time.monotonic() + delay, "Stopped", error=error, cause=cause)
        return reply

    async def describe_execution(self, params: Dict[str, str]) -> Dict[str, Any]:
        wait = optional_int(params, "WaitTimeSeconds", 0, 60, 0)
        ex = self._execution(params)
        if wait:
            await self.store.wait_for_terminal(ex, float(wait))
            ex = self._execution(params)  # it may have been deleted meanwhile
        reply = ex.to_api()
        if self.settings["race"] and reply["Status"] in IN_PROGRESS:
            ex.set_status("Succeeded")
        return reply

    async def list_executions(self, params: Dict[str, str]) -> Dict[str, Any]:
        flow_name = check_name("FlowName", required(params, "FlowName"))
        limit = optional_int(params, "Limit", 1, 100, 60)
        assert limit is not None
        status = params.get("Status") or None
        if status is not None and status not in STATUSES:
            raise _invalid("Status '%s' is not one of %s." % (status, ", ".join(STATUSES)))
        prefix = params.get("ExecutionNamePrefix") or ""
        begin = optional_time_ms(params, "StartedTimeBegin")
        end = optional_time_ms(params, "StartedTimeEnd")
        metadata_only = optional_bool(params, "MetadataOnly")
        # Qualifier (README.md, "Versions and aliases"): a version number matches executions
        # that ran that version (started with the number or routed to it by an alias); an
        # alias name matches executions started through that alias. Neither needs to exist
        # any more: the filter reads what each execution recorded when it started.
        qualifier = params.get("Qualifier") or None
        if qualifier is not None:
            check_qualifier(qualifier)
        flow = self._flow(flow_name)
        items = sorted(flow.executions.values(), key=Execution.sort_key)
        token = params.get("NextToken")
        if token:
            anchor = flow.executions.get(token)
            if anchor is None:
                raise _invalid("NextToken '%s' is not valid." % token)
            start = anchor.sort_key()
            items = [ex for ex in items if ex.sort_key() >= start]
        selected = [
            ex for ex in items
            if ex.name.startswith(prefix)
            and (status is None or ex.status == status)
            and (begin is None or ex.started_ms >= begin)
            and (end is None or ex.started_ms <= end)
            and (qualifier is None or qualifier == (
                ex.flow_version if is_version(qualifier) else ex.qualifier))
        ]
        out: Dict[str, Any] = {
            "Executions": [ex.to_api(metadata_only) for ex in selected[:limit]]}
        if len(selected) > limit:
            out["NextToken"] = selected[limit].name
        return out

    async def get_execution_history(self, params: Dict[str, str]) -> Dict[str, Any]:
        limit = optional_int(params, "Limit", 1, 1000, 60)
        assert limit is not None
        token = params.get("NextToken")
        start = 1
        if token:
            try:
                start = int(token)
            except ValueError:
                raise _invalid("NextToken '%s' is not valid." % token)
            if start < 1:
                raise _invalid("NextToken '%s' is not valid." % token)
        ex = self._execution(params)
        ex.refresh()
        events = ex.events[start - 1:]
        out: Dict[str, Any] = {"Events": [dict(e) for e in events[:limit]]}
        if len(events) > limit:
            out["NextToken"] = str(events[limit]["EventId"])
        return out
