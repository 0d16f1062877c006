# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reliability scenarios of issue 6, as functions, so that the secrets test can re-run each one.

Each scenario drives the modules through ansible-playbook, asserts on the module results AND on the
emulator (its state and its request log), and returns nothing; a failed expectation raises.
``sts=True`` runs it with the emulator's STS key and token handed over as environment variables (so
Ansible's no_log masking, which only covers option values, cannot hide a leak by the module).
"""

from __future__ import annotations

import collections
import typing as t

from cloudflow_emulator import EmulatorControl
from reliability_harness import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    QUOTA_SCALE,
    STS_KEY_ID,
    STS_SECRET,
    STS_TOKEN,
    AnsibleRunner,
    assert_no_traceback,
)

IN_PROGRESS = ("Starting", "Running")
EXECUTION = "cloudflow_execution"
INFO = "cloudflow_execution_info"


def _credentials(ansible: AnsibleRunner, sts: bool, endpoint: t.Optional[str] = None) -> tuple[dict[str, t.Any], dict[str, str]]:
    """(module args, environment) that reach the emulator."""
    if sts:
        return {"endpoint": endpoint or ansible.emulator.url}, ansible.environment_credentials(sts=True)
    return ansible.connection(endpoint), {}


def _by_action(log: dict[str, t.Any], action: str) -> list[dict[str, t.Any]]:
    return [entry for entry in log["requests"] if entry["action"] == action]


# ---------------------------------------------------------------------------------------------
# fault soak


def fault_soak(emulator: EmulatorControl, ansible: AnsibleRunner, count: int, sts: bool = False, prove_faults: bool = True) -> None:
    """Bulk stop of count in-progress executions under 500s, 429s, dropped connections and latency.

    prove_faults asserts that every kind of fault occurred; a short run (a few dozen requests) may by chance
    miss one kind, so only runs large enough for that to be very unlikely should ask for it.
    """
    flow = "soak_flow"
    emulator.reset(quota_scale=QUOTA_SCALE)
    running = emulator.seed_executions(flow, count, name_prefix="soak-")["names"]
    # Neighbours the filter must see but not stop, and ones it must not even touch.
    starting = emulator.seed_executions(flow, 3, name_prefix="early-", status="Starting")["names"]
    finished = (emulator.seed_executions(flow, 3, name_prefix="done-", status="Succeeded")["names"]
                + emulator.seed_executions(flow, 2, name_prefix="failed-", status="Failed")["names"])
    emulator.seed_executions("soak_other_flow", 3, name_prefix="soak-")
    before = emulator.statuses(flow)
    assert sorted(name for name, status in before.items() if status in IN_PROGRESS) == sorted(running + starting)
    emulator.configure(faults={
        "error_500_rate": 0.10, "error_429_rate": 0.10, "drop_rate": 0.05, "latency_ms": [0, 40], "seed": 20240501,
    })
    emulator.clear_requests()

    connection, env = _credentials(ansible, sts)
    args = dict(connection, flow_name=flow, filters={}, state="stopped", wait=True, wait_timeout=300,
                quota_scale=QUOTA_SCALE, retry_max_delay=2, cause="reliability soak", error="Soak")
    outcome, run = ansible.run_module(EXECUTION, args, env=env)
    after = emulator.statuses(flow)
    log = emulator.requests()
    emulator.configure(faults=None)

    assert_no_traceback(run)
    assert not outcome.get("failed"), "the bulk stop failed: {0}\n{1}".format(outcome.get("msg"), run.describe())
    assert outcome["changed"] is True

    # Every execution ends Stopped (emulator state), finished ones untouched, the other flow untouched.
    in_progress_before = {name for name, status in before.items() if status in IN_PROGRESS}
    still_going = {name: after[name] for name in in_progress_before if after[name] != "Stopped"}
    assert not still_going, "executions not Stopped after the soak: {0}".format(still_going)
    assert {name: after[name] for name in finished} == {name: before[name] for name in finished}
    assert set(emulator.statuses("soak_other_flow").values()) == {"Running"}

    # The task reports exactly what it changed.
    reported = {entry["name"]: entry for entry in outcome["executions"]}
    assert set(reported) == in_progress_before, "listed {0} in-progress executions, expected {1}".format(
        len(reported), len(in_progress_before))
    changed = {name for name, entry in reported.items() if entry["changed"]}
    stopped_by_run = {name for name in in_progress_before if after[name] == "Stopped"}
    assert changed == stopped_by_run, "changed but not stopped: {0}; stopped but not reported changed: {1}".format(
        sorted(changed - stopped_by_run)[:10], sorted(stopped_by_run - changed)[:10])
    assert [name for name, entry in reported.items() if entry["error"]] == []
    assert {entry["status_after"] for entry in reported.values()} == {"Stopped"}
    assert {reported[name]["status_before"] for name in starting} <= set(IN_PROGRESS)
    assert outcome.get("failed_executions") in (None, [])

    # The emulator saw exactly one accepted stop per in-progress execution and no write to anything else.
    accepted_stops = collections.Counter(
        entry["execution_name"] for entry in _by_action(log, "StopExecution") if entry["http_status"] == 200)
    assert set(accepted_stops) == in_progress_before
    assert set(accepted_stops.values()) == {1}, "an execution was stopped twice: {0}".format(
        {name: number for name, number in accepted_stops.items() if number > 1})
    writes = [entry for entry in log["requests"] if entry["action"] not in ("DescribeExecution", "ListExecutions")]
    assert {entry["action"] for entry in writes} == {"StopExecution"}
    assert {entry["execution_name"] for entry in writes} <= in_progress_before
    assert {entry["flow_name"] for entry in log["requests"]} == {flow}

    # The faults really happened (otherwise this scenario proves nothing) and were survived.
    codes = collections.Counter(entry["code"] for entry in log["requests"])
    if prove_faults:
        assert codes["InternalServerError"] > 0, codes
        assert codes["ResourceThrottled"] > 0, codes
        assert codes["ConnectionDropped"] > 0, codes
    # wait: true watches the stops land with status-filtered ListExecutions pages (a page holds up to 99
    # executions), not with one DescribeExecution long-poll per execution (5 calls a second).
    long_polls = [entry for entry in _by_action(log, "DescribeExecution") if (entry.get("wait_time_seconds") or 0) > 0]
    assert not long_polls, "expected no per-execution long-poll while waiting for many stops; found {0}".format(len(long_polls))
    first_stop = next(index for index, entry in enumerate(log["requests"]) if entry["action"] == "StopExecution")
    watches = [entry for entry in log["requests"][first_stop:] if entry["action"] == "ListExecutions"]
    assert watches, "expected ListExecutions pages after the stops (the wait); found none"


# ---------------------------------------------------------------------------------------------
# races


def races(emulator: EmulatorControl, ansible: AnsibleRunner, count: int, sts: bool = False) -> None:
    """count single stops, each of an execution that finishes between the module's read and its stop."""
    flow = "race_flow"
    emulator.reset(race=True, quota_scale=QUOTA_SCALE)
    names = emulator.seed_executions(flow, count, name_prefix="race-")["names"]
    emulator.clear_requests()

    connection, env = _credentials(ansible, sts)
    task = {
        "name": "Stop executions that finish in between",
        "seed.cloudflow.cloudflow_execution": dict(connection, flow_name=flow, name="{{ item }}", state="stopped"),
        "loop": names,
        "register": "race_stops",
        "ignore_errors": True,
    }
    run = ansible.run_playbook([task], registered=["race_stops"], env=env)
    log = emulator.requests()
    after = emulator.statuses(flow)

    assert_no_traceback(run)
    results = (run.results.get("race_stops") or {}).get("results")
    assert results is not None, run.describe()
    assert [result["item"] for result in results] == names
    failed = {result["item"]: result.get("msg") for result in results if result.get("failed")}
    assert not failed, "race stops failed: {0}".format(dict(list(failed.items())[:5]))
    changed = [result["item"] for result in results if result["changed"]]
    assert not changed, "race stops reported changed: {0}".format(changed[:10])
    assert {result["execution"]["status"] for result in results} == {"Succeeded"}
    assert set(after.values()) == {"Succeeded"}

    # Every one really was a race: one read, a stop answered ExecutionAlreadyCompleted, one more read.
    stops = _by_action(log, "StopExecution")
    assert sorted(entry["execution_name"] for entry in stops) == names
    assert {entry["code"] for entry in stops} == {"ExecutionAlreadyCompleted"}
    assert log["counts"].get("DescribeExecution") == 2 * count
    assert log["write_count"] == count
    assert log["total"] == 3 * count


