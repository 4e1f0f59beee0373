"""Issue 16: a 14-day city trend against one city report, on a 100k-enterprise city ledger.

Uses bench_scale.py's city ledger (100k enterprises over the 11 districts,
built once through `fugong import` and cached in bench/out/).  In one run, times
`fugong trend` over the 14 days up to a past date and `fugong report` as of that
date (medians of alternating runs) and prints their ratio, with the peak RSS of
each; then the HTML report, whose chart needs the same 14 days.

Usage: python bench/bench_trend.py [--enterprises 100000] [--runs 5]
"""

from __future__ import annotations

import argparse

from bench_scale import build_city
from common import OUT, alternate, fugong, measure, verdict

LAST = "2020-02-14"
FIRST = "2020-02-01"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    exe = fugong()
    city = build_city(exe, args.enterprises)
    trend = [exe, "trend", "--from", FIRST, "--to", LAST, "--format", "json", "--db", city]
    report = [exe, "report", "--as-of", LAST, "--format", "json", "--db", city]
    html = [exe, "report", "--as-of", LAST, "--format", "html", "--db", city]

    trend_wall, report_wall = alternate(trend, report, args.runs)
    ratio = trend_wall / report_wall
    _wall, trend_rss = measure(trend)
    _wall, report_rss = measure(report)
    print(
        f"city trend of 14 days: {trend_wall:.3f} s vs city report {report_wall:.3f} s "
        f"on {args.enterprises} enterprises = {ratio:.2f}x (bound 3x: {verdict(ratio, 3.0)})"
    )
    print(
        f"peak RSS: trend {trend_rss / 1024:.0f} MB (bound 150 MB: "
        f"{verdict(trend_rss / 1024 / 150, 1.0)}), report {report_rss / 1024:.0f} MB"
    )
    html_wall, report_wall = alternate(html, report, args.runs)
    _wall, html_rss = measure(html)
    print(
        f"HTML report (its chart: the same 14 days): {html_wall:.3f} s = "
        f"{html_wall / report_wall:.2f}x the JSON report; peak RSS {html_rss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
