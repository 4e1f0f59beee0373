"""Report and trend as one HTML file to forward: works offline, prints on A4.

Everything is inside the file: the style sheet, the chart (inline SVG drawn
here), no script, no font, image or style fetched from anywhere — the page
holds no URL at all.  Chinese fonts are named in a fallback list, so the page
uses what the reader's machine has.  Every text that comes from the ledger
(district and enterprise names) is escaped.

Each figure cell carries `data-scope`, `data-key` (`section.key`) and, in a
trend, `data-date`: the figures are the JSON document's, shown as the tables
show them (rates in percent with two decimals, nothing as —).
"""

from __future__ import annotations

from html import escape
from typing import Any

from . import __version__
from .render import (
    REPORT_SECTIONS,
    SECTION_TITLES,
    TREND_COLUMNS,
    figure_label,
    figure_text,
    report_notes,
    report_scopes,
    report_title,
    title_block,
)

FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Microsoft YaHei", '
    '"PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", "SimSun", sans-serif'
)

CSS = """
@page { size: A4; margin: 12mm 11mm 14mm; }
* { box-sizing: border-box; }
html { background: #e9ecef; }
body {
  font-family: FONT_LIST;
  color: #1d2125; background: #fff; font-size: 10.5pt; line-height: 1.45;
  width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 14mm 13mm 16mm;
  box-shadow: 0 1px 6px rgba(0, 0, 0, .18);
}
header { border-bottom: 2.5px solid #b3261e; padding-bottom: 3mm; margin-bottom: 5mm; }
h1 { font-size: 17pt; font-weight: 700; text-align: center; margin: 0 0 3mm;
     letter-spacing: .06em; color: #b3261e; }
dl.title { display: grid; grid-template-columns: auto 1fr auto 1fr; gap: 1mm 4mm;
           margin: 0; font-size: 9.5pt; }
dl.title dt { color: #59636e; }
dl.title dd { margin: 0; font-variant-numeric: tabular-nums; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; padding-left: 2mm; border-left: 3px solid #b3261e; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3mm; margin: 0 0 2mm; }
.card { border: 1px solid #d5dae0; border-radius: 2mm; padding: 2mm 3mm; }
.card .label { color: #59636e; font-size: 9pt; }
.card .value { font-size: 16pt; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .detail { color: #59636e; font-size: 8.5pt; font-variant-numeric: tabular-nums; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #59636e; font-size: 8.5pt; margin-top: 1mm; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 0 0 2mm;
        font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 700; font-size: 9.5pt; padding: 1mm 0; }
th, td { border: 1px solid #c9d0d6; padding: 1.2mm 1.6mm; }
th { background: #eef1f4; font-weight: 600; white-space: nowrap; }
td { white-space: nowrap; }
td.num, th.num { text-align: right; }
tr.total td { font-weight: 700; background: #f6f7f9; }
p.note { margin: 1mm 0; font-size: 9pt; }
footer { margin-top: 6mm; color: #7a838c; font-size: 8pt; text-align: right; }
section { break-inside: avoid; page-break-inside: avoid; }
@media print {
  html { background: #fff; }
  body { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; font-size: 10pt; }
  thead { display: table-header-group; }
  th, td { padding: .7mm 1.4mm; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
""".replace("FONT_LIST", FONTS)

# a line per district: colours that stay apart in print and for most colour vision
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#637939",
)
TOTAL_COLOUR = "#111111"
WEEK = 7  # days per table of the districts' rates: a table fits the width of A4


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def _page(title: str, body: list[str], lang: str) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{"en" if lang == "en" else "zh-CN"}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            *body,
            f"<footer>{escape(_t(lang, '由 fugong', 'made by fugong'))} {__version__}</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _header(doc: dict[str, Any], lang: str) -> str:
    items = "".join(
        f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
        for label, value in title_block(doc, lang)
    )
    heading = escape(report_title(doc, lang))
    return f'<header><h1>{heading}</h1><dl class="title">{items}</dl></header>'


def _cell(value: Any, key: str, scope: str, date: str | None = None) -> str:
    where = f' data-date="{escape(date)}"' if date else ""
    return (
        f'<td class="num" data-scope="{escape(scope)}" data-key="{escape(key)}"{where}>'
        f"{escape(figure_text(key.split('.')[-1], value))}</td>"
    )


