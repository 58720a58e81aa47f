"""An operator clears a ferry alarm with a reason, from the CLI or the page, and it is recorded;
the operator actions' refusals are bilingual application errors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onetrip.common.errors import ApplicationError, Conflict, NotFound
from onetrip.ferry.agent import alarms
from onetrip.ferry.models import Alarm
from onetrip.ferry.operations import actions, errors
from onetrip.ferry.protocol.channels import PORTAL_TO_POLICE
from onetrip.police.ferrybox import models as police_box

from ..helpers import FerryEnv

DB = pytest.mark.django_db(databases=["default", "police"], transaction=True)
BATCH = "000000000003-5f0c2b8e-9a41-4c1e-8d3a-2b7e6f1a9c04.jsonl"


def raise_conflict_alarm() -> Alarm:
    """A security alarm: it stays open until an operator clears it."""
    alarms.raise_alarm(
        "police",
        Alarm.KIND_SECURITY_CONFLICT,
        PORTAL_TO_POLICE,
        key=BATCH,
        detail="batch: security alarm: conflicting batch",
    )
    return police_box.Alarm.objects.get()


def clearing_events() -> list[str]:
    return list(
        police_box.FerryEvent.objects.filter(step="alarm_cleared").values_list("detail", flat=True)
    )


@DB
def test_clearing_an_alarm_records_actor_and_reason(ferry_env: FerryEnv) -> None:
    alarm = raise_conflict_alarm()
    done: list[actions.AlarmAction] = []

    result = actions.alarm_clear(
        zone="police",
        alarm_id=alarm.pk,
        actor="ops_li",
        reason="  both batch logs checked, sender restored from backup  ",
        on_done=done.append,
    )

    assert done == [result]
    assert (result.action, result.alarm_id, result.kind) == ("clear", alarm.pk, "security_conflict")
    assert (result.channel, result.key, result.actor) == (PORTAL_TO_POLICE, BATCH, "ops_li")
    assert result.reason == "both batch logs checked, sender restored from backup"
    alarm.refresh_from_db()
    assert alarm.cleared_at is not None
    assert alarms.open_alarms("police") == []
    assert clearing_events() == [
        f"security_conflict {BATCH} by ops_li: both batch logs checked, sender restored from backup"
    ]


@DB
@pytest.mark.parametrize("reason", ["", "   ", "abc"])
def test_clearing_an_alarm_needs_a_reason(ferry_env: FerryEnv, reason: str) -> None:
    alarm = raise_conflict_alarm()
    with pytest.raises(errors.ReasonRequired) as caught:
        actions.alarm_clear(zone="police", alarm_id=alarm.pk, actor="ops_li", reason=reason)
    assert "原因" in caught.value.message_zh and "reason" in caught.value.message_en
    assert [a.pk for a in alarms.open_alarms("police")] == [alarm.pk]
    assert clearing_events() == []


@DB
def test_a_cleared_or_unknown_alarm_is_not_found(ferry_env: FerryEnv) -> None:
    alarm = raise_conflict_alarm()
    actions.alarm_clear(zone="police", alarm_id=alarm.pk, actor="ops_li", reason="checked it")
    for alarm_id in (alarm.pk, alarm.pk + 1000):
        with pytest.raises(errors.AlarmNotFound) as caught:
            actions.alarm_clear(zone="police", alarm_id=alarm_id, actor="ops_li", reason="again")
        assert caught.value.status == 404
        assert f"#{alarm_id}" in caught.value.message_en
    assert len(clearing_events()) == 1


@DB
def test_a_failing_audit_leaves_the_alarm_open(ferry_env: FerryEnv) -> None:
    alarm = raise_conflict_alarm()

    def failing_audit(result: actions.AlarmAction) -> None:
        raise RuntimeError("audit log unavailable")

    with pytest.raises(RuntimeError):
        actions.alarm_clear(
            zone="police",
            alarm_id=alarm.pk,
            actor="ops_li",
            reason="checked it",
            on_done=failing_audit,
        )
    assert [a.pk for a in alarms.open_alarms("police")] == [alarm.pk]
    assert clearing_events() == []


@DB
def test_the_cli_clears_an_alarm_with_actor_and_reason(ferry_env: FerryEnv) -> None:
    alarm = raise_conflict_alarm()
    out = StringIO()
    call_command(
        "ferry",
        "alarms",
        "--zone-name",
        "police",
        "--clear",
        str(alarm.pk),
        "--reason",
        "sender's database restored",
        "--actor",
        "ops_li",
        stdout=out,
    )
    assert f"cleared alarm #{alarm.pk}" in out.getvalue()
    assert alarms.open_alarms("police") == []
    assert clearing_events() == [f"security_conflict {BATCH} by ops_li: sender's database restored"]


@DB
def test_the_cli_names_the_login_user_when_no_actor_is_given(
    ferry_env: FerryEnv, monkeypatch
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "ops_wang")
    alarm = raise_conflict_alarm()
    call_command(
        "ferry",
        "alarms",
        "--zone-name",
        "police",
        "--clear",
        str(alarm.pk),
        "--reason",
        "checked it",
        stdout=StringIO(),
    )
    assert clearing_events() == [f"security_conflict {BATCH} by ops_wang: checked it"]


@DB
def test_the_cli_refuses_without_a_reason_and_for_an_unknown_alarm(ferry_env: FerryEnv) -> None:
    alarm = raise_conflict_alarm()
    with pytest.raises(CommandError, match="请填写操作原因") as caught:
        call_command("ferry", "alarms", "--zone-name", "police", "--clear", str(alarm.pk))
    assert "give a reason" in str(caught.value)
    with pytest.raises(CommandError, match="no open alarm #999999"):
        call_command(
            "ferry", "alarms", "--zone-name", "police", "--clear", "999999", "--reason", "gone?"
        )
    assert [a.pk for a in alarms.open_alarms("police")] == [alarm.pk]


def test_operator_refusals_are_bilingual_application_errors() -> None:
    refusals: list[tuple[errors.OperationError, int, type[ApplicationError]]] = [
        (errors.ReasonRequired(4), 400, errors.OperationError),
        (errors.QuarantineNotFound(7), 404, NotFound),
        (errors.NotReleasable("heartbeat"), 409, Conflict),
        (errors.ReleaseConflict(PORTAL_TO_POLICE, BATCH), 409, Conflict),
        (errors.AlarmNotFound(7), 404, NotFound),
    ]
    for refusal, status, kind in refusals:
        assert isinstance(refusal, ApplicationError)
        assert isinstance(refusal, errors.OperationError) and isinstance(refusal, kind)
        assert refusal.status == status
        assert refusal.code and refusal.message_zh and refusal.message_en
        assert refusal.message_zh != refusal.message_en
        assert refusal.as_body()["message_en"] == refusal.message_en
    assert errors.ReasonRequired(4).field == "reason"
    assert errors.ReasonRequired(4).message_zh == "请填写操作原因（至少 4 个字）"
