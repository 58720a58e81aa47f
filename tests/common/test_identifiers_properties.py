"""Properties of the one boundary normalisation (DOMAIN ID-4, ID-8, ID-13, references), over
arbitrary Unicode: no validator raises anything but IdentifierError, every value a validator
returns is pure ASCII, full-width input is the same number as ASCII input, and digits of other
scripts are refused with ``non_ascii_digit`` — never converted, never stored.

Hypothesis runs bounded (200 examples, no deadline) and without its example database, so the
suite stays fast and leaves no files in the working tree.
"""

from __future__ import annotations

import contextlib
import re
import string
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from onetrip.common.errors import ApplicationError
from onetrip.common.identifiers import (
    MAX_INPUT_LENGTH,
    USCC_ALPHABET,
    USCC_CATEGORIES,
    WHITESPACE,
    IdentifierError,
    ResidentId,
    check_declared_sex,
    id_check_char,
    is_valid_resident_id,
    normalize_identifier,
    normalize_mobile,
    normalize_reference,
    parse_resident_id,
    region_code_ever_existed,
    uscc_check_char,
    uscc_org_code_consistent,
    validate_uscc,
)

TODAY = date(2025, 6, 1)

#: Bounded, so the suite stays fast; no example database (it would write .hypothesis/).
BOUNDED = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

NORMALISATION_CODES = {"non_ascii_digit", "non_ascii_character", "control_character"}

# --- Characters ------------------------------------------------------------------------------

ARABIC_INDIC = {str(d): [chr(0x0660 + d)] for d in range(10)}
EXTENDED_ARABIC_INDIC = {str(d): [chr(0x06F0 + d)] for d in range(10)}
DEVANAGARI = {str(d): [chr(0x0966 + d)] for d in range(10)}
FULL_WIDTH_DIGITS = {chr(0xFF10 + d) for d in range(10)}


def _other_spellings_of_digits() -> dict[str, list[str]]:
    """Every non-ASCII, non-full-width character Unicode gives a digit value 0-9: decimal
    digits of other scripts, superscripts, circled and parenthesised digits, mathematical
    digits… (planes 0 and 1, where they all live)."""
    table: dict[str, list[str]] = {d: [] for d in string.digits}
    for point in range(0x80, 0x20000):
        ch = chr(point)
        value = unicodedata.digit(ch, None)
        if value is not None and ch not in FULL_WIDTH_DIGITS:
            table[str(value)].append(ch)
    return table


OTHER_DIGITS = _other_spellings_of_digits()

#: Every Unicode character, lone surrogates and controls included.
any_char = st.characters(exclude_categories=())
any_text = st.text(any_char, max_size=MAX_INPUT_LENGTH + 8)
#: Every non-ASCII character Unicode calls numeric, full-width digits aside (planes 0 and 1,
#: with the Chinese numerals): sampled from a list, because filtering any character is too slow.
non_ascii_numeric = st.sampled_from(
    [
        chr(point)
        for point in range(0x80, 0x20000)
        if chr(point).isnumeric() and chr(point) not in FULL_WIDTH_DIGITS
    ]
)
#: Letters that are not ASCII and not full-width ASCII (Cyrillic Х, Greek Ο, Latin é…).
non_ascii_letter = st.characters(min_codepoint=0x80, categories=("Lu", "Ll")).filter(
    lambda c: not (0xFF01 <= ord(c) <= 0xFF5E) and not c.isnumeric()
)
whitespace = st.sampled_from(sorted(WHITESPACE))
#: ASCII and full-width characters that a validator may drop or keep: separators, ``+``, ``x``.
PHONE_LIKE = "-()+xX－（）＋ｘ"


