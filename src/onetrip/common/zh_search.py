"""Chinese full-text search helpers both zones use: the words of a text (jieba's segmentation,
fine-grained for search), the words a query stands for (synonyms: 暂住证 → 居住证, 社保 → 社会
保险, 小孩 → 未成年 …), and highlighting. The zones keep their own index of these words in a
table and rank in Python, so search behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Iterable

import jieba

logger = logging.getLogger(__name__)

# Terms of this field that the general dictionary splits or does not know.
DOMAIN_WORDS = (
    "居住证", "暂住证", "临时居住证", "居住登记", "自主申报", "签注", "补领", "换领", "补办",
    "社会保险", "社保", "断缴", "补缴", "未成年", "未成年人", "子女", "监护人", "出生医学证明",
    "户口簿", "身份证", "居民身份证", "租赁合同", "租房合同", "不动产权证", "房产证",
    "一次性告知", "网上申领", "预约", "派出所", "劳动合同", "营业执照", "就读证明", "学生证",
    "工本费", "积分", "代办", "过期", "逾期", "流动人口", "受理", "回执", "快递", "邮寄",
    "宿舍", "备案证明", "安全排查表", "满半年", "六个月", "外地人", "新居民",
)  # fmt: skip

# What a resident types → the words the content uses. A query word matches its own entries and,
# with a lower weight, those of its synonyms.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "暂住证": ("居住证", "临时居住证"),
    "临时居住证": ("居住证", "暂住证"),
    "社保": ("社会保险",),
    "社会保险": ("社保",),
    "小孩": ("孩子", "未成年", "未成年人", "子女", "儿童"),
    "孩子": ("小孩", "未成年", "未成年人", "子女", "儿童"),
    "儿童": ("未成年", "未成年人", "子女"),
    "小朋友": ("未成年", "子女", "儿童"),
    "断": ("中断", "断缴"),
    "断了": ("中断", "断缴"),
    "断缴": ("中断",),
    "停缴": ("中断", "断缴"),
    "过期": ("逾期", "到期", "中止"),
    "逾期": ("过期", "中止"),
    "怎么办": ("办理", "申领", "指南"),
    "怎么": ("办理", "如何"),
    "办": ("办理", "申领"),
    "办理": ("申领",),
    "补办": ("补领", "换领"),
    "丢": ("丢失", "补领"),
    "丢了": ("丢失", "补领"),
    "丢失": ("补领",),
    "坏了": ("损坏", "换领"),
    "房产证": ("不动产权证", "房屋所有权证"),
    "租房": ("租赁", "出租"),
    "租房合同": ("租赁合同",),
    "外地人": ("流动人口",),
    "新居民": ("流动人口",),
    "照片": ("相片",),
    "相片": ("照片",),
    "钱": ("费用", "工本费"),
    "收费": ("费用", "工本费"),
    "多久": ("时限", "日内"),
    "登记": ("居住登记",),
    "申报": ("居住登记", "自主申报"),
    "上学": ("就读", "入学"),
    "读书": ("就读",),
    "工作": ("就业",),
    "上班": ("就业",),
}

SYNONYM_WEIGHT = 0.6
_READY = False
_LOCK = threading.Lock()
# Words too common to tell entries apart; a query made only of them still searches them.
_STOP_TEXT = (
    "的 了 吗 呢 啊 吧 是 在 和 与 及 或 我 你 他 她 它 我们 要 会 能 可以 有 没有 还 也 就 都 "
    "什么 请问 一下 这 那 个 把 被 给 对 从 到 以 之 其 该 如果 是否"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[\w\u3400-\u9fff]+")


def _ensure_ready() -> None:
    global _READY
    if _READY:
        return
    with _LOCK:
        if _READY:
            return
        jieba.setLogLevel(logging.WARNING)
        for word in DOMAIN_WORDS:
            jieba.add_word(word, freq=200000)
        for word in SYNONYMS:
            jieba.add_word(word, freq=50000)
        _READY = True


def words(text: str) -> list[str]:
    """The search words of `text` in order, lower-cased, punctuation and stop words left out;
    long words also give their parts (jieba's search mode: 居住证 → 居住, 居住证)."""
    _ensure_ready()
    out: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        for word in jieba.cut_for_search(chunk):
            word = word.strip()
            if word and word not in STOP_WORDS:
                out.append(word)
    return out


def query_groups(query: str) -> list[dict[str, float]]:
    """One group per word typed: the word (weight 1) and what it stands for (its synonyms,
    `SYNONYM_WEIGHT`). A query of stop words only is searched as it is."""
    typed = words(query)
    if not typed:
        _ensure_ready()
        typed = [w for w in jieba.cut_for_search(query.lower().strip()) if w.strip()]
    groups: list[dict[str, float]] = []
    for word in dict.fromkeys(typed):
        group = {word: 1.0}
        for synonym in SYNONYMS.get(word, ()):
            # The whole synonym only: the index holds whole words too, and its parts would
            # count one meaning several times (未成年人 → 未成, 成年, 成年人 …).
            group.setdefault(synonym, SYNONYM_WEIGHT)
        groups.append(group)
    return groups


def query_terms(query: str) -> dict[str, float]:
    """Each word of `query` and of its synonyms with its weight (the groups merged)."""
    terms: dict[str, float] = {}
    for group in query_groups(query):
        for word, weight in group.items():
            terms[word] = max(weight, terms.get(word, 0.0))
    return terms


def highlight(text: str, terms: Iterable[str], *, limit: int | None = None) -> str:
    """`text` as safe HTML with each term in `<mark>`; with `limit`, a snippet of about that
    many characters around the first match."""
    needles = sorted({t for t in terms if t}, key=len, reverse=True)
    if limit is not None and len(text) > limit:
        first = min((i for i in (text.find(n) for n in needles) if i >= 0), default=0)
        start = max(0, first - limit // 4)
        snippet = text[start : start + limit]
        text = ("…" if start else "") + snippet + ("…" if start + limit < len(text) else "")
    if not needles:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


# Title words count most: a question that is the query is the answer to it.
FIELD_WEIGHTS = {"title": 4.0, "summary": 2.0, "tags": 2.0, "body": 1.0}


def document_weights(fields: dict[str, str]) -> dict[str, float]:
    """Each word of a document with its weight: per field, the field's weight times the word's
    count there (counts above 3 add nothing, so repeating a word does not buy rank)."""
    out: dict[str, float] = {}
    for field, text in fields.items():
        weight = FIELD_WEIGHTS.get(field, 1.0)
        counts: dict[str, int] = {}
        for word in words(text):
            counts[word] = counts.get(word, 0) + 1
        for word, count in counts.items():
            out[word] = out.get(word, 0.0) + weight * min(count, 3)
    return out


def score(
    postings: dict[str, dict[str, float]], groups: list[dict[str, float]], total: int
) -> dict[str, float]:
    """Rank: for each document (its key → {word: weight}) matching any term, the sum over
    the terms it holds of query weight × document weight × rarity (idf), times the share of
    the typed words it answers (a word is answered by itself or by one of its synonyms),
    squared, so an entry that answers the whole question beats one that repeats half of it."""
    import math

    terms: dict[str, float] = {}
    for group in groups:
        for word, weight in group.items():
            terms[word] = max(weight, terms.get(word, 0.0))
    frequency: dict[str, int] = {}
    for weights in postings.values():
        for term in terms:
            if term in weights:
                frequency[term] = frequency.get(term, 0) + 1
    scores: dict[str, float] = {}
    for key, weights in postings.items():
        total_score = 0.0
        for term, query_weight in terms.items():
            if term in weights:
                idf = math.log(1 + (total + 1) / (frequency[term] + 0.5))
                total_score += query_weight * weights[term] * idf * (1 + len(term) / 4)
        if total_score > 0:
            answered = sum(1 for group in groups if any(t in weights for t in group))
            coverage = answered / len(groups) if groups else 1.0
            scores[key] = total_score * coverage * coverage
    return scores
