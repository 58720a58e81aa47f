"""Identifier validation, DOMAIN §5 (ID-1…ID-15), with python-stdnum as a second opinion."""

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import stdnum.cn
from stdnum.cn import ric, uscc

from onetrip.common.identifiers import (
    USCC_ALPHABET,
    IdentifierError,
    ResidentId,
    check_declared_birth_date,
    check_declared_sex,
    id_check_char,
    is_valid_resident_id,
    normalize_mobile,
    parse_resident_id,
    region_code_ever_existed,
    uscc_check_char,
    uscc_org_code_consistent,
    validate_uscc,
)

TODAY = date(2025, 6, 1)


def error_code(func, *args, **kwargs) -> str:
    with pytest.raises(IdentifierError) as info:
        func(*args, **kwargs)
    err = info.value
    assert err.message_zh and err.message_en
    assert err.message_zh != err.message_en
    return err.code


# --- ID-1…ID-7: resident ID numbers -------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "region", "birth", "sex"),
    [
        ("11010519491231002X", "110105", date(1949, 12, 31), "F"),
        ("360426199101010071", "360426", date(1991, 1, 1), "M"),
        ("33010619900101123X", "330106", date(1990, 1, 1), "M"),
        ("330103198512310027", "330103", date(1985, 12, 31), "F"),
        ("330112197006150018", "330112", date(1970, 6, 15), "M"),
        ("33010220000229004X", "330102", date(2000, 2, 29), "F"),
    ],
)
def test_id1_domain_valid_vectors_parse(number, region, birth, sex):
    rid = parse_resident_id(number, today=TODAY)
    assert rid == ResidentId(number=number, region_code=region, birth_date=birth, sex=sex)
    assert is_valid_resident_id(number, today=TODAY)


def test_id1_structure_fields():
    rid = parse_resident_id("33010619900101123X", today=TODAY)
    assert (rid.region_code, rid.birth_date, rid.sequence) == ("330106", date(1990, 1, 1), "123")


def test_id2_sex_from_17th_digit():
    assert parse_resident_id("33010619900101123X", today=TODAY).sex == "M"  # 3 odd
    assert parse_resident_id("11010519491231002X", today=TODAY).sex == "F"  # 2 even


def test_id2_declared_sex_must_match():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    check_declared_sex(rid, "F")
    check_declared_sex(rid, "女")
    check_declared_sex(rid, "f")
    assert error_code(check_declared_sex, rid, "M") == "id_sex_mismatch"
    assert error_code(check_declared_sex, rid, "男") == "id_sex_mismatch"


def test_id5_declared_birth_date_must_match():
    rid = parse_resident_id("33010619900101123X", today=TODAY)
    check_declared_birth_date(rid, date(1990, 1, 1))
    assert error_code(check_declared_birth_date, rid, date(1990, 1, 2)) == "id_birth_date_mismatch"


def test_id3_check_digit_rejects_domain_invalid_vector():
    assert error_code(parse_resident_id, "110105194912310021", today=TODAY) == "id_check_digit"


def test_id3_check_digit_weights_and_mapping():
    assert id_check_char("11010519491231002") == "X"
    assert id_check_char("36042619910101007") == "1"
    # Weights are 2^(18-i) mod 11.
    from onetrip.common.identifiers import ID_WEIGHTS

    assert tuple(pow(2, 17 - i, 11) for i in range(17)) == ID_WEIGHTS


def test_id3_check_digit_rejects_every_single_digit_typo():
    number = "33010619900101123X"
    for pos in range(14, 17):  # sequence digits: the date stays valid
        for digit in "0123456789":
            if digit == number[pos]:
                continue
            typo = number[:pos] + digit + number[pos + 1 :]
            assert error_code(parse_resident_id, typo, today=TODAY) == "id_check_digit"


def test_id3_check_digit_rejects_adjacent_transposition():
    assert error_code(parse_resident_id, "33010619900101213X", today=TODAY) == "id_check_digit"


def test_id4_normalises_spaces_lowercase_x_and_full_width():
    expected = "33010619900101123X"
    for raw in [
        " 330106 19900101 123x ",
        "330106\t19900101\n123X",
        "３３０１０６１９９００１０１１２３ｘ",
        "330106\u300019900101123X",
    ]:
        assert parse_resident_id(raw, today=TODAY).number == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_length"),
        ("3301061990010112", "id_length"),
        ("33010619900101123X0", "id_length"),
        ("33010619900101123Y", "id_format"),
        ("3301061990010112XX", "id_format"),
        ("33010619900101-23X", "id_format"),
        ("A3010619900101123X", "id_format"),
    ],
)
def test_id4_length_and_format(raw, code):
    assert error_code(parse_resident_id, raw, today=TODAY) == code


