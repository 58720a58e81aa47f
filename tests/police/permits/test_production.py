"""Card production batches (NAT-3, NAT-12, WF-2, WF-6): a batch per station and day, the signed
file for the card-printing bureau, and the bureau's return applied all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from onetrip.common.filestore import file_get
from onetrip.ferry.registry import get_store
from onetrip.police.audit.models import AuditEvent
from onetrip.police.permits import casework
from onetrip.police.permits.errors import PermitError
from onetrip.police.permits.models import (
    PermitCase,
    ProductionBatch,
    ProductionCard,
    ProductionReturn,
)
from onetrip.police.permits.production import (
    RETURN_MAX_ROWS,
    BatchFileInvalid,
    ProductionBatchNotFound,
    production_batch_assemble,
    production_batch_export,
    production_batch_file_for_staff,
    production_file_verify,
    production_import,
    production_return_parse,
)
from tests.fixtures import staff

from . import production_helpers
from .production_helpers import HUBIN_COMMUNITY, Team, approve, permit_of, return_csv

pytestmark = pytest.mark.django_db(databases=["default", "police"])
production_key = production_helpers.production_key
delivery_calls = production_helpers.delivery_calls

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Hangzhou


@pytest.fixture
def team(beishan):
    return Team(beishan, "bs")


@pytest.fixture
def hubin_team(hubin):
    return Team(hubin, "hb")


@pytest.fixture
def two(team, production_key, delivery_calls):
    return [approve(team, 1), approve(team, 2)]


def _exported(team) -> ProductionBatch:
    batch = production_batch_assemble(user=team.clerk)
    return production_batch_export(user=team.clerk, number=batch.number)


def _statuses(*cases: PermitCase) -> list[tuple[str, str]]:
    return [
        tuple(PermitCase.objects.filter(pk=c.pk).values_list("status", "task").get()) for c in cases
    ]


def _status_messages() -> list[dict]:
    outbox = get_store("police").outbox.objects.filter(message_type="permit.status_changed")
    return [m.payload for m in outbox.order_by("id")]


# -- batches ------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_batch_gathers_the_approved_cards_of_one_station_and_day(
    team, hubin_team, production_key, delivery_calls, beishan, hubin
):
    ours = [approve(team, 1), approve(team, 2)]
    theirs = approve(hubin_team, 3, community=HUBIN_COMMUNITY)
    batch = production_batch_assemble(user=team.clerk)
    assert batch.number == f"{beishan.code}-20261201-01"
    assert (batch.station, batch.day, batch.status, batch.card_count) == (
        beishan,
        dt.date(2026, 12, 1),
        "open",
        2,
    )
    assert set(batch.cases.values_list("pk", flat=True)) == {c.pk for c in ours}
    # A card approved later the same day joins the open batch.
    later = approve(team, 4)
    again = production_batch_assemble(user=team.clerk)
    assert again.pk == batch.pk and again.card_count == 3
    assert PermitCase.objects.get(pk=later.pk).production_batch_id == batch.pk
    other = production_batch_assemble(user=hubin_team.clerk)
    assert other.station == hubin and list(other.cases.all()) == [theirs]
    # Once exported, the day's next card goes into the day's second batch.
    production_batch_export(user=team.clerk, number=batch.number)
    approve(team, 5)
    second = production_batch_assemble(user=team.clerk)
    assert second.number == f"{beishan.code}-20261201-02" and second.card_count == 1
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        approve(team, 6)
        production_batch_export(user=team.clerk, number=second.number)
        approve(team, 7)
        tomorrow = production_batch_assemble(user=team.clerk)
    assert tomorrow.number == f"{beishan.code}-20261202-01"


def test_nothing_waiting_opens_no_batch(team, production_key):
    with pytest.raises(PermitError) as refused:
        production_batch_assemble(user=team.clerk)
    assert refused.value.code == "nothing_to_produce"
    assert not ProductionBatch.objects.exists()


@pytest.mark.parametrize("role", ["reviewer", "approver", "field_officer", "city_admin"])
def test_only_the_stations_clerk_or_admin_makes_batches(two, beishan, role):
    user = staff(f"x_{role}", role, beishan if role != "city_admin" else None)
    with pytest.raises(PermitError) as refused:
        production_batch_assemble(user=user)
    assert refused.value.status == 403


def test_a_clerk_of_another_station_cannot_export_or_download_the_batch(two, team, hubin_team):
    batch = production_batch_assemble(user=team.clerk)
    with pytest.raises(ProductionBatchNotFound):
        production_batch_export(user=hubin_team.clerk, number=batch.number)
    production_batch_export(user=team.clerk, number=batch.number)
    with pytest.raises(ProductionBatchNotFound):
        production_batch_file_for_staff(user=hubin_team.clerk, number=batch.number)


# -- the exported file --------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_nat3_export_file_verifies_with_every_card_field_and_photo(
    two, team, production_key, delivery_calls
):
    batch = _exported(team)
    assert batch.status == "exported" and batch.card_count == 2
    content, name = production_batch_file_for_staff(user=team.clerk, number=batch.number)
    assert name == f"card-production-{batch.number}.zip"
    manifest = production_file_verify(content, production_key)
    assert (manifest["batch"], manifest["count"], manifest["key_id"]) == (
        batch.number,
        2,
        batch.key_id,
    )
    assert manifest["station"]["code"] == team.station.code
    assert manifest["created_at"].startswith("2026-12-01T10:00:00")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("cards.csv").decode("utf-8"))))
        by_number = {row["居住证号码"]: row for row in rows}
        for case in two:
            permit = permit_of(case)
            row = by_number[permit.permit_number]
            assert row == {
                "姓名": "张三",
                "性别": permit.sex,
                "民族": "汉族",
                "出生日期": permit.birth_date.isoformat(),
                "公民身份号码": permit.id_number,
                "常住户口所在地住址": "浙江省温州市鹿城区五马街道1号",
                "居住地住址": permit.residence_address,
                "签发机关": team.station.branch_name,
                # Issued by the fixture, on the real day (the clock is frozen only here).
                "签发日期": permit.issued_on.isoformat(),
                "有效期限至": permit.valid_until.isoformat(),
                "居住证号码": permit.permit_number,
                "相片文件名": f"photos/{permit.permit_number}.jpg",
            }
            photo = archive.read(row["相片文件名"])
            assert photo == file_get(zone="police", name=permit.photo_stored_name)
            assert photo.startswith(b"\xff\xd8\xff")


def test_wf6_export_and_download_are_audited_as_reads_of_the_card_data(two, team):
    batch = _exported(team)
    export = AuditEvent.objects.get(action="production_batch.export", object_id=batch.number)
    assert export.actor == team.clerk.username
    assert "id_number" in export.detail["fields"] and "photo" in export.detail["fields"]
    assert export.detail["cards"] == 2 and export.detail["sha256"] == batch.file_sha256
    for case in two:
        assert AuditEvent.objects.filter(action="permit.in_production", object_id=case.reference)
    production_batch_file_for_staff(user=team.clerk, number=batch.number)
    read = AuditEvent.objects.get(
        action="production_batch.view_personal_data", object_id=batch.number
    )
    assert read.purpose == "card_production_download"


def test_a_file_altered_after_signing_does_not_verify(two, team, production_key):
    batch = _exported(team)
    content, _name = production_batch_file_for_staff(user=team.clerk, number=batch.number)
    altered = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(altered, "w") as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "cards.csv":
                data = data.replace("张三".encode(), "李四".encode(), 1)
            target.writestr(info, data)
    with pytest.raises(BatchFileInvalid, match=r"cards\.csv"):
        production_file_verify(altered.getvalue(), production_key)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with pytest.raises(BatchFileInvalid, match="signature"):
        production_file_verify(content, Ed25519PrivateKey.generate().public_key())


def test_wf2_export_moves_the_cards_to_production_and_tells_the_resident(two, team, delivery_calls):
    batch = _exported(team)
    assert _statuses(*two) == [("in_production", "produce")] * 2
    assert [m["status"] for m in _status_messages()[-2:]] == ["in_production"] * 2
    started = [c for c in delivery_calls if c["change"] == "production_started"]
    assert sorted(c["case"].reference for c in started) == sorted(c.reference for c in two)
    assert {c["actor"] for c in started} == {f"staff:{team.clerk.username}"}
    assert ProductionCard.objects.filter(batch=batch, result="pending").count() == 2
    with pytest.raises(PermitError) as again:
        production_batch_export(user=team.clerk, number=batch.number)
    assert again.value.code == "batch_not_open"


def test_a_card_sent_to_production_by_hand_leaves_the_open_batch(two, team):
    batch = production_batch_assemble(user=team.clerk)
    casework.permit_take(user=team.clerk, reference=two[0].reference)
    casework.permit_send_to_production(user=team.clerk, reference=two[0].reference)
    exported = production_batch_export(user=team.clerk, number=batch.number)
    assert exported.card_count == 1
    assert list(ProductionCard.objects.values_list("case_id", flat=True)) == [two[1].pk]


# -- the bureau's return ------------------------------------------------------------------------


def test_printed_cards_lie_at_the_station_for_hand_over(two, team):
    batch = _exported(team)
    rows = [(permit_of(c).permit_number, "printed", "") for c in two]
    result = production_import(user=team.clerk, content=return_csv(*rows), file_name="r.csv")
    assert (result.printed, result.failed, result.unchanged, result.already) == (2, 0, 0, False)
    assert result.batches == [batch.number]
    assert _statuses(*two) == [("ready", "hand_over")] * 2
    batch.refresh_from_db()
    assert (batch.status, batch.printed_count, batch.failed_count) == ("returned", 2, 0)
    assert batch.returned_at is not None
    assert AuditEvent.objects.filter(action="permit.ready").count() == 2
    assert AuditEvent.objects.filter(action="production_batch.import_return").count() == 1


def test_a_failed_card_goes_back_with_its_reason_and_into_the_next_batch(two, team, delivery_calls):
    first = _exported(team)
    failed, printed = two
    content = return_csv(
        (permit_of(failed).permit_number, "failed", "相片模糊，无法制证"),
        (permit_of(printed).permit_number, "printed", ""),
    )
    result = production_import(user=team.clerk, content=content)
    assert (result.printed, result.failed) == (1, 1)
    case = PermitCase.objects.get(pk=failed.pk)
    assert (case.status, case.task, case.production_batch_id) == ("approved", "produce", None)
    assert case.production_failure == "相片模糊，无法制证"
    assert _statuses(printed) == [("ready", "hand_over")]
    said = [c for c in delivery_calls if c["change"] == "production_failed"]
    assert [(c["case"].pk, c["reason"]) for c in said] == [(failed.pk, "相片模糊，无法制证")]
    first.refresh_from_db()
    assert (first.status, first.printed_count, first.failed_count) == ("returned", 1, 1)
    status_messages = len(_status_messages())

    second = _exported(team)
    assert second.pk != first.pk
    assert list(ProductionCard.objects.filter(batch=second).values_list("case_id", flat=True)) == [
        failed.pk
    ]
    assert _statuses(failed) == [("in_production", "produce")]
    # The portal still shows it in production: no second status message (and SMS).
    assert len(_status_messages()) == status_messages
    production_import(
        user=team.clerk, content=return_csv((permit_of(failed).permit_number, "printed", ""))
    )
    case.refresh_from_db()
    assert (case.status, case.production_failure) == ("ready", "")


def test_a_bad_row_refuses_the_whole_file_with_row_column_value_and_why(two, team):
    _exported(team)
    good = permit_of(two[0]).permit_number
    content = return_csv(
        (good, "printed", ""),
        ("3301062026000999", "printed", ""),
        (permit_of(two[1]).permit_number, "printd", ""),
        (good, "failed", ""),
    )
    with pytest.raises(PermitError) as refused:
        production_import(user=team.clerk, content=content)
    error = refused.value
    assert error.code == "return_invalid"
    assert "4处错误" in error.message_zh and "未导入" in error.message_zh
    assert [e.message_zh for e in error.errors] == [
        "第3行“居住证号码”列（值“3301062026000999”）：未找到该居住证号码，或不属于您可办理的派出所",
        "第4行“结果”列（值“printd”）：结果应为 printed（已制成）或 failed（制证失败）",
        f"第5行“居住证号码”列（值“{good}”）：与第2行重复",
        "第5行“原因”列（值“”）：制证失败须写明原因，申请人将收到该原因",
    ]
    assert [e.field for e in error.errors] == [
        "row3.permit_number",
        "row4.result",
        "row5.permit_number",
        "row5.reason",
    ]
    assert _statuses(*two) == [("in_production", "produce")] * 2
    assert not ProductionReturn.objects.exists()


def test_a_row_the_register_refuses_is_reported_and_nothing_is_applied(two, team):
    _exported(team)
    content = return_csv(
        (permit_of(two[0]).permit_number, "printed", ""),
        ("3301062026000999", "printed", ""),
    )
    with pytest.raises(PermitError) as refused:
        production_import(user=team.clerk, content=content)
    assert [e.field for e in refused.value.errors] == ["row3.permit_number"]
    assert _statuses(*two) == [("in_production", "produce")] * 2


def test_an_id_number_in_the_file_is_never_repeated_in_the_message(two, team):
    _exported(team)
    with pytest.raises(PermitError) as refused:
        production_import(
            user=team.clerk, content=return_csv(("33010619900101123X", "printed", ""))
        )
    assert all("33010619900101123X" not in e.message_zh for e in refused.value.errors)
    assert "3301**********123X" in refused.value.errors[0].message_zh


def test_importing_the_same_return_again_changes_nothing(two, team):
    batch = _exported(team)
    content = return_csv(
        (permit_of(two[0]).permit_number, "failed", "芯片写入失败"),
        (permit_of(two[1]).permit_number, "printed", ""),
    )
    production_import(user=team.clerk, content=content)
    events = AuditEvent.objects.count()
    again = production_import(user=team.clerk, content=content)
    assert again.already and (again.printed, again.failed, again.unchanged) == (0, 0, 2)
    assert AuditEvent.objects.count() == events
    # The same rows in another file (re-saved, other line ends) are recognised row by row.
    resaved = content.replace(b"\n", b"\r\n")
    third = production_import(user=team.clerk, content=resaved)
    assert (third.already, third.printed, third.failed, third.unchanged) == (False, 0, 0, 2)
    batch.refresh_from_db()
    assert (batch.printed_count, batch.failed_count) == (1, 1)
    assert _statuses(*two) == [("approved", "produce"), ("ready", "hand_over")]


def test_a_return_cannot_contradict_what_was_recorded(two, team):
    _exported(team)
    number = permit_of(two[0]).permit_number
    production_import(user=team.clerk, content=return_csv((number, "printed", "")))
    with pytest.raises(PermitError) as refused:
        production_import(user=team.clerk, content=return_csv((number, "failed", "卡面破损")))
    assert "已记录该证件为“已制成”" in refused.value.errors[0].message_zh


def test_a_card_entered_by_hand_before_the_return_is_only_recorded(two, team):
    batch = _exported(team)
    casework.permit_take(user=team.clerk, reference=two[0].reference)
    casework.permit_card_arrived(user=team.clerk, reference=two[0].reference)
    rows = [(permit_of(c).permit_number, "printed", "") for c in two]
    result = production_import(user=team.clerk, content=return_csv(*rows))
    assert result.printed == 2
    assert AuditEvent.objects.filter(action="permit.ready", object_id=two[0].reference).count() == 1
    batch.refresh_from_db()
    assert batch.status == "returned"


def test_a_clerk_imports_only_their_stations_cards_a_city_admin_any(two, team, hubin_team):
    _exported(team)
    content = return_csv((permit_of(two[0]).permit_number, "printed", ""))
    with pytest.raises(PermitError) as refused:
        production_import(user=hubin_team.clerk, content=content)
    assert refused.value.errors[0].field == "row2.permit_number"
    city = staff("city_admin", "city_admin", None)
    assert production_import(user=city, content=content).printed == 1
    reviewer_refused = pytest.raises(PermitError)
    with reviewer_refused as refused_role:
        production_import(user=team.reviewer, content=content)
    assert refused_role.value.status == 403


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (
            b"permit_number,result,reason\n" + b"1,printed,\n" * (RETURN_MAX_ROWS + 1),
            "return_too_many_rows",
        ),
        (b"x" * (512 * 1024 + 1), "return_too_large"),
        ("permit_number,result,reason\n1,printed,好\n".encode("gbk"), "return_not_utf8"),
        (b"number,status\n1,printed\n", "return_header"),
        (b"permit_number,result,reason\n", "return_no_rows"),
        (b"", "return_empty"),
    ],
)
def test_a_return_is_parsed_within_limits(content, code):
    with pytest.raises(PermitError) as refused:
        production_return_parse(content)
    assert refused.value.code == code


def test_a_field_too_long_or_a_row_of_the_wrong_shape_is_reported():
    content = return_csv(("1" * 301, "printed", ""), ("2", "printed", "", "extra"))
    with pytest.raises(PermitError) as refused:
        production_return_parse(content)
    assert [e.field for e in refused.value.errors] == ["row2.permit_number", "row3.permit_number"]
    assert "超过300个字" in refused.value.errors[0].message_zh
    assert "应为3列" in refused.value.errors[1].message_zh


def test_the_chinese_header_and_a_bom_are_accepted():
    rows = production_return_parse(
        "\ufeff居住证号码,结果,原因\r\n3301062026000001,failed,相片不合格\r\n".encode()
    )
    assert [(r.line, r.permit_number, r.result, r.reason) for r in rows] == [
        (2, "3301062026000001", "failed", "相片不合格")
    ]


# -- the command --------------------------------------------------------------------------------


def test_card_production_import_command_applies_a_return_and_reports_bad_rows(two, team, tmp_path):
    _exported(team)
    path = tmp_path / "return.csv"
    path.write_bytes(return_csv((permit_of(two[0]).permit_number, "oops", "")))
    with pytest.raises(CommandError) as refused:
        call_command("card_production", "import", str(path), "--user", team.clerk.username)
    assert "第2行“结果”列" in str(refused.value)
    path.write_bytes(return_csv((permit_of(two[0]).permit_number, "printed", "")))
    out = io.StringIO()
    call_command("card_production", "import", str(path), "--user", team.clerk.username, stdout=out)
    assert "printed=1" in out.getvalue()
    assert _statuses(two[0]) == [("ready", "hand_over")]
