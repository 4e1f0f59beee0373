"""`report --format html` and `trend --format html`: one file to forward.

- its figures are the JSON's (the page is parsed with html.parser and every
  figure compared, as shown: rates in percent, nothing as —);
- it needs nothing from anywhere: no script, style sheet, font, image or URL;
- names are escaped;
- a real browser (chromium, headless) renders it: not blank, no request but the
  page itself, no console message, no error (see browser.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import browser
import pytest
from test_reports import GOLDEN_DAY, REPORT_KEYS, ok, small_ledger


class Figures(HTMLParser):
    """The text of every element that carries `data-key`, by (scope, key, date)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[tuple[str, str, str | None], list[str]] = {}
        self.tips: list[str] = []
        self._open: list[tuple[str, tuple, list[str]]] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "data-key" in attributes:
            where = (attributes["data-scope"], attributes["data-key"], attributes.get("data-date"))
            self._open.append((tag, where, []))
        if tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _tag, where, text = self._open.pop()
            self.found.setdefault(where, []).append("".join(text).strip())
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)
        if self._in_title:
            self.tips.append(data)


def shown_value(text: str) -> Any:
    """A figure as the page shows it, read back: 57.14% -> 0.5714, — -> None."""
    if text == "—":
        return None
    if text.endswith("%"):
        return round(float(text[:-1]) / 100, 4)
    return float(text) if "." in text else int(text)


def parse(page: str) -> Figures:
    figures = Figures()
    figures.feed(page)
    figures.close()
    return figures


def shown_values(figures: Figures) -> dict[tuple, Any]:
    """Each figure's value; a figure shown twice (a summary and a table) says the same."""
    out = {}
    for where, texts in figures.found.items():
        values = {json.dumps(shown_value(t)) for t in texts}
        assert len(values) == 1, (where, texts)
        out[where] = shown_value(texts[0])
    return out


def assert_self_contained(page: str) -> None:
    lowered = page.lower()
    needles = ("<script", "<link", "<img", "<iframe", "<object", "@import", "url(", "src=", "href=")
    for needle in (*needles, "://"):
        assert needle not in lowered, f"{needle!r} in the page: it must need nothing from anywhere"
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "Noto Sans CJK SC" in page and "Microsoft YaHei" in page and "sans-serif" in page
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", page), "a print layout for A4"
    assert "@media print" in page
    assert "<svg" in page and "<polyline" in page


def scopes_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [*doc.get("districts", []), doc]


def test_report_html_figures_are_the_json_figures(cli, tmp_path):
    small_ledger(cli)
    for options in ((), ("--district", "沙湾")):
        args = ("report", "--as-of", GOLDEN_DAY, *options)
        doc = json.loads(ok(cli(*args, "--format", "json")).stdout)
        before = datetime.now(UTC).replace(microsecond=0)
        page = ok(cli(*args, "--format", "html")).stdout
        after = datetime.now(UTC)
        assert_self_contained(page)
        figures = parse(page)
        expected = {}
        for part in scopes_of(doc):
            for section, keys in REPORT_KEYS.items():
                for key in keys:
                    expected[(part["scope"]["code"], f"{section}.{key}", None)] = part[section][key]
        shown = shown_values(figures)
        assert set(expected) <= set(shown), sorted(set(expected) - set(shown))[:5]
        for where, value in shown.items():
            section, key = where[1].split(".")
            scope = [p for p in scopes_of(doc) if p["scope"]["code"] == where[0]][0]
            assert value == scope[section][key], where
        # the title block
        assert doc["scope"]["name"] in page and f"截至</dt><dd>{GOLDEN_DAY}" in page
        made = re.search(r"生成时间</dt><dd>([^<]+)</dd>", page).group(1)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", made), made
        assert before <= datetime.fromisoformat(made) <= after

        # the chart: the rate of each of the last 14 days, per district and the total
        days = json.loads(ok(cli("trend", "--to", GOLDEN_DAY, *options, "--format", "json")).stdout)
        tips = set(figures.tips)
        for day in days:
            for part in [*day.get("districts", []), day] if "districts" in day else [day]:
                rate = part["plans"]["resumption_rate"]
                if rate is None:
                    continue
                name = part["scope"]["name"]
                if part is day and "districts" in day:
                    name += "合计"
                assert f"{name} {day['date']} {rate * 100:.2f}%" in tips, (name, day["date"])

    # -o FILE.html writes the same page
    target = tmp_path / "日报.html"
    ok(cli("report", "--as-of", GOLDEN_DAY, "-o", target))
    assert_self_contained(target.read_text("utf-8"))