def test_id7_fifteen_digit_first_generation_has_its_own_error():
    assert error_code(parse_resident_id, "330106900101123", today=TODAY) == "id_first_generation"


def test_id5_invalid_date_domain_vector():
    assert (
        error_code(parse_resident_id, "330106199002301234", today=TODAY) == "id_birth_date_invalid"
    )


def with_check(body17: str) -> str:
    return body17 + id_check_char(body17)


@pytest.mark.parametrize("body", ["33010619990229123", "33010619901301123", "33010619900100123"])
def test_id5_birth_date_must_be_a_real_date(body):
    assert error_code(parse_resident_id, with_check(body), today=TODAY) == "id_birth_date_invalid"


def test_id5_leap_day_births_are_real():
    assert parse_resident_id(with_check("33010620000229123"), today=TODAY).birth_date == date(
        2000, 2, 29
    )


def test_id5_birth_date_not_in_future():
    tomorrow = TODAY + timedelta(days=1)
    number = with_check(f"330106{tomorrow:%Y%m%d}123")
    assert error_code(parse_resident_id, number, today=TODAY) == "id_birth_date_future"
    born_today = with_check(f"330106{TODAY:%Y%m%d}123")
    assert parse_resident_id(born_today, today=TODAY).age_on(TODAY) == 0


def test_id5_birth_year_before_1900_is_implausible():
    # DOMAIN lists 440524188001010014 as checksum-valid; ID-5 still rejects an 1880 birth.
    code = error_code(parse_resident_id, "440524188001010014", today=TODAY)
    assert code == "id_birth_date_implausible"
    assert parse_resident_id(with_check("33010619000101123"), today=TODAY).birth_date.year == 1900
    # A historical import may lower the bound; the number is otherwise valid for us.
    rid = parse_resident_id("440524188001010014", today=TODAY, min_birth_year=1800)
    assert rid.region_code == "440524"


def test_id5_date_errors_win_over_check_digit_errors():
    # 330106199002301234 has both a wrong date and a wrong check digit.
    assert ric.calc_check_digit("330106199002301234") != "4"
    assert (
        error_code(parse_resident_id, "330106199002301234", today=TODAY) == "id_birth_date_invalid"
    )


def test_id5_age_on():
    rid = parse_resident_id("33010220000229004X", today=TODAY)
    assert rid.age_on(date(2016, 2, 28)) == 15
    assert rid.age_on(date(2016, 2, 29)) == 16
    assert rid.age_on(date(2017, 2, 28)) == 16
    assert rid.age_on(date(2017, 3, 1)) == 17
    assert rid.age_on(date(2014, 2, 28)) == 13  # under-14 PIPL rule (PI-6)


def test_id6_retired_hangzhou_codes_stay_valid():
    for body in ["33010319850101123", "33010419850101123", "33018519980101123"]:
        assert parse_resident_id(with_check(body), today=TODAY).region_code == body[:6]


def test_id6_new_2021_districts_missing_from_stdnum_are_valid():
    for code in ("330113", "330114"):
        number = with_check(f"{code}20220101123")
        assert not stdnum_accepts(number)  # python-stdnum 2.2 lacks these codes
        assert parse_resident_id(number, today=TODAY).region_code == code
        assert region_code_ever_existed(code)


@pytest.mark.parametrize("code", ["999999", "330199", "000000", "330113x", "33011"])
def test_id6_region_code_that_never_existed_is_rejected(code):
    assert not region_code_ever_existed(code)


def test_id6_unknown_region_code_error_and_opt_out():
    number = with_check("99999919900101123")
    assert error_code(parse_resident_id, number, today=TODAY) == "id_region_unknown"
    assert parse_resident_id(number, today=TODAY, check_region=False).region_code == "999999"


def test_id6_anachronistic_region_code_is_accepted_deliberately():
    # 临安区 330112 exists since 2017; python-stdnum rejects a 1970 birth under it, we accept.
    assert not ric.is_valid("330112197006150018")
    assert parse_resident_id("330112197006150018", today=TODAY).region_code == "330112"
    # 崇文区 110103 was abolished in 2010; a number assigned before stays valid for life.
    number = with_check("11010320150101123")
    assert not ric.is_valid(number)
    assert is_valid_resident_id(number, today=TODAY)