def _table(caption: str, headers: list[str], rows: list[str]) -> str:
    head = "".join(
        f"<th>{escape(h)}</th>" if i == 0 else f'<th class="num">{escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


# --------------------------------------------------------------------------- the chart


def _chart(
    days: list[str], lines: list[tuple[str, list[float | None], bool]], lang: str, caption: str
) -> str:
    """An inline SVG line chart of rates (0–100 %) per day: (name, rates, is_total) per line."""
    width, height = 720, 300
    left, right, top, bottom = 44, 150, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(days)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(v, 1.0)))

    out = [
        f'<svg viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(caption)}" font-size="11" fill="#1d2125">'
    ]
    for k in range(5):
        v = k / 4
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="{"#9aa4ae" if k == 0 else "#e3e7eb"}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{k * 25}%</text>'
        )
    step = max(1, -(-n // 14))  # at most 14 labels under the axis
    for i, day in enumerate(days):
        if i % step == 0 or i == n - 1:
            out.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                f"{escape(day[5:])}</text>"
            )
    drawn = [line for line in lines if any(r is not None for r in line[1])]
    colours = iter(PALETTE * 4)
    legend_y = top + 4
    for name, rates, total in sorted(drawn, key=lambda line: line[2]):
        colour = TOTAL_COLOUR if total else next(colours)
        width_px = 2.6 if total else 1.6
        run: list[str] = []
        runs: list[list[str]] = []
        for i, v in enumerate(rates):
            if v is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
        if run:
            runs.append(run)
        for points in runs:
            if len(points) > 1:
                out.append(
                    f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    f'stroke-width="{width_px}" stroke-linejoin="round"/>'
                )
        for i, v in enumerate(rates):
            if v is not None:
                tip = f"{name} {days[i]} {figure_text('resumption_rate', v)}"
                out.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="{2.4 if total else 1.8}" '
                    f'fill="{colour}"><title>{escape(tip)}</title></circle>'
                )
        last = next((v for v in reversed(rates) if v is not None), None)
        bold = ' font-weight="700"' if total else ""
        out.append(
            f'<rect x="{left + plot_w + 12}" y="{legend_y - 8}" width="12" height="3" '
            f'fill="{colour}"/><text x="{left + plot_w + 28}" y="{legend_y - 3}"{bold}>'
            f"{escape(name)} {escape(figure_text('resumption_rate', last))}</text>"
        )
        legend_y += 17
    out.append("</svg>")
    silent = [name for name, rates, _total in lines if all(r is None for r in rates)]
    note = ""
    if silent:
        note = _t(lang, "无规上企业（无复产率）: ", "no enterprises (no rate): ") + _t(
            lang, "、", ", "
        ).join(silent)
    caption_html = escape(caption) + (f"<br>{escape(note)}" if note else "")
    return f"<figure>{''.join(out)}<figcaption>{caption_html}</figcaption></figure>"


def _rate_lines(days: list[dict[str, Any]], lang: str) -> list[tuple[str, list, bool]]:
    """The lines of the chart: a district's, or each district's and the city's."""
    first = days[0]
    if "districts" not in first:
        return [(first["scope"]["name"], [d["plans"]["resumption_rate"] for d in days], True)]
    lines = []
    for i, part in enumerate(first["districts"]):
        rates = [d["districts"][i]["plans"]["resumption_rate"] for d in days]
        lines.append((part["scope"]["name"], rates, False))
    total = first["scope"]["name"] + _t(lang, "合计", " total")
    lines.append((total, [d["plans"]["resumption_rate"] for d in days], True))
    return lines


# --------------------------------------------------------------------------- report


def _cards(doc: dict[str, Any], lang: str) -> str:
    code = doc["scope"]["code"]
    plans, problems, labour = doc["plans"], doc["problems"], doc["labour"]

    def figure(key: str, value: Any) -> str:
        return (
            f'<span data-scope="{escape(code)}" data-key="{escape(key)}">'
            f"{escape(figure_text(key.split('.')[-1], value))}</span>"
        )

    cards = [
        (
            _t(lang, "复产率", "resumption rate"),
            figure("plans.resumption_rate", plans["resumption_rate"]),
            _t(lang, "在产 {} / 共 {} 家", "operating {} of {}").format(
                figure("plans.operating", plans["operating"]),
                figure("plans.total", plans["total"]),
            ),
        ),
        (
            _t(lang, "返岗率", "return rate"),
            figure("plans.return_rate", plans["return_rate"]),
            _t(lang, "到岗 {} / 职工 {} 人", "back {} of {} employees").format(
                figure("plans.returned", plans["returned"]),
                figure("plans.return_base", plans["return_base"]),
            ),
        ),
        (
            _t(lang, "问题办理中", "problems open"),
            figure("problems.open", problems["open"]),
            _t(lang, "其中逾期 {}; 累计 {} 件", "overdue {}; raised {}").format(
                figure("problems.overdue", problems["overdue"]),
                figure("problems.raised", problems["raised"]),
            ),
        ),
        (
            _t(lang, "用工缺口", "labour gap"),
            figure("labour.gap", labour["gap"]),
            _t(lang, "需求 {} / 已招 {} 人", "needed {}, filled {}").format(
                figure("labour.needed", labour["needed"]),
                figure("labour.filled", labour["filled"]),
            ),
        ),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="label">{escape(label)}</div>'
            f'<div class="value">{value}</div><div class="detail">{detail}</div></div>'
            for label, value, detail in cards
        )
        + "</div>"
    )


# the report's plans table, split in two so that each fits the width of A4
PLAN_TABLES = (
    (
        ("复产进度", "progress"),
        (
            "total",
            "not_stopped",
            "planned",
            "approved",
            "resumed",
            "suspended",
            "excluded",
            "unreported",
        ),
    ),
    (
        ("复产率与返岗", "rates and returns"),
        (
            "operating",
            "resumption_rate",
            "returned",
            "return_rate",
            "resumed_today",
            "resumed_ever",
            "resumed_without_inspection",
        ),
    ),
)