def full_width(text: str) -> str:
    """The full-width spelling a Chinese input method produces in 全角 mode."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --- Valid identifiers -----------------------------------------------------------------------

REGION_CODES = ["110105", "330102", "330106", "330113", "360426", "440524"]


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGION_CODES))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    body = f"{region}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + id_check_char(body)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    return (
        "1"
        + draw(st.sampled_from("3456789"))
        + draw(st.text(string.digits, min_size=9, max_size=9))
    )


@st.composite
def usccs(draw: st.DrawFn) -> str:
    department = draw(st.sampled_from(sorted(USCC_CATEGORIES)))
    category = draw(st.sampled_from(sorted(USCC_CATEGORIES[department])))
    body = department + category + draw(st.text(string.digits, min_size=6, max_size=6))
    body += draw(st.text(USCC_ALPHABET, min_size=9, max_size=9))
    return body + uscc_check_char(body)


@st.composite
def references(draw: st.DrawFn) -> str:
    day = TODAY - timedelta(days=draw(st.integers(0, 3650)))
    return f"JZ{day:%y%m%d}{draw(st.integers(0, 10**8 - 1)):08d}"


@st.composite
def respelled(draw: st.DrawFn, value: str) -> str:
    """``value`` as people type it: some characters full-width, letters in either case,
    whitespace of any kind around and between characters."""
    out = [draw(st.text(whitespace, max_size=2))]
    for ch in value:
        if ch.isalpha() and draw(st.booleans()):
            ch = ch.lower()
        if draw(st.booleans()):
            ch = full_width(ch)
        out.append(ch)
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(whitespace))
    out.append(draw(st.text(whitespace, max_size=2)))
    return "".join(out)


@st.composite
def with_other_digits(draw: st.DrawFn, value: str, table: dict[str, list[str]]) -> str:
    """``value`` with at least one of its digits spelt in another script (the same digit value,
    so NFKC or ``unicodedata.decimal`` would have turned it back into a valid number); the other
    characters may be full-width, as in real input."""
    positions = [i for i, c in enumerate(value) if c in string.digits]
    chosen = draw(st.sets(st.sampled_from(positions), min_size=1, max_size=len(positions)))
    return "".join(
        draw(st.sampled_from(table[c]))
        if i in chosen
        else (full_width(c) if draw(st.booleans()) else c)
        for i, c in enumerate(value)
    )


@st.composite
def mutated(draw: st.DrawFn, values: st.SearchStrategy[str]) -> str:
    """A valid value with arbitrary characters inserted or substituted: near misses, which
    arbitrary text almost never produces."""
    chars = list(draw(values))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(chars)))
        ch = draw(st.one_of(any_char, whitespace, st.sampled_from(PHONE_LIKE)))
        if draw(st.booleans()) and i < len(chars):
            chars[i] = ch
        else:
            chars.insert(i, ch)
    return "".join(chars)


# --- The validators --------------------------------------------------------------------------


def _id_number(value: str) -> str:
    return parse_resident_id(value, today=TODAY).number


def _strict_mobile(value: str) -> str:
    return normalize_mobile(value, strict=True)


def _uscc_any_category(value: str) -> str:
    return validate_uscc(value, categories=None)


#: name → (validator returning the stored value, valid values, shape of every returned value,
#: the code for input over MAX_INPUT_LENGTH)
VALIDATORS: dict[str, tuple[Callable[[str], str], st.SearchStrategy[str], str, str]] = {
    "parse_resident_id": (_id_number, resident_ids(), r"[0-9]{17}[0-9X]", "id_length"),
    "normalize_mobile": (normalize_mobile, mobiles(), r"1[3-9][0-9]{9}", "phone_format"),
    "normalize_mobile_strict": (_strict_mobile, mobiles(), r"1[3-9][0-9]{9}", "phone_format"),
    "validate_uscc": (validate_uscc, usccs(), r"[0-9A-HJ-NPQRTUWXY]{18}", "uscc_length"),
    "validate_uscc_any_category": (
        _uscc_any_category,
        usccs(),
        r"[0-9A-HJ-NPQRTUWXY]{18}",
        "uscc_length",
    ),
    "normalize_reference": (
        normalize_reference,
        references(),
        r"[A-Z]{2}[0-9]{14}",
        "reference_format",
    ),
}
NAMES = sorted(VALIDATORS)
#: One validator per kind of identifier, for the rules below (the strict phone rule and the USCC
#: without its category table share their normalisation with the default ones).
KINDS = ["normalize_mobile", "normalize_reference", "parse_resident_id", "validate_uscc"]


def outcome(name: str, value: str) -> str | IdentifierError:
    """The validator's answer; any exception but IdentifierError fails the test."""
    validate, _, shape, _ = VALIDATORS[name]
    try:
        result = validate(value)
    except IdentifierError as exc:
        assert isinstance(exc, ApplicationError)
        assert exc.code and exc.message_zh and exc.message_en
        assert exc.message_zh != exc.message_en
        assert exc.status == 400
        return exc
    assert isinstance(result, str)
    assert result.isascii(), ascii(result)
    assert re.fullmatch(shape, result, re.ASCII), ascii(result)
    assert validate(result) == result  # idempotent: the stored value is its own normal form
    return result


def inputs(name: str) -> st.SearchStrategy[str]:
    """Arbitrary Unicode, and near misses of valid values."""
    valid = VALIDATORS[name][1]
    return st.one_of(
        any_text,
        valid.flatmap(respelled),
        mutated(valid),
        mutated(valid.flatmap(respelled)),
        valid.flatmap(lambda v: with_other_digits(v, OTHER_DIGITS)),
    )