# ---------------------------------------------------------------------------------------------
# bad input


def bad_input_cases(emulator_url: str) -> tuple[list[dict[str, t.Any]], list[dict[str, t.Any]]]:
    """(cases run with working connection defaults, cases run without any credentials).

    Each case: module, args, option (must appear in the failure message), id.
    """
    stop = {"flow_name": "flow_ok", "name": "execution_ok", "state": "stopped"}
    start = {"flow_name": "flow_ok", "name": "execution_ok", "state": "started"}
    bulk = {"flow_name": "flow_ok", "state": "stopped"}
    read = {"flow_name": "flow_ok"}

    def case(module: str, base: dict[str, t.Any], option: str, case_id: str, **changes: t.Any) -> dict[str, t.Any]:
        args = dict(base)
        for key, value in changes.items():
            if value is _DROP:
                args.pop(key, None)
            else:
                args[key] = value
        return {"module": module, "args": args, "option": option, "id": case_id}

    with_defaults = [
        # names and lengths
        case(EXECUTION, stop, "flow_name", "empty flow name", flow_name=""),
        case(EXECUTION, stop, "flow_name", "129-character flow name", flow_name="f" * 129),
        case(EXECUTION, stop, "flow_name", "slash in flow name", flow_name="etl/nightly"),
        case(EXECUTION, stop, "name", "name starting with a dash", name="-run"),
        case(EXECUTION, {"flow_name": "flow_ok", "state": "stopped", "execution_name": "run.1"}, "name", "dot in alias execution_name"),
        case(EXECUTION, stop, "name", "non-ASCII name", name="r\u00fcn"),
        case(EXECUTION, stop, "cause", "4097-character cause", cause="c" * 4097),
        case(EXECUTION, stop, "error", "empty error", error=""),
        # JSON input
        case(EXECUTION, start, "input", "input a JSON string, not an object", input='"just text"'),
        case(EXECUTION, start, "input", "input with single quotes", input="{'a': 1}"),
        case(EXECUTION, start, "input", "input a list", input=[1, 2]),
        case(EXECUTION, start, "input", "input a number", input=42),
        # states and option combinations
        case(EXECUTION, stop, "state", "unknown state", state="running"),
        case(EXECUTION, stop, "state", "missing state", state=_DROP),
        case(EXECUTION, stop, "flow_name", "missing flow_name", flow_name=_DROP),
        case(EXECUTION, stop, "name", "name and filters together", filters={}),
        case(EXECUTION, bulk, "name", "neither name nor filters"),
        case(EXECUTION, start, "filters", "filters with state=started", name=_DROP, filters={}),
        case(EXECUTION, start, "error", "error with state=started", error="Oops"),
        case(EXECUTION, stop, "input", "input with state=stopped", input={"a": 1}),
        # filters
        case(EXECUTION, bulk, "name_prefix", "bad filters.name_prefix", filters={"name_prefix": "night ly"}),
        case(EXECUTION, bulk, "started_before", "impossible month", filters={"started_before": "2024-13-01T00:00:00Z"}),
        case(EXECUTION, bulk, "started_after", "time without zone", filters={"started_after": "2024-05-01T00:00:00"}),
        case(EXECUTION, bulk, "started_after", "after later than before",
             filters={"started_after": "2024-05-02T00:00:00Z", "started_before": "2024-05-01T00:00:00Z"}),
        case(EXECUTION, bulk, "status", "unknown filter key", filters={"status": "Running"}),
        # wrong types and bad numbers
        case(EXECUTION, stop, "wait_timeout", "negative wait_timeout", wait_timeout=-5),
        case(EXECUTION, stop, "wait_timeout", "wait_timeout not a number", wait_timeout="soon"),
        case(EXECUTION, stop, "wait", "wait not a boolean", wait="maybe"),
        case(EXECUTION, bulk, "concurrency", "zero concurrency", filters={}, concurrency=0),
        case(EXECUTION, bulk, "concurrency", "concurrency above 32", filters={}, concurrency=33),
        case(EXECUTION, stop, "timeout", "zero timeout", timeout=0),
        case(EXECUTION, stop, "timeout", "timeout not a number", timeout="fast"),
        case(EXECUTION, stop, "retries", "negative retries", retries=-1),
        case(EXECUTION, stop, "retries", "retries not a number", retries="many"),
        case(EXECUTION, stop, "retry_max_delay", "negative retry_max_delay", retry_max_delay=-1),
        case(EXECUTION, stop, "quota_scale", "negative quota_scale", quota_scale=-2),
        case(EXECUTION, stop, "validate_certs", "validate_certs not a boolean", validate_certs="sometimes"),
        case(EXECUTION, stop, "bogus_option", "unknown option", bogus_option=1),
        # endpoints
        case(EXECUTION, stop, "endpoint", "plain http to a private address", endpoint="http://10.0.0.1"),
        case(EXECUTION, stop, "endpoint", "plain http to a public name", endpoint="http://fnf.example.invalid"),
        case(EXECUTION, stop, "endpoint", "ftp scheme", endpoint="ftp://127.0.0.1:21"),
        case(EXECUTION, stop, "endpoint", "endpoint with a path", endpoint=emulator_url + "/api"),
        case(EXECUTION, stop, "endpoint", "endpoint with user info", endpoint=emulator_url.replace("://", "://user:pw@")),
        case(EXECUTION, stop, "endpoint", "endpoint with a query", endpoint=emulator_url + "/?debug=1"),
        case(EXECUTION, stop, "endpoint", "endpoint with an invalid port", endpoint="http://127.0.0.1:99999"),
        case(EXECUTION, stop, "endpoint", "endpoint not a URL", endpoint="not a url"),
        # the info module
        case(INFO, read, "flow_name", "info: flow name starting with a digit", flow_name="1flow"),
        case(INFO, read, "name", "info: space in name", name="a b"),
        case(INFO, read, "name_prefix", "info: bad name_prefix", name_prefix="pre fix"),
        case(INFO, read, "status", "info: unknown status", status="Paused"),
        case(INFO, read, "status", "info: name and status together", name="execution_ok", status="Running"),
        case(INFO, read, "started_after", "info: started_after not a time", started_after="yesterday"),
        case(INFO, read, "started_before", "info: date without time zone", started_before="2024-05-01"),
        case(INFO, read, "started_after", "info: after later than before",
             started_after="2024-06-01T00:00:00+02:00", started_before="2024-05-01T00:00:00Z"),
        case(INFO, read, "include_history", "info: include_history not a boolean", include_history="perhaps"),
        case(INFO, read, "endpoint", "info: plain http to an IPv6 ULA", endpoint="http://[fd00::1]"),
        case(INFO, read, "timeout", "info: negative timeout", timeout=-1),
    ]

    endpoint = {"endpoint": emulator_url}
    without_credentials = [
        case(EXECUTION, dict(stop, **endpoint), "access_key_id", "no credentials anywhere"),
        case(INFO, dict(read, **endpoint), "access_key_id", "info: no credentials anywhere"),
        case(EXECUTION, dict(stop, **endpoint), "access_key_id", "secret without key id", access_key_secret="NotUsedSecret0000"),
        case(EXECUTION, dict(stop, **endpoint), "access_key_secret", "key id without secret", access_key_id="LTAI5tSomeKeyId"),
        case(EXECUTION, dict(stop, **endpoint), "access_key_id", "token without key id", security_token="NotUsedToken0000"),
        case(EXECUTION, dict(stop, **endpoint), "profile", "profile that does not exist", profile="nowhere"),
        case(EXECUTION, stop, "region", "invalid region, no endpoint", region="CN_Hangzhou!",
             access_key_id="LTAI5tSomeKeyId", access_key_secret="NotUsedSecret0000"),
        case(EXECUTION, stop, "region", "neither region nor endpoint",
             access_key_id="LTAI5tSomeKeyId", access_key_secret="NotUsedSecret0000"),
    ]
    return with_defaults, without_credentials


