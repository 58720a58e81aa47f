"""Validation of Chinese identifiers (DOMAIN §5): resident ID numbers, mobile numbers, USCCs.

Pure Python, no Django. Every failure is an :class:`IdentifierError` with a stable ``code`` and a
message in Simplified Chinese and in English, so a form, an API and a bulk import report the same
thing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from onetrip.common import divisions

Sex = Literal["M", "F"]


class IdentifierError(ValueError):
    """An identifier failed validation. ``code`` is stable and safe to log; the messages are for
    people and never contain the identifier itself."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


# --- 居民身份证号码 (GB 11643-1999), DOMAIN ID-1…ID-7 -----------------------------------------

ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS: Final = "10X98765432"
MIN_BIRTH_YEAR: Final = 1900
_ID_BODY = re.compile(r"^\d{17}[0-9X]$")


@dataclass(frozen=True)
class ResidentId:
    """A parsed, valid resident ID number."""

    number: str
    region_code: str
    birth_date: date
    sex: Sex

    @property
    def sequence(self) -> str:
        return self.number[14:17]

    def age_on(self, on: date) -> int:
        """Completed years on ``on`` (a person born on 29 February turns a year older on 1 March
        in common years)."""
        years = on.year - self.birth_date.year
        if (on.month, on.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def id_check_char(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits (ID-3)."""
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def _normalize(value: str) -> str:
    """NFKC (full-width digits and letters from Chinese input methods), no whitespace, upper."""
    text = unicodedata.normalize("NFKC", value)
    return "".join(text.split()).upper()


def region_code_ever_existed(code: str) -> bool:
    """Whether ``code`` is a GB/T 2260 code at province, prefecture or county level that existed
    at *any* time (ID-6).

    Two sources, either suffices: python-stdnum's historical table (``stdnum/cn/loc.dat``, built
    from Wikipedia's code lists since 1980) and the deployment city's own divisions, current and
    retired (:mod:`onetrip.common.divisions`). The second covers codes the table lacks, e.g.
    临平区 330113 and 钱塘区 330114 (2021) are missing from python-stdnum 2.2.
    """
    if len(code) != 6 or not code.isdigit():
        return False
    if code in divisions.district_codes_ever():
        return True
    return bool(_stdnum_county_names(code))


def _stdnum_county_names(code: str) -> list[str]:
    from stdnum import numdb

    names: list[str] = []
    for _part, props in numdb.get("cn/loc").info(code):
        county = props.get("county")
        if county:
            names.extend(county.split(","))
    return names


def parse_resident_id(
    value: str,
    *,
    today: date | None = None,
    min_birth_year: int = MIN_BIRTH_YEAR,
    check_region: bool = True,
) -> ResidentId:
    """Parse and validate an 18-character resident ID number (ID-1…ID-7).

    The checks run in this order, and the first failure is raised:

    1. normalise: NFKC (full-width input), strip all whitespace, upper-case ``x`` (ID-4);
    2. ``id_length``: not 18 characters; a 15-digit number gets its own code,
       ``id_first_generation``, because those numbers are obsolete (ID-7);
    3. ``id_format``: positions 1–17 digits, position 18 a digit or ``X`` (ID-4);
    4. ``id_birth_date_invalid``, ``id_birth_date_future``, ``id_birth_date_implausible``
       (year < ``min_birth_year``, default 1900) (ID-5). The date is checked before the check
       character because a mistyped date is the more helpful message: a typo in the date almost
       always breaks the check character too;
    5. ``id_check_digit``: ISO 7064 MOD 11-2 (ID-3);
    6. ``id_region_unknown``: the address code never existed (ID-6), see
       :func:`region_code_ever_existed`.

    Deliberate choice on the address code: a code that existed at *some* time but not on the
    birth date (an "anachronistic" code) is **accepted**. A number keeps the code under which it
    was first assigned, registration can be recorded long after birth, and the historical table's
    dates are approximate; python-stdnum rejects these (``330112197006150018``: 临安区 330112
    dates from 2017). A code that never existed is an error. The region code is never used for
    jurisdiction routing; pass ``check_region=False`` for imports of historical data.

    ``today`` defaults to :meth:`date.today`; Django callers pass ``timezone.localdate()``.
    """
    number = _normalize(value)
    if len(number) == 15 and number.isdigit():
        raise IdentifierError(
            "id_first_generation",
            "15位一代身份证号码已停止使用，请输入18位身份证号码",
            "15-digit first-generation ID numbers are no longer accepted; "
            "enter the 18-digit number",
        )
    if len(number) != 18:
        raise IdentifierError(
            "id_length",
            "身份证号码应为18位",
            "An ID number has 18 characters",
        )
    if not _ID_BODY.match(number):
        raise IdentifierError(
            "id_format",
            "身份证号码前17位应为数字，最后一位为数字或X",
            "The first 17 characters must be digits and the last a digit or X",
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(
            "id_birth_date_invalid",
            "身份证号码中的出生日期不存在",
            "The birth date in the ID number is not a real date",
        ) from None
    if birth > (today or date.today()):
        raise IdentifierError(
            "id_birth_date_future",
            "身份证号码中的出生日期晚于今天",
            "The birth date in the ID number is in the future",
        )
    if birth.year < min_birth_year:
        raise IdentifierError(
            "id_birth_date_implausible",
            f"身份证号码中的出生年份早于{min_birth_year}年，请核对",
            f"The birth year in the ID number is before {min_birth_year}; please check it",
        )
    if number[17] != id_check_char(number[:17]):
        raise IdentifierError(
            "id_check_digit",
            "身份证号码校验位不正确，请核对是否输错",
            "The ID number's check character is wrong; please check for a typo",
        )
    region = number[:6]
    if check_region and not region_code_ever_existed(region):
        raise IdentifierError(
            "id_region_unknown",
            "身份证号码前6位不是有效的行政区划代码",
            "The first six digits of the ID number are not a known division code",
        )
    sex: Sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, region_code=region, birth_date=birth, sex=sex)


def is_valid_resident_id(value: str, *, today: date | None = None) -> bool:
    try:
        parse_resident_id(value, today=today)
    except IdentifierError:
        return False
    return True


def check_declared_sex(resident_id: ResidentId, sex: str) -> None:
    """Raise ``id_sex_mismatch`` unless ``sex`` ("M"/"F", or 男/女) matches the number (ID-2)."""
    declared = {"男": "M", "女": "F"}.get(sex, sex.upper())
    if declared != resident_id.sex:
        raise IdentifierError(
            "id_sex_mismatch",
            "所填性别与身份证号码不符",
            "The declared sex does not match the ID number",
        )


def check_declared_birth_date(resident_id: ResidentId, birth_date: date) -> None:
    """Raise ``id_birth_date_mismatch`` unless ``birth_date`` is the one in the number."""
    if birth_date != resident_id.birth_date:
        raise IdentifierError(
            "id_birth_date_mismatch",
            "所填出生日期与身份证号码不符",
            "The declared birth date does not match the ID number",
        )


# --- Mobile numbers, DOMAIN ID-13…ID-15 ------------------------------------------------------

MOBILE_LENIENT: Final = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
MOBILE_STRICT: Final = re.compile(
    r"^(?:\+?86)?(1(?:3\d{3}|4[57]\d{2}|5[^4\D]\d{2}|8\d{3}|7(?:[0-35-9]\d{2}|4(?:0\d|1[0-2]|9\d))"
    r"|9[0-35-9]\d{2}|6[2567]\d{2}|4[579]\d{2})\d{6})$"
)
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalize_mobile(value: str, *, strict: bool = False) -> str:
    """The 11-digit mainland mobile number in ``value``, or ``phone_format`` (ID-13).

    Accepts full-width digits, spaces, dashes and parentheses, and a ``+86``/``86`` prefix. The
    default is the lenient rule ``1[3-9]`` + 9 digits, for input; ``strict=True`` applies the
    rule for numbers that can receive SMS (no 154, 194, 13-digit IoT…). The carrier is never
    derived from the prefix (ID-15, number portability).
    """
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    match = (MOBILE_STRICT if strict else MOBILE_LENIENT).match(text)
    if not match:
        raise IdentifierError(
            "phone_format",
            "请输入11位中国大陆手机号码",
            "Enter an 11-digit mainland China mobile number",
        )
    return match.group(1)


# --- 统一社会信用代码 (GB 32100-2015), DOMAIN ID-8…ID-12 --------------------------------------

USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_FORMAT: Final = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

#: Registration department (position 1) → organisation categories (position 2), ID-10.
#: [UNCERTAIN] whether A and N come from amendments; pass your own table to validate_uscc.
USCC_CATEGORIES: Final[Mapping[str, frozenset[str]]] = {
    "1": frozenset("1239"),
    "2": frozenset("19"),
    "3": frozenset("123459"),
    "4": frozenset("19"),
    "5": frozenset("1239"),
    "6": frozenset("129"),
    "7": frozenset("129"),
    "8": frozenset("19"),
    "9": frozenset("123"),
    "A": frozenset("19"),
    "N": frozenset("1239"),
    "Y": frozenset("1"),
}


def uscc_check_char(body17: str) -> str:
    """The ISO 7064 MOD 31-3 check character of the first 17 characters (ID-9)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(
    value: str,
    *,
    categories: Mapping[str, frozenset[str]] | None = USCC_CATEGORIES,
) -> str:
    """The normalised USCC (ID-8…ID-11), or an :class:`IdentifierError`:

    - ``uscc_length``: not 18 characters after removing whitespace and dashes;
    - ``uscc_format``: characters outside the 31-character set (I, O, S, V, Z never occur) or
      positions 3–8 not digits;
    - ``uscc_category``: positions 1–2 not a known department/category pair (skipped when
      ``categories`` is None);
    - ``uscc_check``: wrong MOD 31-3 check character.

    Own implementation, because python-stdnum requires positions 1–8 to be digits and so rejects
    valid codes of departments A, N and Y (ID-11).
    """
    code = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value)).upper()
    if len(code) != 18:
        raise IdentifierError(
            "uscc_length",
            "统一社会信用代码应为18位",
            "A unified social credit code has 18 characters",
        )
    if not USCC_FORMAT.match(code):
        raise IdentifierError(
            "uscc_format",
            "统一社会信用代码含有无效字符（不使用I、O、S、V、Z）",
            "The unified social credit code contains invalid characters (I, O, S, V, Z are "
            "never used)",
        )
    if categories is not None and code[1] not in categories.get(code[0], frozenset()):
        raise IdentifierError(
            "uscc_category",
            "统一社会信用代码的登记管理部门或机构类别代码无效",
            "The registration department or organisation category of the code is unknown",
        )
    if code[17] != uscc_check_char(code[:17]):
        raise IdentifierError(
            "uscc_check",
            "统一社会信用代码校验位不正确，请核对是否输错",
            "The unified social credit code's check character is wrong; please check for a typo",
        )
    return code


_ORG_CODE_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_BASE36: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def uscc_org_code_consistent(code: str) -> bool:
    """Whether the embedded GB 11714 organisation code (positions 9–17) carries a correct check
    character (ID-12). [UNCERTAIN] that every issued code passes: use it as a warning for staff,
    never as a hard failure. ``code`` should already have passed :func:`validate_uscc`."""
    org = code[8:17]
    if len(org) != 9 or any(c not in _BASE36 for c in org[:8]):
        return False
    total = sum(_BASE36.index(c) * w for c, w in zip(org[:8], _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    expected = {10: "X", 11: "0"}.get(check, str(check))
    return org[8] == expected
