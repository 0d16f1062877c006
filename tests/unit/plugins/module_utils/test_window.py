# -*- coding: utf-8 -*-
# Copyright (c) seed.cloudflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The window library against the in-memory service: write-ahead, drain, one deadline, and a resume that cannot be fooled."""

from __future__ import annotations

import json
import os
import threading
import typing as t
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ansible_collections.seed.cloudflow.plugins.module_utils import _bulk_stop, _quiesce, _window
from ansible_collections.seed.cloudflow.plugins.module_utils._errors import ApiError, CloudFlowError, RecordError
from ansible_collections.seed.cloudflow.plugins.module_utils._quiesce import Quiesce
from ansible_collections.seed.cloudflow.plugins.module_utils._resume import Resume
from ansible_collections.seed.cloudflow.plugins.module_utils._window import Settings
from ansible_collections.seed.cloudflow.tests.unit.plugins.fake_service import FakeClock, FakeCloudFlow

START = datetime(2024, 5, 1, 20, 0, tzinfo=timezone.utc)


class Wall:
    """A wall clock for the record's times that follows the fake monotonic clock."""

    def __init__(self, clock: FakeClock, start: datetime = START) -> None:
        self.clock = clock
        self.origin = clock.now
        self.start = start

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=self.clock.now - self.origin)


def service_with_window(stop_delay: float = 1.0) -> FakeCloudFlow:
    """Two flows, each with two enabled schedules, one disabled one and three running executions."""
    service = FakeCloudFlow(stop_delay=stop_delay)
    for flow in ("f1", "f2"):
        service.add_schedule(flow, "nightly", "0 0 2 * * *", payload='{"mode": "full"}')
        service.add_schedule(flow, "yearly", "0 0 0 1 1 ?")
        service.add_schedule(flow, "paused", "0 0 0 1 1 ?", enabled=False)
        for index in range(3):
            service.add_execution(flow, "{0}-run-{1}".format(flow, index), input_text='{"n": %d}' % index)
    return service


def quiesce(service: FakeCloudFlow, path: t.Optional[Path], check_mode: bool = False, **options: t.Any) -> _window.Outcome:
    settings = Settings(**dict({"state": "quiesced", "flows": ("f1", "f2"), "cause": "CHG-1",
                                "record_path": str(path) if path else None}, **options))
    return Quiesce(service, settings, check_mode=check_mode, clock=service.clock, sleep=service.clock.sleep,  # type: ignore[arg-type]
                   now=Wall(service.clock)).run()


def resume(service: FakeCloudFlow, path: t.Optional[Path], check_mode: bool = False, now: t.Optional[t.Callable[[], datetime]] = None,
           **options: t.Any) -> _window.Outcome:
    settings = Settings(**dict({"state": "resumed", "record_path": str(path) if path else None, "wait": False}, **options))
    return Resume(service, settings, check_mode=check_mode, clock=service.clock,  # type: ignore[arg-type]
                  now=now or Wall(service.clock, START + timedelta(days=2))).run()


def read(path: Path) -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", json.loads(path.read_text(encoding="utf-8")))


