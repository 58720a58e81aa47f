"""Every bad input gets its own Chinese message (and English), on the page and in the API, and
nothing is stored: no declaration, no ferry message (DOMAIN ID-2, ID-3, ID-5, ID-13, ZJ-4)."""

from __future__ import annotations

import pytest

from onetrip.ferry.registry import get_store
from onetrip.portal.declarations.models import Declaration
from tests.fixtures import valid_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])

BAD_INPUTS = [
    # (rule, overrides, field, code, Chinese words the message must contain)
    ("id3_check_digit", {"id_number": "330106199001011231"}, "id_number", "id_check_digit", "校验"),
    (
        "id5_impossible_birth_date",
        {"id_number": "330106199002301234"},
        "id_number",
        "id_birth_date_invalid",
        "出生日期",
    ),
    ("id2_sex_contradicts_number", {"sex": "F"}, "sex", "id_sex_mismatch", "性别"),
    ("id13_malformed_phone", {"phone": "1380013800"}, "phone", "phone_format", "手机"),
    (
        "address_outside_city",
        {"district": "", "street": "", "community_code": "110105001001"},
        "community_code",
        "outside_city",
        "不在本市",
    ),
    (
        "zj4_arrival_in_future",
        {"arrival_date": "2999-01-01"},
        "arrival_date",
        "future",
        "不能晚于今天",
    ),
]


def nothing_stored() -> None:
    assert Declaration.objects.count() == 0
    assert get_store("portal").outbox.objects.count() == 0


@pytest.mark.parametrize(("rule", "overrides", "field", "code", "words"), BAD_INPUTS)
def test_bad_input_on_the_page_gets_its_own_chinese_error_and_stores_nothing(
    resident_client, rule, overrides, field, code, words
):
    response = resident_client.post("/declare/", valid_declaration(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="{field}-error"' in page
    error = response.context["errors"][field]
    assert error.code == code
    assert words in error.message_zh
    assert error.message_en and error.message_en != error.message_zh
    assert error.message_zh in page
    nothing_stored()


def test_all_problems_are_reported_at_once(resident_client):
    response = resident_client.post(
        "/declare/",
        valid_declaration(phone="12345", arrival_date="2999-01-01", name="", housing_type=""),
    )
    assert response.status_code == 400
    assert set(response.context["errors"]) >= {"phone", "arrival_date", "name", "housing_type"}
    nothing_stored()


def test_personal_data_is_encrypted_at_rest(resident_client):
    from django.db import connections, router

    resident_client.post("/declare/", valid_declaration())
    declaration = Declaration.objects.get()
    with connections[router.db_for_read(Declaration)].cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, address_detail FROM portal_declarations_declaration"
        )
        row = cursor.fetchone()
    assert "33010619900101123X" not in row[0] and row[0].startswith("v1:")
    assert "13800138000" not in row[1]
    assert "曙光路" not in row[2]
    assert declaration.id_number == "33010619900101123X"


def test_progress_lookup_is_rate_limited(client, settings):
    settings.ONETRIP_PROGRESS_LOOKUPS_PER_MINUTE = 3
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.get(
            "/progress/",
            {"reference": "JZ0000", "id_last6": "123456"},
            HTTP_HOST="portal.testserver",
        ).status_code
        for _ in range(5)
    ]
    assert codes == [404, 404, 404, 429, 429]


def test_declare_page_requires_login(client):
    response = client.get("/declare/", HTTP_HOST="portal.testserver")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_address_choices_narrow_from_district_to_community(resident_client):
    response = resident_client.post(
        "/declare/", {"district": "330106", "street": "330106002", "refresh": "1"}
    )
    assert response.status_code == 200
    codes = [c.code for c in response.context["communities"]]
    assert "330106002001" in codes
    moved = resident_client.post(
        "/declare/", {"district": "330102", "street": "330106002", "refresh": "1"}
    )
    assert moved.context["street"] == ""
    assert moved.context["communities"] == []


CHILD_ID = "330106201505051232"  # born 2015-05-05, male (checksum computed below)


def _child_id() -> str:
    from onetrip.common.identifiers import id_check_char

    return CHILD_ID[:17] + id_check_char(CHILD_ID[:17])


def test_zj5_a_child_under_16_must_be_declared_by_an_adult_guardian(resident_client):
    child = valid_declaration(
        id_number=_child_id(), birth_date="2015-05-05", arrival_date="2026-11-20"
    )
    response = resident_client.post("/declare/", child)
    assert response.status_code == 400
    errors = response.context["errors"]
    assert errors["guardian_name"].code == "guardian_required"
    assert "监护人" in errors["guardian_name"].message_zh
    assert errors["guardian_relation"].code == "guardian_relation_required"
    nothing_stored()

    minor_guardian = dict(
        child,
        guardian_name="张小",
        guardian_id_number=_child_id(),
        guardian_relation="sibling",
    )
    response = resident_client.post("/declare/", minor_guardian)
    assert response.context["errors"]["guardian_id_number"].code == "guardian_not_adult"
    nothing_stored()

    ok = dict(
        child,
        guardian_name="张大",
        guardian_id_number="33010619900101123X",
        guardian_relation="parent",
    )
    response = resident_client.post("/declare/", ok)
    assert response.status_code == 302
    declaration = Declaration.objects.get()
    assert declaration.guardian_id_number == "33010619900101123X"
    outbox = get_store("portal").outbox.objects.get()
    assert outbox.payload["guardian_relation"] == "parent"


def test_zj5_an_adult_declares_for_themselves_and_guardian_fields_are_ignored(resident_client):
    response = resident_client.post(
        "/declare/", valid_declaration(guardian_name="某人", guardian_relation="parent")
    )
    assert response.status_code == 302
    assert Declaration.objects.get().guardian_name == ""


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": "张建国😀"}, "name", "unsupported_character"),
        ({"address_detail": "曙光路\x0012号"}, "address_detail", "control_character"),
        ({"employer_name": "示例😀公司"}, "employer_name", "unsupported_character"),
        ({"name": "张三 Smith"}, "name", "name_characters"),
    ],
)
def test_emoji_control_characters_and_mixed_names_are_refused(
    resident_client, overrides, field, code
):
    response = resident_client.post("/declare/", valid_declaration(**overrides))
    assert response.status_code == 400
    assert response.context["errors"][field].code == code
    nothing_stored()


def test_a_minority_name_with_a_middle_dot_is_accepted(resident_client):
    response = resident_client.post("/declare/", valid_declaration(name="阿依古丽•买买提"))
    assert response.status_code == 302
    assert Declaration.objects.get().name == "阿依古丽·买买提"
