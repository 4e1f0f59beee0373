"""Value parsers: every accepted form, every refusal, and properties over arbitrary text."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fugong.errors import ValueProblem
from fugong.values import (
    USCC_CHARSET,
    clean_text,
    make_uscc,
    name_key,
    normalize_uscc,
    parse_bool,
    parse_count,
    parse_date,
    parse_job,
    parse_moment,
    parse_term,
    uscc_check_char,
    uscc_checks_ok,
)
from fugong.vocab import CATEGORY, PLAN_STATUS, PROBLEM_STATUS

VALENTINE = dt.date(2020, 2, 14)

# --- dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2020-02-14",
        "2020-2-14",
        "2020/2/14",
        "2020/02/14",
        "2020.2.14",
        "2020年2月14日",
        "2020年02月14日",
        "2020 年 2 月 14 日",
        "2020年2月14",
        "20200214",
        "２０２０－０２－１４",
        "２０２０年２月１４日",
        "  2020-02-14\t",
        "\u30002020/2/14\u3000",
        "2020-02-14 00:00:00",
        "2020/2/14 0:00",
    ],
)
def test_parse_date_accepts(text):
    assert parse_date(text) == VALENTINE


@pytest.mark.parametrize(
    ("text", "zh"),
    [
        ("", "日期为空"),
        ("   ", "日期为空"),
        ("2020-02-30", "日期不存在"),
        ("2019-02-29", "日期不存在"),
        ("20201301", "日期不存在"),
        ("2020-13-01", "日期不存在"),
        ("1899-12-31", "年份超出 1900–2100"),
        ("2101-01-01", "年份超出 1900–2100"),
        ("2020-02/14", "不是有效日期"),
        ("14/02/2020", "不是有效日期"),
        ("2020-02-14 09:30", "不是有效日期"),
        ("2/14", "不是有效日期"),
        ("昨天", "不是有效日期"),
        ("43875", "不是有效日期"),  # an Excel serial day number is not guessed
        ("٢٠٢٠-٠٢-١٤", "不是有效日期"),
    ],
)
def test_parse_date_refuses(text, zh):
    with pytest.raises(ValueProblem) as e:
        parse_date(text)
    assert e.value.zh.startswith(zh)
    assert e.value.en


def test_parse_date_leap_day():
    assert parse_date("2020年2月29日") == dt.date(2020, 2, 29)


DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
DATE_FORMS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.strftime("%Y%m%d"),
]


@given(DATES, st.sampled_from(DATE_FORMS))
def test_parse_date_round_trips(day, form):
    assert parse_date(form(day)) == day


# --- moments -----------------------------------------------------------------------


def test_parse_moment_with_offset():
    m = parse_moment("2020-02-14T09:30:00+08:00")
    assert m == dt.datetime(2020, 2, 14, 1, 30)  # naive UTC, as the ledger stores it
    assert parse_moment("2020-02-14T01:30Z") == m


def test_parse_moment_without_offset_is_the_offices_time(monkeypatch):
    monkeypatch.delenv("FUGONG_TZ", raising=False)
    assert parse_moment("2020-02-14 09:30") == dt.datetime(2020, 2, 14, 1, 30)
    monkeypatch.setenv("FUGONG_TZ", "UTC")
    assert parse_moment("2020-02-14 09:30") == dt.datetime(2020, 2, 14, 9, 30)


@pytest.mark.parametrize("text", ["2020-02-14", "2020/2/14", "2020年2月14日"])
def test_parse_moment_date_is_the_end_of_that_office_day(text, monkeypatch):
    monkeypatch.delenv("FUGONG_TZ", raising=False)
    # 2020-02-14 23:59:59.999999 in Shanghai (UTC+8)
    assert parse_moment(text) == dt.datetime(2020, 2, 14, 15, 59, 59, 999999)


def test_parse_moment_words(monkeypatch):
    from fugong import clock

    monkeypatch.setattr(clock, "today", lambda: dt.date(2020, 2, 14))
    monkeypatch.delenv("FUGONG_TZ", raising=False)
    assert parse_moment("today") == parse_moment("2020-02-14") == parse_moment("今天")
    assert parse_moment("yesterday") == parse_moment("2020-02-13") == parse_moment("昨天")
    before = clock.now_utc()
    assert before <= parse_moment("now") <= clock.now_utc()


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "2020-02-30", "2020-02-14T25:00", "0001-01-01T00:00"]
)
def test_parse_moment_refuses(text):
    with pytest.raises(ValueProblem):
        parse_moment(text)


# --- counts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("50", 50),
        ("0", 0),
        ("００", 0),
        ("５０", 50),
        (" 50 ", 50),
        ("1,200", 1200),
        ("1，200", 1200),
        ("１，２００", 1200),
        ("1,234,567", 1234567),
        ("50人", 50),
        ("50 人", 50),
        ("50个", 50),
        ("50名", 50),
        ("50位", 50),
        ("12.0", 12),
        ("12.00人", 12),
        ("007", 7),
        ("1,200人", 1200),
    ],
)
def test_parse_count_accepts(text, n):
    assert parse_count(text) == n


@pytest.mark.parametrize(
    ("text", "zh"),
    [
        ("", "数量为空"),
        ("  ", "数量为空"),
        ("-5", "不能为负数"),
        ("－5", "不能为负数"),
        ("12.5", "不是整数"),
        ("0.5人", "不是整数"),
        ("五十", "不是有效数字"),
        ("abc", "不是有效数字"),
        ("1,20", "不是有效数字"),  # not a thousands separator: not guessed
        ("12,00,000", "不是有效数字"),
        ("1.200.000", "不是有效数字"),
        ("50kg", "不是有效数字"),
        ("12.", "不是有效数字"),
        ("1e3", "不是有效数字"),
        ("99999999999", "数值过大"),
        ("9" * 5000, "数值过大"),
    ],
)
def test_parse_count_refuses(text, zh):
    with pytest.raises(ValueProblem) as e:
        parse_count(text)
    assert e.value.zh == zh


@given(st.integers(min_value=0, max_value=2_147_483_647), st.sampled_from([",", "，", ""]))
def test_parse_count_round_trips(n, sep):
    assert parse_count(f"{n:,}".replace(",", sep)) == n
    assert parse_count(f"{n}人") == n


# --- booleans ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["是", "Y", "y", "yes", "YES", "Yes", "true", "TRUE", "1", "√", "✓", " 是 ", "Ｙ", "１"]
)
def test_parse_bool_true(text):
    assert parse_bool(text) is True


@pytest.mark.parametrize(
    "text", ["否", "N", "n", "no", "No", "false", "False", "0", "×", "０", "ｎｏ", " 否\u3000"]
)
def test_parse_bool_false(text):
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["", "maybe", "2", "对", "x", "规上", "是的否"])
def test_parse_bool_refuses(text):
    with pytest.raises(ValueProblem):
        parse_bool(text)


# --- USCC ---------------------------------------------------------------------------

# Codes of real enterprises, as published: all pass the check.
REAL_USCCS = ["91350100M000100Y43", "9144030071526726XG", "91110108551385082Q"]


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_codes_pass_the_check(code):
    assert normalize_uscc(code) == (code, True)
    assert uscc_check_char(code[:17]) == code[17]
    assert make_uscc(code[:17]) == code


def test_uscc_is_normalised():
    code = REAL_USCCS[0]
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    assert normalize_uscc(f"  {code.lower()} ") == (code, True)
    assert normalize_uscc(fullwidth) == (code, True)


def test_wrong_check_char_is_accepted_but_flagged():
    code = REAL_USCCS[0]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert normalize_uscc(wrong) == (wrong, False)


def test_check_char_zero():
    # 31 - 0 = 31 -> 0: a code whose weighted sum is a multiple of 31
    assert uscc_check_char("0" * 17) == "0"
    assert normalize_uscc("0" * 18) == ("0" * 18, True)


# GB 32100's weights of the 17 characters, as the standard lists them.
GB32100_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17))
def test_check_char_is_the_standard_weighted_sum(first17):
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, GB32100_WEIGHTS, strict=True))
    expected = USCC_CHARSET[(31 - total % 31) % 31]
    assert uscc_check_char(first17) == expected
    assert normalize_uscc(first17 + expected) == (first17 + expected, True)


@given(st.lists(st.text(alphabet=USCC_CHARSET, min_size=18, max_size=18)))
def test_column_check_is_the_code_check(codes):
    assert uscc_checks_ok(codes) == [normalize_uscc(code)[1] for code in codes]


@pytest.mark.parametrize(
    ("text", "zh"),
    [
        ("", "统一社会信用代码为空"),
        ("9.15111E+17", "疑似被 Excel 转成科学计数法"),
        ("9.15111e17", "疑似被 Excel 转成科学计数法"),
        ("9,15111E+17", "疑似被 Excel 转成科学计数法"),
        ("915111E17", "疑似被 Excel 转成科学计数法"),
        ("91350100M000100Y4", "应为 18 位，实为 17 位"),
        ("91350100M000100Y433", "应为 18 位，实为 19 位"),
        ("91350100M000100I43", "含有非法字符 'I'"),
        ("91350100M000100O43", "含有非法字符 'O'"),
        ("9135 0100M000100Y4", "含有非法字符 ' '"),
        ("91350100-M000100Y4", "含有非法字符 '-'"),
    ],
)
def test_uscc_refuses(text, zh):
    with pytest.raises(ValueProblem) as e:
        normalize_uscc(text)
    assert e.value.zh.startswith(zh)


def test_excel_message_in_english():
    with pytest.raises(ValueProblem) as e:
        normalize_uscc("9.15111E+17")
    assert e.value.en.startswith("looks mangled by Excel into scientific notation")


@pytest.mark.parametrize("text", ["", "9135010", "91350100M000100Y4Z", "9135010OM000100Y4"])
def test_check_char_refuses_malformed(text):
    with pytest.raises(ValueProblem):
        uscc_check_char(text)


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17))
def test_made_codes_pass(first17):
    code = make_uscc(first17)
    assert len(code) == 18
    assert normalize_uscc(code) == (code, True)


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17), st.sampled_from(USCC_CHARSET))
def test_only_the_right_check_char_passes(first17, last):
    assert normalize_uscc(first17 + last)[1] == (last == uscc_check_char(first17))


# --- names, text, terms ----------------------------------------------------------------


def test_name_key():
    assert name_key("乐山（集团）有限公司") == name_key("乐山(集团)有限公司")
    assert name_key(" 乐山 集团\u3000有限公司 ") == name_key("乐山集团有限公司")
    assert name_key("ＡＢＣ Co") == name_key("abcco")
    assert name_key("甲\u200b公司") == name_key("甲公司")
    assert name_key("甲公司") != name_key("乙公司")


def test_clean_text_keeps_inside():
    assert clean_text("  乐山（集团）  有限公司\u3000\n") == "乐山（集团）  有限公司"
    assert clean_text("\ufeff甲\u200b") == "甲"
    assert clean_text("") == ""


@pytest.mark.parametrize(
    ("vocab", "text", "key"),
    [
        (PLAN_STATUS, "已复产", "resumed"),
        (PLAN_STATUS, " Resumed ", "resumed"),
        (PLAN_STATUS, "not stopped", "not_stopped"),
        (PLAN_STATUS, "not_stopped", "not_stopped"),
        (PLAN_STATUS, "验收通过/批准生产", "approved"),
        (PROBLEM_STATUS, "已办结", "resolved"),
        (CATEGORY, "资金", "finance"),
        (CATEGORY, "ＬＯＧＩＳＴＩＣＳ", "logistics"),
    ],
)
def test_parse_term(vocab, text, key):
    assert parse_term(vocab, text) == key
    assert vocab.lookup(text) == key  # the fast index agrees with the vocabulary


def test_parse_term_refuses_with_choices():
    with pytest.raises(ValueProblem) as e:
        parse_term(PLAN_STATUS, "飞了")
    assert "已复产 (resumed)" in e.value.zh
    assert "resumed" in e.value.en
    with pytest.raises(ValueProblem):
        parse_term(PLAN_STATUS, "  ")


def test_parse_job():
    assert parse_job("普工") == "general"
    assert parse_job(" Engineer ") == "engineer"
    assert parse_job(" 电焊工 ") == "电焊工"
    with pytest.raises(ValueProblem):
        parse_job(" ")


# --- nothing but ValueProblem, whatever is typed ----------------------------------------

ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet="0123456789０１２３,，.-/年月日人 EeYyNn是否√×:T+Z"),
)


@pytest.mark.parametrize(
    "parse", [parse_date, parse_count, parse_bool, normalize_uscc, parse_moment, parse_job]
)
@given(text=ANY_TEXT)
def test_parsers_raise_only_value_problem(parse, text):
    with contextlib.suppress(ValueProblem):
        parse(text)


@given(ANY_TEXT)
def test_name_key_never_fails(text):
    assert isinstance(name_key(text), str)
    assert isinstance(clean_text(text), str)
    with contextlib.suppress(ValueProblem):
        parse_term(PLAN_STATUS, text)