# --- Boundary: any string ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@BOUNDED
@given(data=st.data())
def test_boundary_only_identifier_error_and_only_ascii_results_for_any_text(name, data):
    result = outcome(name, data.draw(inputs(name)))
    event("accepted" if isinstance(result, str) else f"refused {result.code}")


@pytest.mark.parametrize("name", KINDS)
@BOUNDED
@given(value=st.text(any_char, min_size=MAX_INPUT_LENGTH + 1, max_size=4 * MAX_INPUT_LENGTH))
def test_boundary_input_over_the_bound_is_refused_with_the_length_code(name, value):
    result = outcome(name, value)
    assert isinstance(result, IdentifierError)
    assert result.code == VALIDATORS[name][3]


@pytest.mark.parametrize("name", NAMES)
def test_boundary_huge_and_hostile_strings_are_refused_cheaply(name):
    for value in [
        "",
        "\x00",
        "\x00" * 18,
        "\ud800\udfff",
        "1" * 10**6,
        "٣" * 10**6,
        "\u202e13800138000",
        "13800138000\x1b[0m",
    ]:
        assert isinstance(outcome(name, value), IdentifierError)


@BOUNDED
@given(value=any_text)
def test_boundary_normalize_identifier_returns_printable_ascii_without_whitespace(value):
    def invalid() -> IdentifierError:
        return IdentifierError("test_length", "过长", "too long")

    try:
        result = normalize_identifier(value, label_zh="编号", label_en="number", invalid=invalid)
    except IdentifierError as exc:
        assert exc.code in NORMALISATION_CODES | {"test_length"}
        return
    assert all("!" <= c <= "~" for c in result), ascii(result)
    again = normalize_identifier(result, label_zh="编号", label_en="number", invalid=invalid)
    assert again == result


@BOUNDED
@given(value=any_text)
def test_boundary_helpers_never_raise_anything_but_identifier_error(value):
    assert isinstance(is_valid_resident_id(value, today=TODAY), bool)
    assert isinstance(region_code_ever_existed(value), bool)
    assert isinstance(uscc_org_code_consistent(value), bool)
    for helper in (id_check_char, uscc_check_char):
        with contextlib.suppress(IdentifierError):
            assert helper(value).isascii()
    resident = ResidentId("33010619900101123X", "330106", date(1990, 1, 1), "M")
    try:
        check_declared_sex(resident, value)
    except IdentifierError as exc:
        assert exc.code == "id_sex_mismatch"


@given(value=non_ascii_numeric)
@BOUNDED
def test_boundary_check_character_helpers_refuse_non_ascii_digits(value):
    # int("٣") == 3: the check-character sums must not take such digits.
    with pytest.raises(IdentifierError):
        id_check_char("3301061990010112" + value)
    with pytest.raises(IdentifierError):
        uscc_check_char("91330106MA27WQ3L" + value)
    assert not region_code_ever_existed("33010" + value)


# --- Full-width input is the same identifier ---------------------------------------------------


@BOUNDED
@given(data=st.data())
def test_id4_full_width_and_spaced_id_number_is_the_ascii_number(data):
    number = data.draw(resident_ids())
    assert _id_number(data.draw(respelled(number))) == number
    assert _id_number(full_width(number.lower())) == number


@BOUNDED
@given(data=st.data())
def test_id13_full_width_and_spaced_mobile_is_the_ascii_number(data):
    number = data.draw(mobiles())
    grouped = data.draw(
        st.sampled_from(
            [
                number,
                f"+86{number}",
                f"86 {number}",
                f"{number[:3]}-{number[3:7]}-{number[7:]}",
                f"(+86) {number[:3]} {number[3:7]} {number[7:]}",
                f"（+86）{number}",
            ]
        )
    )
    assert normalize_mobile(data.draw(respelled(grouped))) == number
    assert normalize_mobile(full_width(grouped)) == number


@BOUNDED
@given(data=st.data())
def test_id8_full_width_and_spaced_uscc_is_the_ascii_code(data):
    code = data.draw(usccs())
    assert validate_uscc(data.draw(respelled(code))) == code
    assert validate_uscc(full_width(f"{code[:8]}-{code[8:]}".lower())) == code


@BOUNDED
@given(data=st.data())
def test_reference_full_width_and_spaced_reference_is_the_ascii_reference(data):
    reference = data.draw(references())
    assert normalize_reference(data.draw(respelled(reference))) == reference
    assert normalize_reference(full_width(reference.lower())) == reference


# --- Other scripts' digits are refused, never converted ----------------------------------------

