"""Declarations with identifiers spelt in other scripts (DOMAIN ID-4, ID-13, issue 8).

An ID number or phone number in Arabic-Indic or Devanagari digits is refused with its own code
and nothing is stored; full-width input is stored as the ASCII number, so the police zone, the
lookup hashes and the SMS gateway only ever see ASCII.
"""

from __future__ import annotations

import pytest

from onetrip.common.crypto import lookup_hash
from onetrip.ferry.registry import get_store
from onetrip.portal.declarations.errors import DeclarationInvalid, DeclarationNotFound
from onetrip.portal.declarations.models import Declaration
from onetrip.portal.declarations.selectors import declaration_progress
from onetrip.portal.declarations.services import (
    DeclarationInput,
    declaration_check,
    declaration_submit,
)
from tests.fixtures import valid_declaration

pytestmark = pytest.mark.django_db(databases=["default", "police"])

ID_NUMBER = "33010619900101123X"
PHONE = "13800138000"
LANDLORD_PHONE = "13900139000"


def arabic_indic(text: str) -> str:
    return "".join(chr(0x0660 + int(c)) if "0" <= c <= "9" else c for c in text)


def devanagari(text: str) -> str:
    return "".join(chr(0x0966 + int(c)) if "0" <= c <= "9" else c for c in text)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def declaration_input(**overrides: str) -> DeclarationInput:
    data = valid_declaration(**overrides)
    return DeclarationInput(**{k: v for k, v in data.items() if k not in ("district", "street")})


def _nothing_stored() -> None:
    assert Declaration.objects.count() == 0
    assert get_store("portal").outbox.objects.count() == 0


OTHER_DIGITS = [
    ("id_number", arabic_indic(ID_NUMBER)),
    ("id_number", devanagari(ID_NUMBER)),
    ("id_number", ID_NUMBER[:-2] + arabic_indic("3") + "X"),  # one digit is enough
    ("id_number", full_width(ID_NUMBER[:9]) + arabic_indic(ID_NUMBER[9:])),
    ("phone", arabic_indic(PHONE)),
    ("phone", devanagari(PHONE)),
    ("landlord_phone", arabic_indic(LANDLORD_PHONE)),
]


@pytest.mark.parametrize(("field", "value"), OTHER_DIGITS)
def test_id4_id13_declaration_with_other_scripts_digits_is_refused(resident, field, value):
    with pytest.raises(DeclarationInvalid) as raised:
        declaration_submit(resident=resident, data=declaration_input(**{field: value}))
    error = raised.value.by_field()[field]
    assert error.code == "non_ascii_digit"
    assert "0-9" in error.message_zh and "0-9" in error.message_en
    _nothing_stored()


def test_id4_guardian_id_number_in_arabic_indic_digits_is_refused(resident):
    child = "33010620150505123"
    from onetrip.common.identifiers import id_check_char

    data = declaration_input(
        id_number=child + id_check_char(child),
        birth_date="2015-05-05",
        guardian_name="张大",
        guardian_id_number=arabic_indic(ID_NUMBER),
        guardian_relation="parent",
    )
    with pytest.raises(DeclarationInvalid) as raised:
        declaration_check(data)
    assert raised.value.by_field()["guardian_id_number"].code == "non_ascii_digit"


@pytest.mark.parametrize(("field", "value"), OTHER_DIGITS[:1] + OTHER_DIGITS[4:5])
def test_id4_id13_the_page_and_the_api_refuse_other_scripts_digits(
    resident, resident_client, client, field, value
):
    from onetrip.portal.api.auth import token_for

    page = resident_client.post("/declare/", valid_declaration(**{field: value}))
    assert page.status_code == 400
    assert page.context["errors"][field].code == "non_ascii_digit"

    body = {
        k: v
        for k, v in valid_declaration(**{field: value}).items()
        if k not in ("district", "street")
    }
    api = client.post(
        "/api/v1/declarations",
        body,
        content_type="application/json",
        HTTP_HOST="portal.testserver",
        HTTP_AUTHORIZATION=f"Bearer {token_for(resident)}",
    )
    assert api.status_code == 400
    errors = {e["field"]: e for e in api.json()["errors"]}
    assert errors[field]["code"] == "non_ascii_digit"
    _nothing_stored()


def test_id4_id13_full_width_input_is_stored_and_sent_as_ascii(resident):
    data = declaration_input(
        id_number=full_width(ID_NUMBER.lower()),
        phone=full_width(PHONE),
        landlord_phone="（＋８６）" + full_width(LANDLORD_PHONE),
    )
    declaration = declaration_submit(resident=resident, data=data)
    declaration.refresh_from_db()
    assert declaration.id_number == ID_NUMBER
    assert declaration.id_hash == lookup_hash(ID_NUMBER, purpose="id_number")
    assert declaration.phone == PHONE
    assert declaration.landlord_phone == LANDLORD_PHONE
    payload = get_store("portal").outbox.objects.get().payload
    assert payload["id_number"] == ID_NUMBER
    assert payload["phone"] == PHONE
    assert payload["landlord_phone"] == LANDLORD_PHONE


def test_progress_lookup_with_other_scripts_digits_finds_nothing_and_raises_nothing(resident):
    declaration = declaration_submit(resident=resident, data=declaration_input())
    for reference in (arabic_indic(declaration.reference), devanagari(declaration.reference)):
        with pytest.raises(DeclarationNotFound):
            declaration_progress(reference=reference, id_last6="01123X")


def test_progress_lookup_with_an_id_suffix_in_other_digits_finds_nothing(resident):
    declaration = declaration_submit(resident=resident, data=declaration_input())
    with pytest.raises(DeclarationNotFound):
        declaration_progress(reference=declaration.reference, id_last6=arabic_indic("01123X"))


def test_progress_lookup_reads_a_full_width_reference(resident):
    declaration = declaration_submit(resident=resident, data=declaration_input())
    found = declaration_progress(
        reference=full_width(declaration.reference.lower()), id_last6="01123X"
    )
    assert found == declaration