def _section_tables(doc: dict[str, Any], lang: str) -> list[str]:
    scopes = report_scopes(doc, lang)
    every = doc.get("all_enterprises", False)
    groups = [
        ("plans", _t(lang, *SECTION_TITLES["plans"]) + " · " + _t(lang, *title), keys)
        for title, keys in PLAN_TABLES
    ]
    for section in ("problems", "labour"):
        keys = [k for k, _zh, _en in REPORT_SECTIONS[section]]
        groups.append((section, _t(lang, *SECTION_TITLES[section]), keys))
    out = []
    for section, caption, keys in groups:
        headers = [_t(lang, "区县", "district")]
        headers += [figure_label(section, key, lang, all_enterprises=every) for key in keys]
        rows = []
        for name, part in scopes:
            code = part["scope"]["code"]
            total = ' class="total"' if part is doc and "districts" in doc else ""
            cells = "".join(_cell(part[section][key], f"{section}.{key}", code) for key in keys)
            rows.append(f"<tr{total}><td>{escape(name)}</td>{cells}</tr>")
        out.append(f"<section>{_table(caption, headers, rows)}</section>")
    return out


def report_html(doc: dict[str, Any], days: list[dict[str, Any]], lang: str) -> str:
    """The report of `doc`'s day; `days` are the reports of the days up to it (the chart)."""
    dates = [d["as_of"] for d in days]
    caption = _t(
        lang,
        f"复产率 {dates[0]} 至 {dates[-1]}（每日日终）",
        f"resumption rate {dates[0]} to {dates[-1]} (end of each day)",
    )
    body = [
        _header(doc, lang),
        _cards(doc, lang),
        f"<section><h2>{escape(_t(lang, '复产率走势', 'resumption rate'))}</h2>"
        f"{_chart(dates, _rate_lines(days, lang), lang, caption)}</section>",
        f"<h2>{escape(_t(lang, '分区县情况', 'by district'))}</h2>",
        *_section_tables(doc, lang),
    ]
    notes = report_notes(doc, lang)
    body += [f'<p class="note">{escape(line)}</p>' for line in notes]
    return _page(report_title(doc, lang), body, lang)


# --------------------------------------------------------------------------- trend


def trend_html(doc: dict[str, Any], lang: str) -> str:
    """The trend: the title block, the chart of its days, a row per day, and for the
    city each district's rate per day."""
    days = doc["days"]
    dates = [d["date"] for d in days]
    code = doc["scope"]["code"]
    every = doc.get("all_enterprises", False)
    caption = _t(
        lang,
        f"复产率 {dates[0]} 至 {dates[-1]}（每日日终）",
        f"resumption rate {dates[0]} to {dates[-1]} (end of each day)",
    )
    body = [
        _header(doc, lang),
        f"<section><h2>{escape(_t(lang, '复产率走势', 'resumption rate'))}</h2>"
        f"{_chart(dates, _rate_lines(days, lang), lang, caption)}</section>",
        f"<h2>{escape(_t(lang, '逐日数据', 'day by day'))}</h2>",
    ]
    # two tables, each as wide as A4 allows: the plans, then the problems and the labour
    for title, columns in (
        (SECTION_TITLES["plans"], [c for c in TREND_COLUMNS if c[0] == "plans"]),
        (
            ("复产问题与用工需求", "problems and labour"),
            [c for c in TREND_COLUMNS if c[0] != "plans"],
        ),
    ):
        headers = [_t(lang, "日期", "date")]
        headers += [figure_label(s, k, lang, all_enterprises=every) for s, k in columns]
        rows = []
        for day in days:
            cells = "".join(
                _cell(day[section][key], f"{section}.{key}", code, day["date"])
                for section, key in columns
            )
            rows.append(f"<tr><td>{escape(day['date'])}</td>{cells}</tr>")
        caption = f"{doc['scope']['name']} · {_t(lang, *title)}"
        body.append(f"<section>{_table(caption, headers, rows)}</section>")
    if "districts" in days[0]:
        body.append(f"<h2>{escape(_t(lang, '各区县复产率', 'resumption rate by district'))}</h2>")
        caption = _t(lang, "各区县复产率（逐日）", "resumption rate by district, day by day")
        for start in range(0, len(days), WEEK):
            week = days[start : start + WEEK]
            headers = [_t(lang, "区县", "district")] + [d["date"][5:] for d in week]
            rows = []
            for i, part in enumerate(days[0]["districts"]):
                district = part["scope"]["code"]
                cells = "".join(
                    _cell(
                        day["districts"][i]["plans"]["resumption_rate"],
                        "plans.resumption_rate",
                        district,
                        day["date"],
                    )
                    for day in week
                )
                rows.append(f"<tr><td>{escape(part['scope']['name'])}</td>{cells}</tr>")
            body.append(f"<section>{_table(caption, headers, rows)}</section>")
    return _page(report_title(doc, lang), body, lang)