SCRIPTS = {
    "arabic_indic": ARABIC_INDIC,
    "extended_arabic_indic": EXTENDED_ARABIC_INDIC,
    "devanagari": DEVANAGARI,
}


@pytest.mark.parametrize("name", KINDS)
@BOUNDED
@given(data=st.data())
def test_id4_id8_id13_arabic_indic_and_devanagari_digits_are_refused(name, data):
    table = data.draw(st.sampled_from(sorted(SCRIPTS)).map(SCRIPTS.__getitem__))
    value = data.draw(VALIDATORS[name][1].flatmap(lambda v: with_other_digits(v, table)))
    result = outcome(name, value)
    assert isinstance(result, IdentifierError)
    assert result.code == "non_ascii_digit"


@pytest.mark.parametrize("name", KINDS)
@BOUNDED
@given(data=st.data())
def test_id4_id8_id13_any_unicode_digit_anywhere_is_refused(name, data):
    """Superscripts, circled, mathematical, Chinese and every script's digits, in place of a
    digit or inserted anywhere, whatever else is wrong: NFKC would have mapped some of these to
    ASCII, Python's ``\\d`` would have accepted others."""
    valid = VALIDATORS[name][1]
    if data.draw(st.booleans()):
        value = data.draw(valid.flatmap(lambda v: with_other_digits(v, OTHER_DIGITS)))
    else:
        value = data.draw(valid.flatmap(respelled))
        i = data.draw(st.integers(0, len(value)))
        value = value[:i] + data.draw(non_ascii_numeric) + value[i:]
    result = outcome(name, value)
    assert isinstance(result, IdentifierError)
    assert result.code == "non_ascii_digit"


@pytest.mark.parametrize("name", KINDS)
@BOUNDED
@given(data=st.data())
def test_boundary_non_ascii_letters_are_refused_not_folded(name, data):
    """Cyrillic Х for X, Greek Ο for 0, é…: refused with their own code, never upper-cased or
    folded into an ASCII look-alike."""
    value = data.draw(VALIDATORS[name][1])
    i = data.draw(st.integers(0, len(value) - 1))
    result = outcome(name, value[:i] + data.draw(non_ascii_letter) + value[i + 1 :])
    assert isinstance(result, IdentifierError)
    assert result.code == "non_ascii_character"


def test_id4_cyrillic_and_greek_x_are_not_the_check_character_x():
    for x in ("\u0425", "\u03a7", "\u0445", "\u2169"):  # Х Χ х Ⅹ
        result = outcome("parse_resident_id", "33010619900101123" + x)
        assert isinstance(result, IdentifierError)
        assert result.code in {"non_ascii_character", "non_ascii_digit"}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("١٣٨٠٠١٣٨٠٠٠", "non_ascii_digit"),  # Arabic-Indic
        ("۱۳۸۰۰۱۳۸۰۰۰", "non_ascii_digit"),  # Extended Arabic-Indic (Persian)
        ("१३८००१३८०००", "non_ascii_digit"),  # Devanagari
        ("¹³⁸⁰⁰¹³⁸⁰⁰⁰", "non_ascii_digit"),  # superscripts: NFKC maps them to ASCII
        ("①③⑧⓪⓪①③⑧⓪⓪⓪", "non_ascii_digit"),  # circled: NFKC maps them to ASCII
        ("𝟏𝟑𝟖𝟎𝟎𝟏𝟑𝟖𝟎𝟎𝟎", "non_ascii_digit"),  # mathematical bold: NFKC maps them to ASCII
        ("一三八〇〇一三八〇〇〇", "non_ascii_digit"),  # Chinese numerals
        ("138\u200b0013\u200b8000", "non_ascii_character"),  # zero-width space
        ("138\u20140013\u20148000", "non_ascii_character"),  # em dash
        ("138\x000013\x008000", "control_character"),
        ("138\x7f00138000", "control_character"),
    ],
)
def test_id13_examples_of_refused_spellings(raw, code):
    result = outcome("normalize_mobile", raw)
    assert isinstance(result, IdentifierError)
    assert result.code == code
    assert "0-9" in result.message_zh or code != "non_ascii_digit"


@BOUNDED
@given(value=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40))
def test_boundary_plain_ascii_is_returned_as_typed_less_its_separators(value):
    """The shortcut for letters and digits agrees with the general rule: printable ASCII comes
    back unchanged but for the separators the caller drops."""

    def invalid() -> IdentifierError:
        return IdentifierError("test_length", "过长", "too long")

    result = normalize_identifier(
        value, label_zh="编号", label_en="number", invalid=invalid, separators="-()"
    )
    assert result == "".join(ch for ch in value if ch not in "-()")