def test_id6_province_and_prefecture_level_codes_exist():
    assert region_code_ever_existed("330000")
    assert region_code_ever_existed("330100")


# --- Randomized comparison with python-stdnum (S12 reference implementation) ---------------

LOC_DAT = Path(stdnum.cn.__file__).with_name("loc.dat")
_RANGE = re.compile(r"^\[(\d*)-(\d*)\](.*)$")


def stdnum_counties() -> list[tuple[str, list[tuple[int, int]]]]:
    """Every county code of python-stdnum's table with the year ranges it was valid in."""
    result = []
    province = ""
    for line in LOC_DAT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            province = line.split()[0]
            continue
        suffix, _, rest = line.strip().partition(" ")
        value = rest.split("=", 1)[1].strip('"')
        ranges = []
        for part in value.split(","):
            m = _RANGE.match(part)
            if m:
                ranges.append((int(m.group(1) or 1900), int(m.group(2) or 2024)))
            else:
                ranges.append((1900, 2024))
        result.append((province + suffix, ranges))
    return result


def stdnum_accepts(number: str) -> bool:
    """python-stdnum 2.2's verdict. Its ric.validate raises KeyError (not a ValidationError) for a
    county code missing under a known province, e.g. 330113; count that as a rejection."""
    try:
        return ric.is_valid(number)
    except KeyError:
        return False


def random_date(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def random_number(rng: random.Random, code: str, birth: date, *, correct: bool) -> str:
    body = f"{code}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    check = id_check_char(body)
    if not correct:
        check = rng.choice([c for c in "0123456789X" if c != check])
    return body + check


def test_id3_randomized_agreement_with_stdnum_on_period_correct_numbers():
    rng = random.Random(11643)
    counties = stdnum_counties()
    assert len(counties) > 3000
    agreed_valid = agreed_invalid = 0
    for _ in range(4000):
        code, ranges = rng.choice(counties)
        start, end = rng.choice(ranges)
        if max(start, 1900) > min(end, 2024):
            continue
        year = rng.randint(max(start, 1900), min(end, 2024))
        correct = rng.random() < 0.5
        number = random_number(rng, code, random_date(rng, year), correct=correct)
        ours = is_valid_resident_id(number, today=TODAY)
        assert ours == stdnum_accepts(number) == correct, number
        agreed_valid += ours
        agreed_invalid += not ours
    assert agreed_valid > 1500 and agreed_invalid > 1500


def test_id6_randomized_deliberate_disagreement_on_anachronistic_codes():
    """A code used outside its validity years: stdnum says invalid, we say valid."""
    rng = random.Random(2260)
    dated = [
        (code, ranges)
        for code, ranges in stdnum_counties()
        if len(ranges) == 1 and ranges[0] != (1900, 2024)
    ]
    checked = 0
    for _ in range(3000):
        code, [(start, end)] = rng.choice(dated)
        outside = [y for y in range(1900, 2025) if y < start or y > end]
        if not outside:
            continue
        number = random_number(rng, code, random_date(rng, rng.choice(outside)), correct=True)
        assert not stdnum_accepts(number), number
        assert is_valid_resident_id(number, today=TODAY), number
        checked += 1
    assert checked > 2000


def test_id5_randomized_deliberate_disagreement_on_future_and_pre_1900_dates():
    rng = random.Random(7408)
    undated = [code for code, ranges in stdnum_counties() if ranges == [(1900, 2024)]]
    for _ in range(300):
        code = rng.choice(undated)
        early = random_number(rng, code, random_date(rng, rng.randint(1800, 1899)), correct=True)
        future = random_number(rng, code, random_date(rng, rng.randint(2026, 2099)), correct=True)
        for number, reason in [
            (early, "id_birth_date_implausible"),
            (future, "id_birth_date_future"),
        ]:
            assert ric.is_valid(number), number  # stdnum checks neither
            assert error_code(parse_resident_id, number, today=TODAY) == reason


# --- ID-13…ID-15: mobile numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["13800138000", "19212345678", "16612345678", "14912345678", "17012345678"]
)
def test_id13_domain_vectors_accepted_by_both_rules(number):
    assert normalize_mobile(number) == number
    assert normalize_mobile(number, strict=True) == number


