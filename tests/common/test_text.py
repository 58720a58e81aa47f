"""Names and free text: Chinese names with the middle dot, Latin names for foreign nationals;
no emoji, control character or NUL anywhere; limits stated in the message."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onetrip.common.text import TextError, clean_person_name, clean_text


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("张三", "张三"),
        (" 王 五 ", "王五"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("John Smith", "John Smith"),
        ("O'Brien-Lee", "O'Brien-Lee"),
        ("José Álvarez", "José Álvarez"),
    ],
)
def test_names_as_the_register_holds_them(typed, stored):
    assert clean_person_name(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("张建国😀", "unsupported_character"),
        ("张\x00三", "control_character"),
        ("张\u200b三", "control_character"),
        ("张", "name_length"),
        ("张三 Smith", "name_characters"),
        ("阿依古丽·", "name_characters"),
        ("张三3", "name_characters"),
        ("", "required"),
        ("张" * 31, "name_length"),
    ],
)
def test_names_refused_with_a_specific_code(typed, code):
    with pytest.raises(TextError) as info:
        clean_person_name(typed)
    assert info.value.code == code
    assert info.value.field == "name"
    assert info.value.message_zh and info.value.message_en


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("曙光路12号\x00", "control_character"),
        ("曙光路😀12号", "unsupported_character"),
        ("曙光路\ue000", "unsupported_character"),
        ("曙光路👍🏽", "unsupported_character"),
    ],
)
def test_free_text_refuses_emoji_and_control_characters(typed, code):
    with pytest.raises(TextError) as info:
        clean_text(
            typed, field="address_detail", label_zh="详细地址", label_en="address", max_length=200
        )
    assert info.value.code == code


def test_free_text_length_is_stated_in_the_message():
    with pytest.raises(TextError) as info:
        clean_text("路" * 201, field="a", label_zh="详细地址", label_en="address", max_length=200)
    assert "最多200个字" in info.value.message_zh
    assert "201" in info.value.message_zh


def test_free_text_keeps_ordinary_addresses_and_folds_white_space():
    assert (
        clean_text(
            "曙光路 12 号\t3 幢  201 室（东）",
            field="a",
            label_zh="地址",
            label_en="a",
            max_length=200,
        )
        == "曙光路 12 号 3 幢 201 室（东）"
    )


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=80))
def test_only_text_error_ever_escapes_and_nothing_refused_is_stored(value):
    for clean in (
        lambda v: clean_person_name(v),
        lambda v: clean_text(v, field="a", label_zh="地址", label_en="a", max_length=60),
    ):
        try:
            stored = clean(value)
        except TextError:
            continue
        assert "\x00" not in stored
        assert all(ord(c) >= 0x20 for c in stored)
