"""Free text and personal names as the register may hold them (issue-found: names like
"张建国😀", emoji and NUL characters in addresses were accepted).

Rules, one place for every form and API:
- **Names** (姓名) are either Chinese — Han characters, with the middle dot `·` between the parts
  of a transcribed ethnic-minority or foreign name (阿依古丽·买买提); the look-alikes `•`, `・`,
  `．` and `‧` are read as `·` — 2 to 30 characters; or Latin, for foreign nationals as written
  in their passport — letters (accents allowed), spaces, hyphens, apostrophes and dots, 2 to 50
  characters. Mixing the two is refused.
- **Free text** (addresses, employer names, reasons) may hold any letter, digit, punctuation
  mark or space of any script, but no control character (NUL included), no invisible format
  character, no emoji or other pictographic symbol, no private-use or unassigned character.
Every refusal is an `ApplicationError` with a specific code and the limit in its message.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import ApplicationError

MIDDLE_DOT = "·"
_DOT_LOOKALIKES = str.maketrans(
    {"•": MIDDLE_DOT, "・": MIDDLE_DOT, "．": MIDDLE_DOT, "‧": MIDDLE_DOT}
)
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
CHINESE_NAME = re.compile(rf"{_HAN}+(?:{MIDDLE_DOT}{_HAN}+)*")
LATIN_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|[ '\-.])*[^\W\d_.]?\.?")
# Categories refused in any text: controls, format (zero-width …), surrogates, private use,
# unassigned; "So" holds emoji and pictographs, "Sk" the emoji skin-tone modifiers.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "So"}
_SKIN_TONES = range(0x1F3FB, 0x1F400)


class TextError(ApplicationError):
    """A text field that the register cannot hold as typed."""


def _refused_character(value: str) -> str | None:
    for char in value:
        if char in "\t":
            continue
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES or ord(char) in _SKIN_TONES:
            return category
    return None


def _check_characters(value: str, *, field: str, label_zh: str, label_en: str) -> None:
    category = _refused_character(value)
    if category is None:
        return
    if category in ("Cc", "Cf"):
        raise TextError(
            "control_character",
            f"{label_zh}含有不可见的控制字符，请删除后重新填写",
            f"The {label_en} holds an invisible control character; remove it",
            field=field,
        )
    raise TextError(
        "unsupported_character",
        f"{label_zh}含有表情符号或无法识别的字符，请只填写文字、数字和标点",
        f"The {label_en} holds an emoji or a character that cannot be stored; "
        "use letters, digits and punctuation only",
        field=field,
    )


def clean_text(
    value: str | None,
    *,
    field: str,
    label_zh: str,
    label_en: str,
    max_length: int,
    required: bool = False,
) -> str:
    """`value` stripped, with runs of white space folded to one space; refused if it holds a
    character the rules above exclude, is longer than `max_length`, or is empty when required."""
    text = " ".join((value or "").split())
    if required and not text:
        raise TextError("required", f"请填写{label_zh}", f"The {label_en} is required", field=field)
    _check_characters(value or "", field=field, label_zh=label_zh, label_en=label_en)
    if len(text) > max_length:
        raise TextError(
            "too_long",
            f"{label_zh}最多{max_length}个字，现有{len(text)}个字",
            f"The {label_en} has at most {max_length} characters; this one has {len(text)}",
            field=field,
        )
    return text


def clean_person_name(
    value: str | None, *, field: str = "name", label_zh: str = "姓名", label_en: str = "name"
) -> str:
    """A person's name under the rule in the module docstring, in its stored spelling."""
    name = clean_text(
        value, field=field, label_zh=label_zh, label_en=label_en, max_length=50, required=True
    )
    name = name.translate(_DOT_LOOKALIKES)
    compact = name.replace(" ", "") if re.search(_HAN, name) else name
    if CHINESE_NAME.fullmatch(compact):
        if not 2 <= len(compact) <= 30:
            raise TextError(
                "name_length",
                f"{label_zh}应为2至30个汉字（少数民族姓名各部分之间用“·”隔开）",
                f"A Chinese {label_en} has 2 to 30 characters",
                field=field,
            )
        return compact
    if LATIN_NAME.fullmatch(name) and not re.search(_HAN, name):
        if len(name) < 2:
            raise TextError(
                "name_length",
                f"{label_zh}至少2个字母",
                f"The {label_en} has at least 2 letters",
                field=field,
            )
        return name
    raise TextError(
        "name_characters",
        f"{label_zh}请填写汉字（少数民族姓名用“·”隔开各部分），外国人请按护照填写英文字母",
        f"Write the {label_en} in Chinese characters (parts of a minority name separated by "
        "“·”), or in Latin letters as in the passport for a foreign national",
        field=field,
    )