class _Drop:
    """Marks an option to leave out of a case."""


_DROP = _Drop()


def bad_input(emulator: EmulatorControl, ansible: AnsibleRunner, sts: bool = False, every: int = 1) -> int:
    """Run the invalid invocations (every n-th of them) in one playbook; returns how many cases ran."""
    emulator.reset()
    emulator.seed_execution("flow_ok", "execution_ok")
    emulator.clear_requests()
    with_defaults, without_credentials = bad_input_cases(emulator.url)
    with_defaults = with_defaults[::every]
    without_credentials = without_credentials[::max(1, every // 2)]
    defaults = ansible.connection(sts=sts)

    def task(module: str, cases: list[dict[str, t.Any]], register: str, module_defaults: t.Optional[dict[str, t.Any]]) -> dict[str, t.Any]:
        body: dict[str, t.Any] = {
            "name": "Invalid invocations of " + module,
            "seed.cloudflow." + module: "{{ item.args }}",
            "loop": [case for case in cases if case["module"] == module],
            "loop_control": {"label": "{{ item.id }}"},
            "register": register,
            "ignore_errors": True,
        }
        if module_defaults:
            body["module_defaults"] = {"group/seed.cloudflow.cloudflow": module_defaults}
        return body

    tasks = [
        task(EXECUTION, with_defaults, "invalid_execution", defaults),
        task(INFO, with_defaults, "invalid_info", defaults),
        task(EXECUTION, without_credentials, "uncredentialed_execution", None),
        task(INFO, without_credentials, "uncredentialed_info", None),
    ]
    tasks = [body for body in tasks if body["loop"]]
    registers = [body["register"] for body in tasks]
    run = ansible.run_playbook(tasks, registered=registers)
    log = emulator.requests()

    assert_no_traceback(run)
    results = []
    for name in registers:
        registered = run.results.get(name)
        assert registered and "results" in registered, "{0} was not recorded\n{1}".format(name, run.describe())
        results.extend(registered["results"])
    assert len(results) == len(with_defaults) + len(without_credentials)
    problems = []
    for result in results:
        case = result["item"]
        if not result.get("failed"):
            problems.append("{0}: did not fail ({1})".format(case["id"], result.get("msg")))
        elif case["option"] not in (result.get("msg") or ""):
            problems.append("{0}: the message does not name {1!r}: {2}".format(case["id"], case["option"], result.get("msg")))
    assert not problems, "\n".join(problems)
    assert log["total"] == 0, "invalid invocations sent requests: {0}".format(log["counts"])
    return len(results)


# ---------------------------------------------------------------------------------------------
# authentication failures


def auth_cases(sts: bool = False) -> list[dict[str, t.Any]]:
    """Each: id, execution (its own, so the request log can be read per case), credentials, what to check."""
    good = ({"access_key_id": STS_KEY_ID, "access_key_secret": STS_SECRET, "security_token": STS_TOKEN} if sts
            else {"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET})
    return [
        {"id": "wrong secret", "execution": "wrong-secret", "check": "access_key_secret",
         "args": dict(good, access_key_secret="NotTheRightSecret0000000000000000")},
        {"id": "unknown key id", "execution": "unknown-key", "check": "access_key_id",
         "args": dict(good, access_key_id="LTAI5tUnknownKeyId99")},
        {"id": "expired STS token", "execution": "expired-token", "check": "security_token",
         "args": {"access_key_id": STS_KEY_ID, "access_key_secret": STS_SECRET, "security_token": EXPIRED_TOKEN}},
    ]


EXPIRED_TOKEN = "ExpiredSecurityToken0001"
# Configured next to the emulator's valid token; the scan for secrets covers it too.
STS_TOKENS_WITH_EXPIRED = {
    EXPIRED_TOKEN: {"access_key_id": STS_KEY_ID, "expires_at": "2020-01-01T00:00:00Z"},
    STS_TOKEN: {"access_key_id": STS_KEY_ID, "expires_at": None},
}
CLOCK_SKEW_SECONDS = 3600


def _check_auth_failure(case: dict[str, t.Any], outcome: t.Optional[dict[str, t.Any]], log: dict[str, t.Any]) -> list[str]:
    problems = []
    if not outcome or not outcome.get("failed"):
        return ["{0}: the stop did not fail: {1}".format(case["id"], outcome)]
    message = outcome.get("msg") or ""
    if case["check"] not in message:
        problems.append("{0}: the message does not say to check {1!r}: {2}".format(case["id"], case["check"], message))
    if "RequestId" not in message:
        problems.append("{0}: the message has no RequestId: {1}".format(case["id"], message))
    seen = [(entry["action"], entry["code"]) for entry in log["requests"] if entry["execution_name"] == case["execution"]]
    if len(seen) != 1:
        problems.append("{0}: expected exactly one request (no retries), the emulator saw {1}: {2}".format(case["id"], len(seen), seen))
    return problems


def auth_failures(emulator: EmulatorControl, ansible: AnsibleRunner, sts: bool = False) -> None:
    """Wrong secret, unknown key id, expired token, in one playbook: each fails after one request."""
    flow = "auth_flow"
    cases = auth_cases(sts)
    emulator.reset(sts_tokens=STS_TOKENS_WITH_EXPIRED)
    for case in cases:
        emulator.seed_execution(flow, case["execution"])
    emulator.clear_requests()
    tasks = [{
        "name": "Stop with " + case["id"],
        "seed.cloudflow.cloudflow_execution": dict(case["args"], endpoint=emulator.url, flow_name=flow, name=case["execution"],
                                                   state="stopped"),
        "register": "auth_{0}".format(number),
        "ignore_errors": True,
    } for number, case in enumerate(cases)]
    run = ansible.run_playbook(tasks, registered=[task["register"] for task in tasks])
    log = emulator.requests()
    assert_no_traceback(run)
    problems = []
    for number, case in enumerate(cases):
        problems.extend(_check_auth_failure(case, run.results.get("auth_{0}".format(number)), log))
    assert not problems, "\n".join(problems) + "\n" + run.describe()
    assert log["write_count"] == 0
    assert set(emulator.statuses(flow).values()) == {"Running"}
    assert "NotTheRightSecret" not in run.everything()


def clock_skew(emulator: EmulatorControl, ansible: AnsibleRunner, sts: bool = False) -> None:
    """The emulator's clock runs an hour ahead of the managed node: one request, and a hint about the clock."""
    flow = "auth_flow"
    case = {"id": "clock skewed by an hour", "execution": "skewed-clock", "check": "clock"}
    emulator.reset(clock_offset_seconds=CLOCK_SKEW_SECONDS)
    emulator.seed_execution(flow, case["execution"])
    emulator.clear_requests()
    connection, env = _credentials(ansible, sts)
    outcome, run = ansible.run_module(EXECUTION, dict(connection, flow_name=flow, name=case["execution"], state="stopped"), env=env)
    log = emulator.requests()
    assert_no_traceback(run)
    problems = _check_auth_failure(case, outcome, log)
    assert not problems, "\n".join(problems)
    assert [entry["code"] for entry in log["requests"]] == ["RequestTimeTooSkewed"]
    assert emulator.statuses(flow) == {case["execution"]: "Running"}


# ---------------------------------------------------------------------------------------------
# TLS


def tls(tls_emulator: EmulatorControl, ansible: AnsibleRunner, sts: bool = False) -> None:
    """A self-signed certificate: refused with validate_certs at its default, accepted with validate_certs: false."""
    flow = "tls_flow"
    tls_emulator.reset()
    tls_emulator.seed_execution(flow, "verified")
    tls_emulator.seed_execution(flow, "unverified")
    tls_emulator.clear_requests()
    connection, env = _credentials(ansible, sts, endpoint=tls_emulator.url)
    tasks = [
        {"name": "Stop over HTTPS with the default validate_certs",
         # One retry only: the certificate will not change between attempts, and backoff would only cost time.
         "seed.cloudflow.cloudflow_execution": dict(connection, flow_name=flow, name="verified", state="stopped", retries=1),
         "register": "verified", "ignore_errors": True},
        {"name": "Stop over HTTPS with validate_certs off",
         "seed.cloudflow.cloudflow_execution": dict(connection, flow_name=flow, name="unverified", state="stopped", validate_certs=False),
         "register": "unverified", "ignore_errors": True},
    ]
    run = ansible.run_playbook(tasks, registered=["verified", "unverified"], env=env)
    log = tls_emulator.requests()
    assert_no_traceback(run)

    verified = run.results["verified"]
    assert verified and verified.get("failed"), "a self-signed certificate was accepted with validate_certs at its default"
    assert "certificate" in (verified.get("msg") or "").lower(), verified.get("msg")
    assert [entry for entry in log["requests"] if entry["execution_name"] == "verified"] == []

    unverified = run.results["unverified"]
    assert unverified and not unverified.get("failed"), unverified
    assert unverified["changed"] is True
    assert [entry["action"] for entry in log["requests"] if entry["execution_name"] == "unverified"] == ["DescribeExecution", "StopExecution"]
    assert tls_emulator.statuses(flow) == {"verified": "Running", "unverified": "Stopped"}


def plain_http_refused(emulator: EmulatorControl, tls_emulator: EmulatorControl, ansible: AnsibleRunner, sts: bool = False) -> None:
    """http:// to a non-loopback host fails in validation: no connection attempt, no request anywhere."""
    for server in (emulator, tls_emulator):
        server.reset()
    emulator.seed_execution("tls_flow", "tls-1")
    emulator.clear_requests()
    connection, env = _credentials(ansible, sts)
    without_endpoint = {name: value for name, value in connection.items() if name != "endpoint"}
    # As an option, and through the environment variable (set for that task only, so the first task
    # runs without it), in one playbook.
    tasks = [
        {"name": "Stop with a plain-http endpoint option",
         "seed.cloudflow.cloudflow_execution": dict(connection, endpoint="http://10.0.0.1", flow_name="tls_flow", name="tls-1",
                                                    state="stopped"),
         "register": "by_option", "ignore_errors": True},
        {"name": "Read with a plain-http endpoint from the environment",
         "seed.cloudflow.cloudflow_execution_info": dict(without_endpoint, flow_name="tls_flow"),
         "environment": {"ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT": "http://10.0.0.1:8080"},
         "register": "by_environment", "ignore_errors": True},
    ]
    run = ansible.run_playbook(tasks, registered=["by_option", "by_environment"], env=env)
    assert_no_traceback(run)
    # Each message names where the endpoint came from: the option, or the environment variable.
    for register, source in (("by_option", "endpoint"), ("by_environment", "ALIBABA_CLOUD_CLOUDFLOW_ENDPOINT")):
        outcome = run.results.get(register)
        assert outcome is not None, "the playbook did not record {0}\n{1}".format(register, run.describe())
        assert outcome.get("failed"), outcome
        message = outcome.get("msg") or ""
        assert source in message and "http://10.0.0.1" in message, message
        assert "could not reach" not in message, "a connection was attempted: " + message
    assert emulator.requests()["total"] == 0
    assert tls_emulator.requests()["total"] == 0
