"""Parsers for the values officers type: dates, counts, yes/no, USCCs, names, terms.

Used by the sheet importer and the command line alike.  Every parser takes the
text as typed (full-width digits, surrounding blanks and the usual office
spellings are fine) and either returns the value or raises
`ValueProblem(zh, en)` — never any other exception.  Nothing is guessed: a
value that could mean two things is refused.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
import unicodedata

from .errors import ValueProblem
from .vocab import JOB_TYPE, Vocabulary, fold

__all__ = [
    "USCC_CHARSET",
    "USCC_SHAPE",
    "ZERO_WIDTH_CHARS",
    "check_name",
    "check_text",
    "clean_text",
    "make_uscc",
    "name_key",
    "normalize_uscc",
    "parse_bool",
    "parse_count",
    "parse_date",
    "parse_job",
    "parse_moment",
    "parse_term",
    "uscc_check_char",
    "uscc_check_ok",
    "uscc_checks_ok",
]

MIN_YEAR = 1900
MAX_YEAR = 2100
# Counts end up in INTEGER columns; anything above is a typo, not a head count.
MAX_COUNT = 2_147_483_647

_BLANKS = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters Excel leaves behind
ZERO_WIDTH_CHARS = _BLANKS
# a regex, not str.translate: translate with a table costs ~2 us a name, this ~0.2
_ZERO_WIDTH = re.compile(f"[{_BLANKS}]")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def clean_text(text: str) -> str:
    """The text without surrounding blanks (zero-width ones too), otherwise as typed."""
    s = text.strip()
    if s and (s[0] in _BLANKS or s[-1] in _BLANKS):
        s = s.strip(_BLANKS).strip()
    return s


def _prepared(text: str) -> str:
    return clean_text(_nfkc(text))


# --- dates -----------------------------------------------------------------------

# `re.ASCII`: after NFKC every digit worth reading is ASCII; other scripts' digits
# are not dates.  A midnight time part is what Excel and pandas append to a date.
_MIDNIGHT = r"(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?"
_DATE_FORMS = (
    re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})" + _MIDNIGHT, re.ASCII),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?", re.ASCII),
    re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII),
)


def parse_date(text: str) -> dt.date:
    """A calendar date: 2020-02-14, 2020/2/14, 2020.2.14, 2020年2月14日 or 20200214."""
    s = _prepared(text)
    if not s:
        raise ValueProblem("日期为空", "empty date")
    for form in _DATE_FORMS:
        m = form.fullmatch(s)
        if m:
            parts = [g for g in m.groups() if g and g.isdigit()]
            year, month, day = (int(p) for p in parts)
            break
    else:
        raise ValueProblem(
            "不是有效日期（应如 2020-02-14、2020/2/14、2020年2月14日、20200214）",
            "not a valid date (expected e.g. 2020-02-14, 2020/2/14, 20200214)",
        )
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueProblem(f"年份超出 {MIN_YEAR}–{MAX_YEAR}", f"year outside {MIN_YEAR}–{MAX_YEAR}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueProblem("日期不存在", "no such date") from None


def parse_moment(text: str) -> dt.datetime:
    """A moment for --known-at, as naive UTC (how the ledger stores moments).

    ISO 8601 date-time with or without offset (without = the office's time), a
    plain date (the end of that office day), or now / today / yesterday
    (今天 / 昨天: the end of that day).
    """
    from . import clock

    s = _prepared(text)
    if not s:
        raise ValueProblem("时刻为空", "empty moment")
    word = s.casefold()
    if word in clock.NOW_WORDS:
        return clock.now_utc()
    if word in clock.TODAY_WORDS:
        return clock.end_of(clock.today())
    if word in clock.YESTERDAY_WORDS:
        return clock.end_of(clock.today() - dt.timedelta(days=1))
    try:
        day = parse_date(s)
    except ValueProblem:
        pass
    else:
        return clock.end_of(day)
    try:
        moment = dt.datetime.fromisoformat(s)
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise ValueProblem(
                f"年份超出 {MIN_YEAR}–{MAX_YEAR}", f"year outside {MIN_YEAR}–{MAX_YEAR}"
            )
        return clock.to_utc(moment)
    except (ValueError, OverflowError, OSError):
        raise ValueProblem(
            "不是有效时刻（应如 2020-02-14T18:00+08:00、2020-02-14、now、yesterday）",
            "not a valid moment (e.g. 2020-02-14T18:00+08:00, 2020-02-14, now, yesterday)",
        ) from None


# --- counts ------------------------------------------------------------------------

_COUNT = re.compile(
    r"(?P<sign>[-−])?\s*"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)"
    r"(?P<frac>\.\d+)?"
    r"\s*(?P<unit>人|个|名|位)?",
    re.ASCII,
)


def parse_count(text: str) -> int:
    """A head count: 50, ５０, 1,200, 1，200, 50人, 12.0 — never negative or fractional."""
    s = _prepared(text)
    if not s:
        raise ValueProblem("数量为空", "empty count")
    m = _COUNT.fullmatch(s)
    if not m:
        raise ValueProblem("不是有效数字", "not a number")
    if m["frac"] and m["frac"].strip(".0"):
        raise ValueProblem("不是整数", "not a whole number")
    digits = m["int"].replace(",", "").lstrip("0") or "0"
    if len(digits) > len(str(MAX_COUNT)) or int(digits) > MAX_COUNT:
        raise ValueProblem("数值过大", "number too large")
    value = int(digits)
    if m["sign"] and value:
        raise ValueProblem("不能为负数", "must not be negative")
    return value


# --- yes / no ------------------------------------------------------------------------

_TRUE = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔"})
_FALSE = frozenset({"否", "n", "no", "false", "0", "×", "✗", "✘"})


def parse_bool(text: str) -> bool:
    """是/否, Y/N, yes/no, true/false, 1/0, √/× (any case, full-width fine)."""
    s = _prepared(text).casefold()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    if not s:
        raise ValueProblem("是/否值为空", "empty yes/no value")
    raise ValueProblem(
        "不是是/否值（可用 是/否、Y/N、1/0、√/×）",
        "not a yes/no value (use yes/no, Y/N, 1/0, true/false)",
    )


# --- unified social credit codes (GB 32100-2015) --------------------------------------

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_CHARS = frozenset(USCC_CHARSET)
# GB 32100 weighs the i-th character by 3**i mod 31, and 34 = 3 mod 31: read as a
# base-34 number with its first character last, the 17 values sum to the weighted
# total mod 31.  One int() in C instead of 17 look-ups and products in Python (the
# import's hot path).
_AS_BASE34 = str.maketrans(USCC_CHARSET, "0123456789ABCDEFGHIJKLMNOPQRSTU")
# What Excel makes of a long number: 9.15111E+17, 9.15111e17, 9,15111E+17.
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d*)?E[+-]?\d+", re.ASCII)


def _check_charset(code: str) -> None:
    if _USCC_CHARS.issuperset(code):
        return
    for ch in code:
        if ch not in _USCC_VALUE:
            raise ValueProblem(
                f"含有非法字符 '{ch}'（只可用数字和 I、O、S、V、Z 以外的大写字母）",
                f"contains invalid character '{ch}' (digits and capitals except I O S V Z)",
            )


# 18 characters of the USCC alphabet (GB 32100: digits, capitals but I O S V Z)
USCC_SHAPE = re.compile("[0-9A-HJ-NP-RTUW-Y]{18}")


def uscc_check_char(first17: str) -> str:
    """The check character (18th) of a USCC whose first 17 characters are given."""
    code = _prepared(first17).upper()
    if len(code) != 17:
        raise ValueProblem(
            f"应为 17 位，实为 {len(code)} 位", f"must be 17 characters, not {len(code)}"
        )
    _check_charset(code)
    return _check_char(code)


def _check_char(code: str) -> str:
    """The check character for the first 17 characters of `code` (valid charset)."""
    total = int(code[16::-1].translate(_AS_BASE34), 34)
    return USCC_CHARSET[-total % 31]


def uscc_check_ok(code: str) -> bool:
    """Whether the 18th character of a code of USCC_SHAPE is its check character."""
    return _check_char(code) == code[17]


def uscc_checks_ok(codes: list[str]) -> list[bool]:
    """uscc_check_ok of every code (each of USCC_SHAPE), a column at a time."""
    return list(map(str.__eq__, map(_check_char, codes), map(operator.itemgetter(17), codes)))


def make_uscc(first17: str) -> str:
    """A valid USCC: the 17 characters given plus their check character."""
    return _prepared(first17).upper() + uscc_check_char(first17)


def normalize_uscc(text: str) -> tuple[str, bool]:
    """The USCC as stored (NFKC, stripped, upper case) and whether its check char is right.

    A malformed code (length, characters) raises ValueProblem; a wrong check
    character does not, because a few codes in circulation fail it: the caller
    warns.
    """
    if USCC_SHAPE.fullmatch(text):  # the usual: a code as it should be typed
        return text, uscc_check_ok(text)
    code = _prepared(text).upper()
    if not code:
        raise ValueProblem("统一社会信用代码为空", "empty credit code")
    if _SCIENTIFIC.fullmatch(code):
        raise ValueProblem(
            "疑似被 Excel 转成科学计数法；请把该列设为文本后重新填写",
            "looks mangled by Excel into scientific notation; "
            "format the column as text and type it again",
        )
    if len(code) != 18:
        raise ValueProblem(
            f"应为 18 位，实为 {len(code)} 位", f"must be 18 characters, not {len(code)}"
        )
    _check_charset(code)
    return code, _check_char(code) == code[17]


# --- names and terms -----------------------------------------------------------------


# Bidirectional controls: they make a name read differently from what it is.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _invisible(ch: str, *, lines: bool) -> bool:
    if ch in _BIDI or ch in "\u2028\u2029":
        return True
    if unicodedata.category(ch) == "Cc":
        return not (lines and ch in "\r\n\t")
    return False


def check_name(text: str) -> str:
    """An enterprise name as stored: trimmed, visible text, not all digits.

    Control characters (escape sequences too), bidirectional overrides and
    line breaks are refused, as is a name of nothing but blanks and zero-width
    characters; a number always means an id, so a name is never all digits.
    """
    name = clean_text(text)
    bad = next((ch for ch in name if _invisible(ch, lines=False)), None)
    if bad is not None:
        raise ValueProblem(
            f"含有不可见的控制字符 U+{ord(bad):04X}",
            f"contains the control character U+{ord(bad):04X}",
        )
    key = name_key(name)
    if not key:
        raise ValueProblem("企业名称为空", "the enterprise name is empty")
    if key.isascii() and key.lstrip("#").isdigit():
        raise ValueProblem(
            "企业名称不能全是数字（数字表示编号）",
            "an enterprise name cannot be all digits (a number is an id)",
        )
    return name


def check_text(text: str, *, lines: bool = True) -> str:
    """A free text as stored: trimmed, visible (line breaks and tabs allowed where
    `lines`); control characters and bidirectional overrides refused."""
    value = clean_text(text)
    bad = next((ch for ch in value if _invisible(ch, lines=lines)), None)
    if bad is not None:
        raise ValueProblem(
            f"含有不可见的控制字符 U+{ord(bad):04X}",
            f"contains the control character U+{ord(bad):04X}",
        )
    return value


def name_key(name: str) -> str:
    """The matching key of an enterprise name: NFKC, no blanks at all, case-folded.

    `（集团）` and `(集团)` give the same key.  Never store it: store the name as typed.
    """
    folded = "".join(_nfkc(name).casefold().split())
    return _ZERO_WIDTH.sub("", folded) if _ZERO_WIDTH.search(folded) else folded


_TERM_INDEXES: dict[int, tuple[Vocabulary, dict[str, str]]] = {}


def _term_index(vocab: Vocabulary) -> dict[str, str]:
    """folded word -> key, the same answers as `vocab.lookup`, without re-folding each time."""
    entry = _TERM_INDEXES.get(id(vocab))
    if entry is None or entry[0] is not vocab:
        index: dict[str, str] = {}
        for key, (zh, en, extra) in vocab.terms.items():
            for word in (key, zh, en, *extra):
                index.setdefault(fold(word), key)
        entry = _TERM_INDEXES[id(vocab)] = (vocab, index)
    return entry[1]


def parse_term(vocab: Vocabulary, text: str) -> str:
    """The canonical key of a vocabulary word typed in Chinese or English."""
    s = clean_text(text)
    if not s:
        raise ValueProblem(f"{vocab.name_zh}为空", f"empty {vocab.name_en}")
    key = _term_index(vocab).get(fold(s))
    if key is None:
        raise ValueProblem(
            f"不是可用的{vocab.name_zh}；可选: {vocab.choices('zh')}",
            f"not a known {vocab.name_en}; choices: {vocab.choices('en')}",
        )
    return key


def parse_job(text: str) -> str:
    """A job type: the JOB_TYPE key when the word is known, else the free text as typed."""
    s = check_text(text, lines=False)
    if not s:
        raise ValueProblem("工种为空", "empty job type")
    return _term_index(JOB_TYPE).get(fold(s)) or s


_ID = re.compile(r"#?([0-9]{1,18})", re.ASCII)


def parse_record_id(text: str) -> int:
    """An id as shown by the lists and the log: ASCII digits, optionally after '#'."""
    found = _ID.fullmatch(text.strip())
    if not found:
        raise ValueProblem("编号应为数字", "an id is a number")
    number = int(found.group(1))
    if number >= 2**31:  # no record has such an id (the databases' integer ids end there)
        raise ValueProblem("没有这个编号", "no such id")
    return number