@pytest.mark.parametrize("number", ["15412345678", "19412345678", "14612345678"])
def test_id13_strict_rule_rejects_non_sms_ranges(number):
    assert normalize_mobile(number) == number  # lenient input rule accepts 1[3-9]
    assert error_code(normalize_mobile, number, strict=True) == "phone_format"


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138 0013 8000",
        "+8613800138000",
        "8613800138000",
        "138-0013-8000",
        " 138 0013 8000 ",
        "(+86) 138-0013-8000",
        "１３８００１３８０００",
    ],
)
def test_id13_lenient_rule_strips_prefix_and_separators(raw):
    assert normalize_mobile(raw) == "13800138000"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1380013800",
        "138001380001",
        "12800138000",
        "23800138000",
        "0571-88888888",
        "+85213800138000",
        "138OO138OOO",
        "1440013800012",
    ],
)
def test_id13_rejects_non_mobile_numbers(raw):
    assert error_code(normalize_mobile, raw) == "phone_format"


# --- ID-8…ID-12: unified social credit codes -------------------------------------------------

DOMAIN_USCC = [
    "91110000600037341L",
    "91330106MA27WQ3L3N",
    "92330110MA27WQ3L3C",
    "52330102MA27WQ3L3X",
    "12330100MA27WQ3L35",
    "91330106322023387N",
]


@pytest.mark.parametrize("code", DOMAIN_USCC)
def test_id9_domain_uscc_vectors_are_valid_and_agree_with_stdnum(code):
    assert validate_uscc(code) == code
    assert uscc.is_valid(code)


def test_id9_weights_are_powers_of_three():
    from onetrip.common.identifiers import USCC_WEIGHTS

    assert pow(3, 0, 31) == 1
    assert tuple(pow(3, i, 31) for i in range(17)) == USCC_WEIGHTS


def test_id9_check_character_rejects_typo():
    assert error_code(validate_uscc, "91110000600037341K") == "uscc_check"
    assert error_code(validate_uscc, "91330106MA27WQ3L4N") == "uscc_check"


def test_id9_normalises_case_spaces_and_dashes():
    assert validate_uscc(" 9133 0106-ma27wq3l3n ") == "91330106MA27WQ3L3N"


def test_id11_departments_a_n_y_are_valid_although_stdnum_rejects_them():
    # DOMAIN's A1110000600037341L has the check character of the 91… code, so it is invalid;
    # with its own check character the A1 (军队事业单位) code is valid for us.
    assert error_code(validate_uscc, "A1110000600037341L") == "uscc_check"
    for prefix in ("A1", "N2", "Y1"):
        body = prefix + "330106MA27WQ3L3"
        code = body + uscc_check_char(body)
        assert validate_uscc(code) == code
        assert not uscc.is_valid(code)


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z"])
def test_id8_letters_outside_the_31_character_set_are_rejected(bad):
    body = "91330106MA27WQ3L" + bad
    assert error_code(validate_uscc, body + "0") == "uscc_format"


def test_id8_positions_3_to_8_must_be_digits():
    body = "9133A106MA27WQ3L3"
    assert error_code(validate_uscc, body + uscc_check_char(body)) == "uscc_format"


def test_id8_length():
    assert error_code(validate_uscc, "91330106MA27WQ3L3") == "uscc_length"
    assert error_code(validate_uscc, "") == "uscc_length"


@pytest.mark.parametrize("prefix", ["94", "B1", "Y2", "14", "0A"])
def test_id10_unknown_department_or_category_is_rejected(prefix):
    body = prefix + "330106MA27WQ3L3"
    code = body + uscc_check_char(body)
    assert error_code(validate_uscc, code) == "uscc_category"
    assert validate_uscc(code, categories=None) == code  # the table is configurable


def test_id9_randomized_agreement_with_stdnum_on_digit_first_codes():
    rng = random.Random(32100)
    valid = 0
    for _ in range(3000):
        body = "".join(rng.choice("0123456789") for _ in range(8))
        body += "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        check = uscc_check_char(body)
        if rng.random() < 0.5:
            check = rng.choice([c for c in USCC_ALPHABET if c != check])
        code = body + check
        assert uscc.calc_check_digit(code) == uscc_check_char(body)
        try:
            validate_uscc(code, categories=None)
            ours = True
        except IdentifierError:
            ours = False
        assert ours == uscc.is_valid(code), code
        valid += ours
    assert 1200 < valid < 1800


def test_id12_embedded_organisation_code_check_is_a_warning_helper():
    assert uscc_org_code_consistent("91110000600037341L")
    body = "91110000600037342"
    assert not uscc_org_code_consistent(body + uscc_check_char(body))