def by_outcome(entries: t.Iterable[t.Mapping[str, t.Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in entries:
        found.setdefault(entry["outcome"], []).append("{0}/{1}".format(entry["flow_name"], entry["name"]))
    return {outcome: sorted(names) for outcome, names in found.items()}


# ---------------------------------------------------------------------------------------------------------- quiesce

def test_the_record_lists_everything_before_the_first_write_to_the_service(tmp_path: Path) -> None:
    service = service_with_window()
    path = tmp_path / "window.json"
    seen: list[dict[str, t.Any]] = []

    def look(action: str, params: t.Mapping[str, t.Any]) -> None:
        if not action.startswith(("List", "Describe")) and not seen:
            seen.append(read(path))

    service.before_call = look
    quiesce(service, path)
    assert seen, "a write was sent"
    first = seen[0]
    assert sorted((entry["flow_name"], entry["name"], entry["state"]) for entry in first["schedules"]) == [
        ("f1", "nightly", "pending"), ("f1", "yearly", "pending"), ("f2", "nightly", "pending"), ("f2", "yearly", "pending")]
    assert sorted((entry["name"], entry["state"]) for entry in first["executions"]) == [
        ("f1-run-0", "pending"), ("f1-run-1", "pending"), ("f1-run-2", "pending"),
        ("f2-run-0", "pending"), ("f2-run-1", "pending"), ("f2-run-2", "pending")]
    assert {entry["name"]: entry["input"] for entry in first["executions"]}["f2-run-2"] == {"n": 2}
    assert first["schedules"][0]["payload"] == {"mode": "full"} and first["schedules"][0]["cron_expression"] == "0 0 2 * * *"


def test_a_quiesce_disables_then_stops_and_records_what_it_did(tmp_path: Path) -> None:
    service = service_with_window()
    path = tmp_path / "window.json"
    outcome = quiesce(service, path)
    assert by_outcome(outcome.schedules) == {
        "disabled": ["f1/nightly", "f1/yearly", "f2/nightly", "f2/yearly"], "already_disabled": ["f1/paused", "f2/paused"]}
    assert by_outcome(outcome.executions) == {"stopped": ["f1/f1-run-0", "f1/f1-run-1", "f1/f1-run-2", "f2/f2-run-0", "f2/f2-run-1", "f2/f2-run-2"]}
    assert all(entry["status_after"] == "Stopped" for entry in outcome.executions), "waited (the default)"
    assert outcome.changed and outcome.failures == []
    writes = service.writes()
    first_stop = next(index for index, (action, _params) in enumerate(writes) if action == "StopExecution")
    assert [action for action, _params in writes[:first_stop]] == ["UpdateSchedule"] * 4, "the door is closed first"
    record = read(path)
    assert [entry["state"] for entry in record["schedules"]] == ["disabled"] * 4
    assert [entry["state"] for entry in record["executions"]] == ["stopped"] * 6
    assert [entry["name"] for entry in record["schedules"]].count("paused") == 0, "already disabled: not recorded"
    assert outcome.record == record and record["state"] == "open"
    assert "Disabled 4 schedule(s) and stopped 6 execution(s) of 2 flow(s)" in outcome.msg


def test_a_rerun_changes_nothing_and_does_not_rewrite_the_record(tmp_path: Path) -> None:
    service = service_with_window()
    path = tmp_path / "window.json"
    quiesce(service, path)
    before = path.stat().st_ino
    service.calls.clear()
    outcome = quiesce(service, path)
    assert not outcome.changed and service.writes() == []
    assert path.stat().st_ino == before


def test_check_mode_reads_only_and_writes_no_file(tmp_path: Path) -> None:
    service = service_with_window()
    path = tmp_path / "window.json"
    outcome = quiesce(service, path, check_mode=True)
    assert service.writes() == []
    assert not path.exists() and os.listdir(tmp_path) == []
    assert by_outcome(outcome.executions) == {"stopped": ["f1/f1-run-0", "f1/f1-run-1", "f1/f1-run-2", "f2/f2-run-0", "f2/f2-run-1", "f2/f2-run-2"]}
    assert outcome.changed and outcome.msg.startswith("Would disable 4 schedule(s) and would stop 6 execution(s)")
    assert outcome.record is not None and [entry["state"] for entry in outcome.record["schedules"]] == ["disabled"] * 4


def test_a_named_flow_that_does_not_exist_fails_before_any_write(tmp_path: Path) -> None:
    service = service_with_window()
    path = tmp_path / "window.json"
    with pytest.raises(CloudFlowError, match=r"Flow\(s\) 'nope' do not exist .*FlowNotExists.*nothing was changed"):
        quiesce(service, path, flows=("f1", "nope"))
    assert service.writes() == [] and not path.exists()


def test_flows_found_with_a_prefix_are_added_to_the_named_ones(tmp_path: Path) -> None:
    service = service_with_window()
    service.add_schedule("other", "s", "0 0 0 1 1 ?")
    outcome = quiesce(service, None, flows=("f1",), flow_prefix="f")
    assert outcome.flows == ["f1", "f2"]
    assert service.enabled("other", "s")


def test_a_schedule_that_cannot_be_disabled_stops_nothing_and_fails(tmp_path: Path) -> None:
    service = service_with_window()
    service.inject("UpdateSchedule", ApiError("UpdateSchedule", 500, "InternalServerError", "boom", "req-1", attempts=7),
                   target="nightly")
    path = tmp_path / "window.json"
    outcome = quiesce(service, path)
    assert "StopExecution" not in service.actions()
    failures = outcome.failures
    assert failures[0]["kind"] == "schedule" and "InternalServerError" in failures[0]["reason"] and "req-1" in failures[0]["reason"]
    assert all(entry["outcome"] == "failed" and "could not be disabled" in entry["error"]["message"] for entry in outcome.executions)
    states = {entry["flow_name"] + "/" + entry["name"]: entry["state"] for entry in read(path)["schedules"]}
    assert sorted(states.values()) == ["disabled", "disabled", "disabled", "failed"]
    assert outcome.msg.startswith("The quiesce is incomplete")


def test_drain_lets_executions_finish_by_themselves_then_stops_the_rest(tmp_path: Path) -> None:
    service = FakeCloudFlow(stop_delay=1.0)
    service.add_execution("f1", "quick", finish_after=20)
    service.add_execution("f1", "slow", finish_after=500)
    path = tmp_path / "window.json"
    start = service.clock.now
    outcome = quiesce(service, path, flows=("f1",), drain_timeout=60)
    assert by_outcome(outcome.executions) == {"finished_by_itself": ["f1/quick"], "stopped": ["f1/slow"]}
    assert [params["ExecutionName"] for action, params in service.writes()] == ["slow"]
    assert service.status("f1", "quick") == "Succeeded" and service.status("f1", "slow") == "Stopped"
    assert 60 <= service.clock.now - start < 60 + 15, "stopped once the drain time was over"
    states = {entry["name"]: entry["state"] for entry in read(path)["executions"]}
    assert states == {"quick": "finished_by_itself", "slow": "stopped"}


def test_drain_ends_early_when_everything_finished(tmp_path: Path) -> None:
    service = FakeCloudFlow()
    service.add_execution("f1", "quick", finish_after=5)
    start = service.clock.now
    outcome = quiesce(service, None, flows=("f1",), drain_timeout=600)
    assert by_outcome(outcome.executions) == {"finished_by_itself": ["f1/quick"]}
    assert service.clock.now - start < 20 and service.writes() == []


def test_one_deadline_for_the_whole_window_not_one_per_flow(tmp_path: Path) -> None:
    service = FakeCloudFlow(stop_delay=10_000.0)  # never stops within the test
    for flow in ("a", "b", "c"):
        service.add_execution(flow, flow + "-1")
    start = service.clock.now
    outcome = quiesce(service, None, flows=("a", "b", "c"), wait_timeout=30)
    assert 30 <= service.clock.now - start <= 30 + _bulk_stop.MAX_POLL_INTERVAL
    assert len(outcome.failures) == 3
    assert all("stop accepted, but still Running after wait_timeout (30 s" in item["reason"] for item in outcome.failures)


def test_stops_are_recorded_batch_by_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_quiesce, "STOP_BATCH", 4)
    service = FakeCloudFlow()
    for index in range(10):
        service.add_execution("f1", "run-{0:02d}".format(index))
    path = tmp_path / "window.json"
    states_at_stops: list[int] = []

    def look(action: str, params: t.Mapping[str, t.Any]) -> None:
        if action == "StopExecution":
            states_at_stops.append(sum(1 for entry in read(path)["executions"] if entry["state"] == "stopped"))

    service.before_call = look
    quiesce(service, path, flows=("f1",), wait=False)
    assert states_at_stops == [0] * 4 + [4] * 4 + [8] * 2


def test_an_execution_that_finishes_before_its_stop_is_not_counted_as_stopped() -> None:
    service = FakeCloudFlow()
    service.add_execution("f1", "racer")

    def finish_first(action: str, params: t.Mapping[str, t.Any]) -> None:
        if action == "StopExecution":
            service.flows["f1"]["executions"]["racer"]["Status"] = "Succeeded"

    service.before_call = finish_first
    outcome = quiesce(service, None, flows=("f1",))
    assert by_outcome(outcome.executions) == {"finished_by_itself": ["f1/racer"]} and outcome.failures == []


def test_a_schedule_that_could_have_fired_in_between_makes_the_flow_listed_again() -> None:
    service = FakeCloudFlow()
    service.add_schedule("f1", "every-minute", "0 * * * * *")
    service.add_schedule("f2", "yearly", "0 0 0 1 1 ?")

    def fire_on_disable(action: str, params: t.Mapping[str, t.Any]) -> None:
        if action == "UpdateSchedule" and params["ScheduleName"] == "every-minute":
            service.add_execution("f1", "started-by-the-schedule")

    service.before_call = fire_on_disable
    outcome = quiesce(service, None)
    assert by_outcome(outcome.executions) == {"stopped": ["f1/started-by-the-schedule"]}
    listings = [params["FlowName"] for action, params in service.calls if action == "ListExecutions" and params.get("Status") == "Running"]
    assert listings.count("f1") >= 2 and listings.count("f2") == 1, "only the flow whose schedule could have fired"


# ----------------------------------------------------------------------------------------------------------- resume

def quiesced(tmp_path: Path, **options: t.Any) -> tuple[FakeCloudFlow, Path]:
    service = service_with_window()
    path = tmp_path / "window.json"
    quiesce(service, path, **options)
    service.calls.clear()
    return service, path


def test_a_resume_re_enables_exactly_the_recorded_schedules_and_marks_the_record(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    outcome = resume(service, path)
    assert by_outcome(outcome.schedules) == {"enabled": ["f1/nightly", "f1/yearly", "f2/nightly", "f2/yearly"]}
    assert not service.enabled("f1", "paused") and service.enabled("f2", "nightly")
    record = read(path)
    assert record["state"] == "resumed" and record["resumed_time"] == "2024-05-03T20:00:00Z"
    assert outcome.msg.endswith("marked resumed") and outcome.failures == []
    # Two days later: the nightly schedule skipped two fires, the yearly one none.
    skipped = {entry["flow_name"] + "/" + entry["name"]: entry["skipped_fires"] for entry in outcome.schedules}
    assert skipped["f1/nightly"]["count"] == 2 and skipped["f1/nightly"]["first"] == ["2024-05-02T02:00:00Z", "2024-05-03T02:00:00Z"]
    assert skipped["f1/yearly"]["count"] == 0


def test_a_second_resume_is_a_no_op_that_says_when(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    resume(service, path)
    service.calls.clear()
    outcome = resume(service, path)
    assert service.calls == [] and not outcome.changed
    assert "already resumed at 2024-05-03T20:00:00Z" in outcome.msg


def test_gone_replaced_and_already_enabled_schedules_are_left_alone(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    del service.flows["f1"]["schedules"]["nightly"]                      # removed by a pipeline
    service.add_schedule("f1", "yearly", "0 0 0 1 1 ?", enabled=False, created_time="2024-05-02T00:00:00.000Z")  # re-created, disabled
    service.flows["f2"]["schedules"]["nightly"]["Enable"] = True          # someone re-enabled it already
    outcome = resume(service, path)
    assert by_outcome(outcome.schedules) == {"gone": ["f1/nightly"], "replaced": ["f1/yearly"], "already_enabled": ["f2/nightly"],
                                             "enabled": ["f2/yearly"]}
    assert [params["ScheduleName"] for action, params in service.writes()] == ["yearly"]
    assert service.writes()[0][1]["FlowName"] == "f2"
    assert not service.enabled("f1", "yearly"), "the re-created schedule keeps what its owner declared"
    assert outcome.failures == [] and read(path)["state"] == "resumed"
    assert any("'nightly' of flow 'f1' no longer exists" in warning for warning in outcome.warnings)


def test_a_flow_deleted_during_the_window_makes_its_schedules_gone(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    del service.flows["f2"]
    outcome = resume(service, path)
    assert by_outcome(outcome.schedules)["gone"] == ["f2/nightly", "f2/yearly"] and outcome.failures == []


def test_a_missing_record_fails_naming_the_path_unless_missing_ok(tmp_path: Path) -> None:
    service = FakeCloudFlow()
    path = tmp_path / "mistyped.json"
    with pytest.raises(RecordError, match=r"^{0}: there is no record at this path".format(path)):
        resume(service, path)
    outcome = resume(service, path, missing_ok=True)
    assert "No record at {0}".format(path) in outcome.msg and service.calls == [] and not path.exists()


def test_a_partial_failure_keeps_what_is_left_and_a_second_resume_finishes(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    service.inject("UpdateSchedule", ApiError("UpdateSchedule", 500, "InternalServerError", "boom", "req-9", attempts=7), target="yearly")
    outcome = resume(service, path)
    assert len(outcome.failures) == 1 and read(path)["state"] == "open"
    assert outcome.remaining is not None and [entry["name"] for entry in outcome.remaining["schedules"]] == ["yearly"]
    service.calls.clear()
    outcome = resume(service, path)
    assert [params["ScheduleName"] for action, params in service.writes()] == ["yearly"]
    assert read(path)["state"] == "resumed" and outcome.failures == []


def test_check_mode_of_a_resume_sends_no_write_and_leaves_the_file(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    before = path.read_bytes()
    outcome = resume(service, path, check_mode=True, catch_up="latest", restart_stopped=True, restart_suffix="-r")
    assert service.writes() == [] and path.read_bytes() == before
    assert by_outcome(outcome.schedules) == {"enabled": ["f1/nightly", "f1/yearly", "f2/nightly", "f2/yearly"]}
    assert len(outcome.catch_up) == 2 and len(outcome.restarted) == 6 and outcome.changed
    assert outcome.msg.endswith("would be marked resumed")


def test_catch_up_starts_one_execution_per_schedule_for_its_last_skipped_fire(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    outcome = resume(service, path, catch_up="latest")
    started = sorted((entry["flow_name"], entry["name"], entry["input"]) for entry in outcome.catch_up)
    assert started == [("f1", "nightly-catch-up-20240503T020000Z", {"mode": "full"}),
                       ("f2", "nightly-catch-up-20240503T020000Z", {"mode": "full"})]
    assert json.loads(service.flows["f1"]["executions"]["nightly-catch-up-20240503T020000Z"]["Input"]) == {"mode": "full"}


def test_replacements_get_the_original_input_and_a_rerun_starts_none_twice(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    outcome = resume(service, path, restart_stopped=True, restart_suffix="-again")
    expected = sorted("{0}-run-{1}-again".format(flow, index) for flow in ("f1", "f2") for index in range(3))
    assert sorted(entry["name"] for entry in outcome.restarted) == expected
    assert json.loads(service.flows["f2"]["executions"]["f2-run-1-again"]["Input"]) == {"n": 1}
    assert all(entry["restarted_as"] for entry in read(path)["executions"])
    starts = service.actions().count("StartExecution")
    resume(service, path, restart_stopped=True, restart_suffix="-again")
    assert service.actions().count("StartExecution") == starts


def test_an_entry_written_ahead_but_never_acted_on_is_harmless(tmp_path: Path) -> None:
    """A quiesce killed between its write-ahead and its writes: resume reads the live state first."""
    service = service_with_window()
    path = tmp_path / "window.json"

    class Killed(BaseException):
        pass

    def kill_at_first_write(action: str, params: t.Mapping[str, t.Any]) -> None:
        if not action.startswith(("List", "Describe")):
            raise Killed()

    service.before_call = kill_at_first_write
    with pytest.raises(Killed):
        quiesce(service, path)
    service.before_call = None
    service.calls.clear()
    outcome = resume(service, path, restart_stopped=True, restart_suffix="-r")
    assert by_outcome(outcome.schedules) == {"already_enabled": ["f1/nightly", "f1/yearly", "f2/nightly", "f2/yearly"]}
    assert outcome.restarted == [] and service.writes() == []
    assert [entry["state"] for entry in read(path)["executions"]] == ["pending"] * 6, "still running: nothing to replace"
    assert all(service.status("f1", name) == "Running" for name in ("f1-run-0", "f1-run-1", "f1-run-2"))
    assert read(path)["state"] == "resumed"


def test_a_pending_execution_that_was_stopped_is_replaced_and_one_still_running_is_not(tmp_path: Path) -> None:
    service = service_with_window(stop_delay=0.0)
    path = tmp_path / "window.json"

    class Killed(BaseException):
        pass

    def kill_after_one_stop(action: str, params: t.Mapping[str, t.Any]) -> None:
        if action == "StopExecution" and service.actions().count("StopExecution") == 1:
            raise Killed()

    service.before_call = kill_after_one_stop
    with pytest.raises(Killed):
        quiesce(service, path, concurrency=1)
    service.before_call = None
    stopped = [name for flow in ("f1", "f2") for name in service.flows[flow]["executions"] if service.status(flow, name) == "Stopped"]
    assert len(stopped) == 1
    outcome = resume(service, path, restart_stopped=True, restart_suffix="-r")
    assert [entry["replaces"] for entry in outcome.restarted] == stopped
    assert all(service.enabled(flow, name) for flow in ("f1", "f2") for name in ("nightly", "yearly"))


def test_two_quiesce_runs_on_one_record_keep_each_other_s_entries(tmp_path: Path) -> None:
    service = FakeCloudFlow()
    for flow in ("f1", "f2", "f3", "f4", "f5", "f6"):
        service.add_schedule(flow, "s", "0 0 0 1 1 ?")
        service.add_execution(flow, flow + "-run")
    path = tmp_path / "window.json"
    barrier = threading.Barrier(2)
    results: list[_window.Outcome] = []

    def run(flows: tuple[str, ...]) -> None:
        barrier.wait()
        results.append(quiesce(service, path, flows=flows))

    threads = [threading.Thread(target=run, args=(flows,)) for flows in (("f1", "f2", "f3"), ("f4", "f5", "f6"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record = read(path)
    assert sorted(entry["flow_name"] for entry in record["schedules"]) == ["f1", "f2", "f3", "f4", "f5", "f6"]
    assert sorted(entry["flow_name"] for entry in record["executions"]) == ["f1", "f2", "f3", "f4", "f5", "f6"]
    assert len(record["runs"]) == 2 and all(not outcome.failures for outcome in results)
    resume(service, path)
    assert all(service.enabled(flow, "s") for flow in ("f1", "f2", "f3", "f4", "f5", "f6"))


def test_a_later_quiesce_on_a_resumed_record_starts_a_new_window(tmp_path: Path) -> None:
    service, path = quiesced(tmp_path)
    resume(service, path)
    first = read(path)["window_id"]
    quiesce(service, path, flows=("f1",))
    record = read(path)
    assert record["window_id"] != first and record["state"] == "open" and record["flows"] == ["f1"]
