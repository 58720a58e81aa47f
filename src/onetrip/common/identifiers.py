"""Validation of Chinese identifiers (DOMAIN §5): resident ID numbers, mobile numbers, USCCs and
the references the portal issues.

No Django models or settings. Every failure is an :class:`IdentifierError`, the application's
:class:`~onetrip.common.errors.ApplicationError` with a stable ``code`` and a message in
Simplified Chinese and in English, so a form, an API and a bulk import report the same thing.

One normalisation at the boundary
---------------------------------
Every validator first passes its input through :func:`normalize_identifier` and returns a pure
ASCII value; callers store, hash, send and compare only that value, never their raw input. The
rule, decided deliberately:

1. Anything longer than :data:`MAX_INPUT_LENGTH` (64) characters is refused with the
   validator's own length/format code before any other work, so a megabyte of input costs
   nothing. So is anything that is not a ``str``.
2. Full-width forms U+FF01–U+FF5E (``０``–``９``, ``Ａ``–``Ｚ``, ``ｘ``, ``（``, ``－``…)
   become their ASCII characters. They are what a Chinese input method types in full-width (全角)
   mode, and they stand for exactly those ASCII characters.
3. Whitespace — the ASCII whitespace characters and the Unicode space separators (category Zs:
   U+3000 ideographic space, no-break space, thin spaces…) — is removed wherever it occurs,
   because people group digits with spaces (``138 0013 8000``). Each validator may also drop
   a few ASCII separators of its own (dashes and parentheses in phone numbers).
4. Everything else that is not printable ASCII is refused, never silently kept or mapped:

   - ``non_ascii_digit``: a character Unicode calls numeric but that is not ``0``–``9``:
     Arabic-Indic ``٣``, Devanagari ``३``, superscript ``²``, circled ``①``, mathematical
     ``𝟏``, Roman numeral ``Ⅻ``, Chinese numerals ``三``…;
   - ``non_ascii_character``: any other non-ASCII character (letters of other scripts that look
     like ``X`` or ``O``, zero-width and direction marks, em dashes, lone surrogates…);
   - ``control_character``: an ASCII control character other than whitespace (NUL, ESC, DEL…).

Why not NFKC, and why refuse rather than convert other digits: NFKC maps full-width forms as
wanted, but it also maps ``²``, ``①``, ``𝟏`` and ``Ⅻ`` to ASCII (``Ⅻ`` even to ``XII``), while it
leaves ``٣`` and ``३`` alone, which Python's ``\\d``, ``str.isdigit()`` and ``int()`` then accept.
Converting every decimal digit (``unicodedata.decimal``) would be consistent, but nobody in
mainland China types an ID number or a phone number in Arabic-Indic or Devanagari digits: such
input is a mistake or probing, and accepting it invites one person with two spellings (two
accounts, two throttles) and non-ASCII numbers at the SMS gateway and the police zone. Refusing
with a specific code tells an honest user exactly what to fix. Only the full-width forms, which a
Chinese keyboard really produces, are converted. Every pattern below is ASCII-only (``[0-9]``,
``re.ASCII``); nothing here relies on ``str.isdigit()`` or ``int()`` accepting only ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from onetrip.common import divisions
from onetrip.common.errors import ApplicationError

Sex = Literal["M", "F"]


class IdentifierError(ApplicationError):
    """An identifier failed validation. ``code`` is stable and safe to log; the messages are for
    people and never contain the identifier itself. The only exception the validators raise, for
    any input, so a caller needs exactly one ``except``. It is no longer a ``ValueError``: an
    ``except ValueError`` around a validator catches nothing from here."""

    def __init__(self, code: str, message_zh: str, message_en: str, *, field: str = "") -> None:
        super().__init__(code, message_zh, message_en, field=field)


# --- The one normalisation -------------------------------------------------------------------

#: Longest raw input any validator looks at (an 18-character number with spaces, a ``+86``
#: prefix and dashes stays far below it).
MAX_INPUT_LENGTH: Final = 64

#: ASCII whitespace plus every Unicode space separator (category Zs).
WHITESPACE: Final = frozenset(
    " \t\n\r\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000"
)
_FULL_WIDTH_FIRST: Final = 0xFF01  # ！
_FULL_WIDTH_LAST: Final = 0xFF5E  # ～
_FULL_WIDTH_OFFSET: Final = 0xFEE0


def normalize_identifier(
    value: str,
    *,
    label_zh: str,
    label_en: str,
    invalid: Callable[[], IdentifierError],
    separators: str = "",
) -> str:
    """``value`` as pure printable ASCII without whitespace (or ``separators``), following the
    module's rule; the one normalisation every validator uses.

    ``label_zh``/``label_en`` name the identifier in the messages (身份证号码, ID number).
    ``invalid`` builds the validator's own length/format error, raised for input that is not a
    string or is longer than :data:`MAX_INPUT_LENGTH`. ``separators`` are ASCII characters
    dropped after full-width conversion. Letters keep their case; callers upper-case the
    (ASCII) result where case does not matter.

    When several problems occur, a non-ASCII digit is reported first: it is the likeliest cause
    and the most precise message.
    """
    if not isinstance(value, str) or len(value) > MAX_INPUT_LENGTH:
        raise invalid()
    if value.isascii() and value.isalnum() and not any(ch in separators for ch in value):
        return value  # the common case (a bulk import checks millions): nothing to fold or drop
    out: list[str] = []
    non_digit = non_char = control = False
    for ch in value:
        point = ord(ch)
        if _FULL_WIDTH_FIRST <= point <= _FULL_WIDTH_LAST:
            ch = chr(point - _FULL_WIDTH_OFFSET)
            point = ord(ch)
        if ch in WHITESPACE or ch in separators:
            continue
        if point > 0x7E:
            if point == 0x7F:
                control = True
            elif ch.isnumeric():
                non_digit = True
            else:
                non_char = True
        elif point < 0x20:
            control = True
        else:
            out.append(ch)
    if non_digit:
        raise IdentifierError(
            "non_ascii_digit",
            f"{label_zh}只能使用数字0-9，"
            "请勿使用阿拉伯-印度数字、天城文数字、上标、圆圈数字或中文数字等",
            f"The {label_en} must be written with the digits 0-9; digits of other scripts "
            "(Arabic-Indic, Devanagari, superscript, circled, Chinese…) are not accepted",
        )
    if non_char:
        raise IdentifierError(
            "non_ascii_character",
            f"{label_zh}含有不允许的字符，请只填写数字0-9和英文字母",
            f"The {label_en} contains characters that are not allowed; "
            "use only the digits 0-9 and Latin letters",
        )
    if control:
        raise IdentifierError(
            "control_character",
            f"{label_zh}含有不可见的控制字符，请重新输入",
            f"The {label_en} contains invisible control characters; please type it again",
        )
    return "".join(out)


# --- 居民身份证号码 (GB 11643-1999), DOMAIN ID-1…ID-7 -----------------------------------------

ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS: Final = "10X98765432"
MIN_BIRTH_YEAR: Final = 1900
_ID_BODY: Final = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_ID_BODY17: Final = re.compile(r"[0-9]{17}", re.ASCII)
_ID_FIRST_GENERATION: Final = re.compile(r"[0-9]{15}", re.ASCII)
_REGION_CODE: Final = re.compile(r"[0-9]{6}", re.ASCII)


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


def _id_length_error() -> IdentifierError:
    return IdentifierError("id_length", "身份证号码应为18位", "An ID number has 18 characters")


def _id_format_error() -> IdentifierError:
    return IdentifierError(
        "id_format",
        "身份证号码前17位应为数字，最后一位为数字或X",
        "The first 17 characters must be digits and the last a digit or X",
    )


def id_check_char(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits (ID-3).

    Only ASCII digits count (``int()`` would also take ``٣``); anything else is ``id_format``."""
    if not isinstance(body17, str) or not _ID_BODY17.fullmatch(body17):
        raise _id_format_error()
    total = sum((ord(c) - 48) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def region_code_ever_existed(code: str) -> bool:
    """Whether ``code`` is a GB/T 2260 code at province, prefecture or county level that existed
    at *any* time (ID-6).

    Two sources, either suffices: python-stdnum's historical table (``stdnum/cn/loc.dat``, built
    from Wikipedia's code lists since 1980) and the deployment city's own divisions, current and
    retired (:mod:`onetrip.common.divisions`). The second covers codes the table lacks, e.g.
    临平区 330113 and 钱塘区 330114 (2021) are missing from python-stdnum 2.2. Six ASCII digits
    only: ``str.isdigit()`` would let ``３３０１１３`` or ``٣٣٠١١٣`` through to the look-ups.
    """
    if not isinstance(code, str) or not _REGION_CODE.fullmatch(code):
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

    1. normalise (:func:`normalize_identifier`): full-width to ASCII, whitespace removed,
       ``non_ascii_digit``/``non_ascii_character``/``control_character`` for anything else,
       ``id_length`` for input over :data:`MAX_INPUT_LENGTH`; then upper-case ``x`` (ID-4);
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
    number = normalize_identifier(
        value, label_zh="身份证号码", label_en="ID number", invalid=_id_length_error
    ).upper()
    if _ID_FIRST_GENERATION.fullmatch(number):
        raise IdentifierError(
            "id_first_generation",
            "15位一代身份证号码已停止使用，请输入18位身份证号码",
            "15-digit first-generation ID numbers are no longer accepted; "
            "enter the 18-digit number",
        )
    if len(number) != 18:
        raise _id_length_error()
    if not _ID_BODY.fullmatch(number):
        raise _id_format_error()
    # Safe: positions 1-17 are ASCII digits now.
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
    declared = {"男": "M", "女": "F"}.get(sex, sex.upper()) if isinstance(sex, str) else ""
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

MOBILE_LENIENT: Final = re.compile(r"^(?:\+?86)?(1[3-9][0-9]{9})$", re.ASCII)
MOBILE_STRICT: Final = re.compile(
    r"^(?:\+?86)?(1(?:3[0-9]{3}|4[57][0-9]{2}|5[0-35-9][0-9]{2}|8[0-9]{3}"
    r"|7(?:[0-35-9][0-9]{2}|4(?:0[0-9]|1[0-2]|9[0-9]))"
    r"|9[0-35-9][0-9]{2}|6[2567][0-9]{2}|4[579][0-9]{2})[0-9]{6})$",
    re.ASCII,
)
#: Dropped from phone input after full-width conversion (so ``（）`` and ``－`` count too).
PHONE_SEPARATORS: Final = "-()"


def _phone_format_error() -> IdentifierError:
    return IdentifierError(
        "phone_format",
        "请输入11位中国大陆手机号码",
        "Enter an 11-digit mainland China mobile number",
    )


def normalize_mobile(value: str, *, strict: bool = False) -> str:
    """The 11-digit mainland mobile number in ``value``, in ASCII digits, or an
    :class:`IdentifierError` (ID-13): ``phone_format``, or a normalisation code
    (``non_ascii_digit`` for ``١٣٨٠٠١٣٨٠٠٠``).

    Accepts full-width digits, spaces, dashes and parentheses, and a ``+86``/``86`` prefix. The
    default is the lenient rule ``1[3-9]`` + 9 digits, for input; ``strict=True`` applies the
    rule for numbers that can receive SMS (no 154, 194, 13-digit IoT…). The carrier is never
    derived from the prefix (ID-15, number portability). Callers must store, hash and send the
    returned value, never their raw input: that is what makes one phone one account and one
    throttle.
    """
    text = normalize_identifier(
        value,
        label_zh="手机号码",
        label_en="mobile number",
        invalid=_phone_format_error,
        separators=PHONE_SEPARATORS,
    )
    match = (MOBILE_STRICT if strict else MOBILE_LENIENT).fullmatch(text)
    if not match:
        raise _phone_format_error()
    return match.group(1)


# --- 统一社会信用代码 (GB 32100-2015), DOMAIN ID-8…ID-12 --------------------------------------

USCC_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_FORMAT: Final = re.compile(
    r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$", re.ASCII
)
_USCC_BODY17: Final = re.compile(r"[0-9A-HJ-NPQRTUWXY]{17}", re.ASCII)

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


def _uscc_length_error() -> IdentifierError:
    return IdentifierError(
        "uscc_length",
        "统一社会信用代码应为18位",
        "A unified social credit code has 18 characters",
    )


def _uscc_format_error() -> IdentifierError:
    return IdentifierError(
        "uscc_format",
        "统一社会信用代码含有无效字符（不使用I、O、S、V、Z）",
        "The unified social credit code contains invalid characters (I, O, S, V, Z are never used)",
    )


def uscc_check_char(body17: str) -> str:
    """The ISO 7064 MOD 31-3 check character of the first 17 characters (ID-9); ``uscc_format``
    for characters outside the 31-character set."""
    if not isinstance(body17, str) or not _USCC_BODY17.fullmatch(body17):
        raise _uscc_format_error()
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(
    value: str,
    *,
    categories: Mapping[str, frozenset[str]] | None = USCC_CATEGORIES,
) -> str:
    """The normalised USCC (ID-8…ID-11), in ASCII, or an :class:`IdentifierError`:

    - a normalisation code (``non_ascii_digit``, ``non_ascii_character``,
      ``control_character``), see :func:`normalize_identifier`;
    - ``uscc_length``: not 18 characters after removing whitespace and dashes;
    - ``uscc_format``: characters outside the 31-character set (I, O, S, V, Z never occur) or
      positions 3–8 not digits;
    - ``uscc_category``: positions 1–2 not a known department/category pair (skipped when
      ``categories`` is None);
    - ``uscc_check``: wrong MOD 31-3 check character.

    Own implementation, because python-stdnum requires positions 1–8 to be digits and so rejects
    valid codes of departments A, N and Y (ID-11).
    """
    code = normalize_identifier(
        value,
        label_zh="统一社会信用代码",
        label_en="unified social credit code",
        invalid=_uscc_length_error,
        separators="-",
    ).upper()
    if len(code) != 18:
        raise _uscc_length_error()
    if not USCC_FORMAT.fullmatch(code):
        raise _uscc_format_error()
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
    if not isinstance(code, str):
        return False
    org = code[8:17]
    if len(org) != 9 or any(c not in _BASE36 for c in org[:8]):
        return False
    total = sum(_BASE36.index(c) * w for c, w in zip(org[:8], _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    expected = {10: "X", 11: "0"}.get(check, str(check))
    return org[8] == expected


# --- References the portal issues (申报编号) -------------------------------------------------

#: Two capital letters naming the document type, the six-digit local date (``yymmdd``) and eight
#: random digits: ``JZ25060112345678`` for a residence declaration (居住登记申报), see
#: ``onetrip.portal.declarations.services``. Another document type (a permit application) keeps
#: the shape with its own prefix, so the pattern does not list prefixes.
REFERENCE_FORMAT: Final = re.compile(r"[A-Z]{2}[0-9]{14}", re.ASCII)


def _reference_format_error() -> IdentifierError:
    return IdentifierError(
        "reference_format",
        "申报编号格式不正确，应为2个字母加14位数字，例如 JZ25060112345678",
        "A reference is two letters and 14 digits, such as JZ25060112345678",
    )


def normalize_reference(value: str) -> str:
    """A declaration or application reference as the portal issued it (upper-case ASCII), for
    look-ups: residents copy references from SMS into full-width input methods, type them in
    lower case or group them with spaces and dashes. ``reference_format`` or a normalisation code
    otherwise, so an ``٢`` never reaches the database query."""
    reference = normalize_identifier(
        value,
        label_zh="申报编号",
        label_en="reference",
        invalid=_reference_format_error,
        separators="-",
    ).upper()
    if not REFERENCE_FORMAT.fullmatch(reference):
        raise _reference_format_error()
    return reference
