"""fugong init | db path | log — the ledger itself and its history."""

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    DbOpt,
    DistrictOpt,
    LangOpt,
    ListFormat,
    handles_errors,
    lang_of,
    ledger_modules,
    parse_day,
    parse_id,
    read,
    scope_codes,
    screen_width,
    warn,
)

db_app = typer.Typer(help="账本在哪里 / where the ledger is", no_args_is_help=True)


@db_app.command("path")
@handles_errors
def db_path(db: DbOpt = None, lang: LangOpt = None) -> None:
    """显示所用的账本 (--db, 否则 $FUGONG_DB, 否则用户数据目录) / Print which ledger is used.

    示例 / Example: fugong db path
    """
    from ..db import describe, ledger_url

    typer.echo(describe(ledger_url(db)))


@handles_errors
def init(
    sample: Annotated[
        bool,
        typer.Option(
            "--sample",
            metavar="",
            help="载入自带的样例台账 (只用于空账本) / load the sample ledger",
        ),
    ] = False,
    districts: Annotated[
        Path | None,
        typer.Option(
            "--districts",
            metavar="文件",
            help="另载入一个城市的区县表 (CSV: code, name, short_names, parent) / "
            "another city's districts",
        ),
    ] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """建立账本, 或把旧账本升级到当前结构 / Create the ledger, or upgrade an older one.

    示例 / Example: fugong init --sample
    """
    from ..db import describe, open_ledger
    from ..schema import load_districts, read_districts

    language = lang_of(lang)
    table = read_districts(districts) if districts is not None else None  # before any write
    ledger = open_ledger(db, create=True)
    if table is not None:
        added = ledger.write(lambda session: load_districts(session, table))
        typer.echo(
            f"districts added: {added}" if language == "en" else f"新增区县: {added}", err=True
        )
    where = describe(ledger.url)
    summary = None
    if sample:
        from ..sample import load_sample

        summary = load_sample(ledger)
    typer.echo(f"ledger ready: {where}" if language == "en" else f"账本已就绪: {where}", err=True)
    if summary is not None:
        typer.echo(summary.text(language), err=True)


@handles_errors
def log(
    enterprise: Annotated[
        str | None,
        typer.Argument(
            metavar="企业", help="只看这家企业 (代码、名称或编号) / only this enterprise"
        ),
    ] = None,
    batch: Annotated[
        str | None, typer.Option("--batch", metavar="批次", help="只看这个批次 / only this batch")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="日期", help="业务日期从此日起 / business dates from"),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", metavar="日期", help="业务日期到此日止 / business dates until"),
    ] = None,
    who: Annotated[
        str | None, typer.Option("--by", metavar="姓名", help="只看此人记录的 / only by whom")
    ] = None,
    district: DistrictOpt = None,
    fmt: Annotated[
        ListFormat, typer.Option("--format", metavar="格式", help="输出格式: table | csv | json")
    ] = ListFormat.table,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """查看历史, 最新的在前: 业务日期、记录时间、记录人、来源、变更 / Show the history.

    撤销 (undo) 也列出: 谁在何时撤销了哪个批次 / undos are shown too.

    示例 / Example: fugong log 乐山某某有限公司 --since 2020-02-01 --until 2020-02-14
    """
    from .. import render
    from ..history import LogFilter, entries
    from ..registry import find_enterprise

    language = lang_of(lang)
    batch_id = parse_id(batch, what="--batch") if batch is not None else None
    first = parse_day(since, what="--since") if since else None
    last = parse_day(until, what="--until") if until else None

    def work(session):
        eid = find_enterprise(session=session, ref=enterprise).id if enterprise else None
        codes = scope_codes(session, district)
        which = LogFilter(
            enterprise_id=eid,
            batch_id=batch_id,
            since=first,
            until=last,
            by=who,
            district_codes=tuple(codes) if codes is not None else None,
        )
        return entries(session=session, which=which)

    rows = read(db, work)
    if fmt is ListFormat.json:
        typer.echo(render.json_text(rows), nl=False)
        return
    flat = [log_row(row, language, full=fmt is ListFormat.csv) for row in rows]
    columns = ["business_date", "recorded_at", "by", "source", "batch", "record", "change"]
    if fmt is ListFormat.csv:
        typer.echo(render.csv_text(flat, columns), nl=False)
    elif flat:
        typer.echo(render.table(flat, columns, language, width=screen_width()))
    else:
        warn("no entries" if language == "en" else "没有记录")


RECORD_NAMES = {
    "enterprise": ("企业", "enterprise"),
    "plan": ("复产计划", "plan"),
    "problem": ("问题", "problem"),
    "labour": ("用工需求", "labour"),
    "batch": ("批次", "batch"),
}
KIND_LAYOUT = {
    "enterprise": "enterprises",
    "plan": "plans",
    "problem": "problems",
    "labour": "labour",
}


def log_row(row: dict, language: str, *, full: bool) -> dict:
    """A history entry as the officer reads it: 复产计划 #3 甲公司 · 状态=已复产."""
    from .. import render

    zh, en = RECORD_NAMES[row["record"]]
    name = en if language == "en" else zh
    record = f"{name} #{row['record_id']} {row['enterprise'] or ''}".strip()
    if row["action"] == "undo":
        change = row["change"]
        said = (
            f"undid batch {change['undid_batch']} ({change['undid_source']})"
            if language == "en"
            else f"撤销批次 {change['undid_batch']} ({change['undid_source']})"
        )
    else:
        said = render.change_text(KIND_LAYOUT[row["record"]], row["change"], language)
        if row["undone"]:
            said += (
                f" (undone by batch {row['undone_by']})"
                if language == "en"
                else f" (已由批次 {row['undone_by']} 撤销)"
            )
    recorded = row["recorded_at"] if full else row["recorded_at"][:19] + row["recorded_at"][26:]
    return {**row, "recorded_at": recorded, "record": record, "change": said}


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("log")(log)
    app.command("check")(check)
    app.command("undo")(undo)
    app.command("backup")(backup)
    app.add_typer(db_app, name="db")


@handles_errors
def check(
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of",
            metavar="日期",
            help="按这一天检查 (逾期、久未更新按此日算) / as of this day",
        ),
    ] = "today",
    district: DistrictOpt = None,
    fmt: Annotated[
        ListFormat, typer.Option("--format", metavar="格式", help="输出格式: table | csv | json")
    ] = ListFormat.table,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="先按历史重建报表缓存 (不改历史) / first remake the report cache from the history",
        ),
    ] = False,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """检查数据质量, 错误在前; 有错误时退出码为 1 / List data-quality findings.

    每条说明是哪类记录、哪个编号、哪家企业, 以及比较了什么 / each finding names its
    record, its enterprise and what was compared.

    示例 / Example: fugong check --district 沙湾 --as-of 2020-02-14
    """
    from .. import render
    from ..audit import KINDS, RECORDS, findings
    from ..clock import today

    language = lang_of(lang)
    day = parse_day(as_of, what="--as-of")
    if repair:
        _remake_report_cache(db)

    def work(session):
        return findings(
            session=session,
            today=today(),
            as_of=day,
            district_codes=scope_codes(session, district),
        )

    found = read(db, work)
    rows = [f.as_dict(language) for f in found]
    if fmt is ListFormat.json:
        typer.echo(render.json_text(rows), nl=False)
    elif fmt is ListFormat.csv:
        columns = [
            "severity",
            "code",
            "record",
            "record_id",
            "enterprise_id",
            "enterprise",
            "detail",
        ]
        typer.echo(render.csv_text(rows, columns), nl=False)
    elif rows:
        en = language == "en"
        shown = [
            {
                "severity": ("error" if en else "错误")
                if f.severity == "error"
                else ("warning" if en else "警告"),
                "code": KINDS[f.code][2 if en else 1],
                "record": f"{RECORDS[f.record][1 if en else 0]} #{f.record_id}",
                "enterprise": (
                    f"#{f.enterprise_id} {f.enterprise}" if f.enterprise_id is not None else ""
                ),
                "detail": f.en if en else f.zh,
            }
            for f in found
        ]
        typer.echo(
            render.table(
                shown,
                ["severity", "code", "record", "enterprise", "detail"],
                language,
                width=screen_width(),
            )
        )
    else:
        typer.echo("no findings" if language == "en" else "未发现问题", err=True)
    if any(f.severity == "error" for f in found):
        raise typer.Exit(1)