def test_trend_html_figures_are_the_json_figures(cli):
    small_ledger(cli)
    for options in ((), ("--district", "五通桥", "--lang", "en")):
        args = ("trend", "--from", "2020-02-01", "--to", GOLDEN_DAY, *options)
        days = json.loads(ok(cli(*args, "--format", "json")).stdout)
        page = ok(cli(*args, "--format", "html")).stdout
        assert_self_contained(page)
        shown = shown_values(parse(page))
        code = days[0]["scope"]["code"]
        rows = {(w[2], w[1]): v for w, v in shown.items() if w[0] == code}
        assert len(rows) == len(days) * 14
        for day in days:
            for section, key in (k.split(".") for k in TREND_KEYS):
                assert rows[(day["date"], f"{section}.{key}")] == day[section][key]
        if "districts" in days[0]:
            for day in days:
                for part in day["districts"]:
                    where = (part["scope"]["code"], "plans.resumption_rate", day["date"])
                    assert shown[where] == part["plans"]["resumption_rate"], where
        else:
            assert "五通桥区" in page and "work-resumption trend" in page


TREND_KEYS = [
    "plans.total",
    "plans.resumed",
    "plans.operating",
    "plans.resumption_rate",
    "plans.resumed_today",
    "plans.returned",
    "plans.return_rate",
    "problems.raised",
    "problems.resolved",
    "problems.open",
    "problems.overdue",
    "labour.needed",
    "labour.filled",
    "labour.gap",
]


def test_names_are_escaped(cli):
    """District names come from the districts table a user loads: they are text."""
    from fugong.htmlreport import report_html, trend_html

    small_ledger(cli)
    doc = json.loads(ok(cli("report", "--as-of", GOLDEN_DAY, "--format", "json")).stdout)
    days = json.loads(ok(cli("trend", "--to", GOLDEN_DAY, "--format", "json")).stdout)
    evil = '<img src=x onerror="alert(1)">&amp;\'「区」'
    for part in [doc, *doc["districts"], *days, *(p for d in days for p in d["districts"])]:
        part["scope"]["name"] = evil
    trend = {**days[0], "from": days[0]["date"], "to": days[-1]["date"], "days": days}
    for page in (report_html(doc, days, "zh"), trend_html(trend, "zh")):
        assert evil not in page and "<img" not in page
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;&#x27;「区」" in page


# --------------------------------------------------------------------------- a real browser


@pytest.fixture
def pages(bare_cli, tmp_path) -> dict[str, Path]:
    """The report and the trend of the sample ledger as HTML files."""
    env = {"FUGONG_DB": str(tmp_path / "sample.db")}
    ok(bare_cli("init", "--sample", env=env))
    out = {"report": tmp_path / "report.html", "trend": tmp_path / "trend.html"}
    ok(bare_cli("report", "--as-of", "2020-02-14", "-o", out["report"], env=env))
    ok(bare_cli("trend", "--from", "2020-02-01", "--to", "2020-02-14", "-o", out["trend"], env=env))
    return out


def _keep(png: Path | bytes, name: str) -> None:
    """FUGONG_TEST_SCREENSHOTS=DIR keeps the screenshots to look at."""
    folder = os.environ.get("FUGONG_TEST_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        target = Path(folder) / name
        if isinstance(png, Path):
            shutil.copyfile(png, target)
        else:
            target.write_bytes(png)


def test_the_page_in_a_real_browser(pages, tmp_path):
    chrome = browser.browser()
    # the command line an officer's colleague could type: a PNG of an A4 page
    png = tmp_path / "report.png"
    log = browser.screenshot(chrome, pages["report"], png, tmp_path / "profile-a")
    assert "CONSOLE" not in log, log
    width, height, ink = browser.png_ink(png.read_bytes())
    assert (width, height) == (browser.WIDTH, browser.HEIGHT)
    assert ink > 0.3, f"the page looks blank: {ink:.0%} of its rows have anything on them"
    _keep(png, "report.png")

    # the DevTools protocol: every request, console message and error of the page
    for name, page in pages.items():
        seen = browser.visit(chrome, page, tmp_path / f"profile-{name}")
        assert seen.requests == [page.resolve().as_uri()]
        assert seen.problems(page.resolve().as_uri()) == [], name
        assert browser.png_ink(seen.png)[2] > 0.3, name
        _keep(seen.png, f"{name}-devtools.png")


def test_the_browser_check_sees_a_broken_page(tmp_path):
    """The checks above would fail on a page that fetches, fails or logs an error."""
    chrome = browser.browser()
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></head>'
        '<body><p>复工</p><img src="missing.png">'
        '<script>console.error("坏了"); no_such_function();</script></body></html>',
        encoding="utf-8",
    )
    log = browser.screenshot(chrome, page, tmp_path / "broken.png", tmp_path / "profile-a")
    assert "CONSOLE" in log and "坏了" in log
    problems = browser.visit(chrome, page, tmp_path / "profile-b").problems(page.as_uri())
    text = "\n".join(problems)
    assert "request http://127.0.0.1:9/x.css" in text
    assert "missing.png" in text and "failed" in text
    assert "console.error: 坏了" in text
    assert "no_such_function" in text
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    assert browser.png_ink(browser.visit(chrome, blank, tmp_path / "profile-c").png)[2] < 0.01


def test_a_missing_browser_skips_here_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(browser, "NAMES", ("no-such-browser-anywhere",))
    monkeypatch.delenv("FUGONG_TEST_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        browser.browser()
    monkeypatch.setenv("FUGONG_TEST_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed"):
        browser.browser()
