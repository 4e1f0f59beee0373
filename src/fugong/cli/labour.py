"""fugong labour add|fill|list — 用工需求台账."""

from typing import Annotated

import typer

from .common import (
    AsOfOpt,
    ByOpt,
    DateOpt,
    DbOpt,
    DistrictOpt,
    LangOpt,
    RecordFormat,
    RecordFormatOpt,
    business_day,
    confirm,
    confirm_nothing,
    handles_errors,
    lang_of,
    parse_id,
    parse_option,
    record,
    say_former,
)
from .lists import ListFormatOpt, OutputOpt, SearchOpt, SortOpt, show_list

app = typer.Typer(help="用工需求台账 / labour demand", no_args_is_help=True)


@app.command("add")
@handles_errors
def add(
    enterprise: Annotated[
        str,
        typer.Argument(
            metavar="企业", help="企业: 统一社会信用代码、名称 (含曾用名) 或编号 / USCC, name or id"
        ),
    ],
    job: Annotated[
        str,
        typer.Option(
            "--job",
            metavar="工种",
            help="工种: 普工 技工 工程师 管理人员 营销 其他, 或自填 / job type",
        ),
    ],
    needed: Annotated[
        str, typer.Option("--needed", metavar="人数", help="需求人数 / how many are needed")
    ],
    filled: Annotated[
        str | None,
        typer.Option("--filled", metavar="人数", help="已招人数 / how many are already hired"),
    ] = None,
    requirements: Annotated[
        str | None, typer.Option("--requirements", metavar="要求", help="技能要求 / requirements")
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """登记企业某一工种的用工需求, 显示其编号 / Record a labour demand; prints its id.

    示例 / Example: fugong labour add 乐山某某有限公司 --job 普工 --needed 30
    """
    from ..registry import find
    from ..rules import LabourChange
    from ..values import check_text, parse_count, parse_job
    from ..writer import add_labour

    language = lang_of(lang)
    on = business_day(date)
    job_type = parse_option(parse_job, job, "--job")
    parse_option(lambda t: check_text(t, lines=False), job, "--job")
    change = LabourChange(
        on=on,
        needed=parse_option(parse_count, needed, "--needed"),
        filled=parse_option(parse_count, filled, "--filled") or 0,
        requirements=parse_option(check_text, requirements, "--requirements"),
    )

    def work(unit):
        found = find(session=unit.session, ref=enterprise)
        return found, add_labour(
            unit, enterprise=found.enterprise, job_type=job_type, change=change
        ).id

    typed = {
        "job_type": ("--job", job),
        "needed": ("--needed", needed),
        "filled": ("--filled", filled),
        "date": ("--date", on),
    }
    found, lid = record(db, by, work, typed=typed)
    say_former(found, language)
    said = f"recorded labour demand #{lid}" if language == "en" else f"已登记用工需求 #{lid}"
    confirm(fmt, said, record="labour", rid=lid)


@app.command("fill")
@handles_errors
def fill(
    labour_id: Annotated[
        str, typer.Argument(metavar="编号", help="用工需求编号 / the labour demand id")
    ],
    count: Annotated[
        str,
        typer.Option(
            "--count", metavar="人数", help="新招人数 (累加) / how many more were hired (added)"
        ),
    ],
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """新招到的人数累加到用工需求 / Add newly hired workers.

    示例 / Example: fugong labour fill 1 --count 10 --date 2020-02-13
    """
    from ..values import parse_count
    from ..writer import fill_labour, get_labour

    language = lang_of(lang)
    on = business_day(date)
    lid = parse_id(labour_id, what="用工需求编号 / labour id")
    add_count = parse_option(parse_count, count, "--count")

    def work(unit):
        return fill_labour(unit, labour=get_labour(unit, lid), count=add_count, on=on)

    filled = record(db, by, work, typed={"filled": ("--count", count), "date": ("--date", on)})
    said = f"#{lid} filled {filled}" if language == "en" else f"#{lid} 已招 {filled} 人"
    confirm(fmt, said, record="labour", rid=lid)


@app.command("set")
@handles_errors
def set_(
    labour_id: Annotated[
        str, typer.Argument(metavar="编号", help="用工需求编号 / the labour demand id")
    ],
    needed: Annotated[
        str | None,
        typer.Option("--needed", metavar="人数", help="现在的需求人数 / how many are needed now"),
    ] = None,
    filled: Annotated[
        str | None,
        typer.Option(
            "--filled", metavar="人数", help="已招人数 (总数) / how many are hired in all"
        ),
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """更正用工需求的人数 (绝对数) / Set a labour demand's figures.

    `labour fill` adds to what is hired; `labour set` states it.

    示例 / Example: fugong labour set 1 --needed 25 --filled 12 --date 2020-02-13
    """
    from ..errors import FugongError
    from ..render import change_text
    from ..rules import LabourChange
    from ..values import parse_count
    from ..writer import get_labour, set_labour

    language = lang_of(lang)
    if needed is None and filled is None:
        raise FugongError("请给出 --needed 或 --filled", "give --needed or --filled")
    on = business_day(date)
    lid = parse_id(labour_id, what="用工需求编号 / labour id")
    change = LabourChange(
        on=on,
        needed=parse_option(parse_count, needed, "--needed"),
        filled=parse_option(parse_count, filled, "--filled"),
    )

    def work(unit):
        return set_labour(unit, labour=get_labour(unit, lid), change=change)

    typed = {"needed": ("--needed", needed), "filled": ("--filled", filled), "date": ("--date", on)}
    diff = record(db, by, work, typed=typed)
    if diff:
        said = change_text("labour", diff, language)
        said = f"#{lid} set: {said}" if language == "en" else f"#{lid} 已更正: {said}"
        confirm(fmt, said, record="labour", rid=lid)
    else:
        confirm_nothing(fmt, language, record="labour", rid=lid)


@app.command("list")
@handles_errors
def list_(
    district: DistrictOpt = None,
    as_of: AsOfOpt = "today",
    search: SearchOpt = None,
    sort: SortOpt = None,
    fmt: ListFormatOpt = None,
    output: OutputOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """列出截至某日的用工需求 (缺口 = 需求 − 已招) / List labour demand as of a day.

    示例 / Example: fugong labour list --district 沙湾 --sort -gap --as-of 2020-02-14
    """
    from ..listing import Filters

    show_list(
        "labour",
        db=db,
        district=district,
        as_of=as_of,
        fmt=fmt,
        lang=lang,
        filters=Filters(search=search, sort=sort),
        output=output,
    )


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="labour")