def _remake_report_cache(db: str | None) -> None:
    """The report's read model made again from the history (a cache: no batch)."""
    ledger_modules()
    from ..db import open_ledger
    from ..readmodel import remake

    ledger = open_ledger(db)
    try:
        ledger.write(remake)
    finally:
        ledger.engine.dispose()


@handles_errors
def undo(
    batch: Annotated[
        str,
        typer.Argument(
            metavar="批次", help="要撤销的批次 (见 fugong log) / the batch to take back"
        ),
    ],
    by: Annotated[
        str | None, typer.Option("--by", metavar="姓名", help="撤销人 / who undoes it")
    ] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """撤销一个批次 (一次导入或一条命令), 撤销本身也记入历史 / Take back one batch.

    示例 / Example: fugong undo 7
    """
    from ..db import open_ledger
    from ..undo import undo_batch
    from ..unit import write
    from ..writer import current_user
    from .common import command_line

    number = parse_id(batch, what="批次 / batch")
    ledger = open_ledger(db)
    try:
        _target, undone = write(
            ledger,
            lambda unit: undo_batch(unit, number),
            kind="undo",
            source=command_line(),
            by=current_user(by),
            note=f"undo {number}",
        )
    finally:
        ledger.engine.dispose()
    language = lang_of(lang)
    typer.echo(
        f"batch {number} undone (undo batch {undone.id})"
        if language == "en"
        else f"批次 {number} 已撤销 (撤销批次 {undone.id})"
    )


@handles_errors
def backup(
    file: Annotated[
        str, typer.Argument(metavar="文件", help="备份文件 (不得已存在) / where to write the copy")
    ],
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """备份 SQLite 账本 (他人写入时也一致) / Write a consistent copy of a SQLite ledger.

    示例 / Example: fugong backup 台账-2020-02-14.db
    """
    from pathlib import Path

    from ..audit import backup as copy
    from ..db import open_ledger

    ledger = open_ledger(db)
    copy(url=ledger.url, target=Path(file))
    typer.echo(f"wrote {file}" if lang_of(lang) == "en" else f"已备份到 {file}", err=True)
