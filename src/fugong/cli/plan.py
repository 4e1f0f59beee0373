"""fugong plan add|set|inspect|list — 企业复工复产计划台账."""

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
    parse_day,
    parse_option,
    record,
    say_former,
)
from .lists import (
    AboveScaleOpt,
    ListFormatOpt,
    OutputOpt,
    SearchOpt,
    SortOpt,
    show_list,
    status_filter,
)

app = typer.Typer(help="企业复工复产计划台账 / resumption plans", no_args_is_help=True)

Ent = Annotated[
    str,
    typer.Argument(
        metavar="企业", help="企业: 统一社会信用代码、名称 (含曾用名) 或编号 / USCC, name or id"
    ),
]
StatusOpt = Annotated[
    str,
    typer.Option(
        "--status",
        metavar="状态",
        help="复产状态 / status: 未停工 not_stopped · 计划复产 planned · 验收通过 approved · "
        "已复产 resumed · 暂缓 suspended · 剔除 excluded",
    ),
]


def _status(text: str) -> str:
    from ..values import parse_term
    from ..vocab import PLAN_STATUS

    return parse_option(lambda t: parse_term(PLAN_STATUS, t), text, "--status")


def _said(language: str, name: str, diff: dict) -> str:
    from ..render import change_text

    return f"{name}: {change_text('plans', diff, language)}" if diff else ""


def plan_id(unit, enterprise) -> int | None:
    from ..writer import plan_of

    plan = plan_of(unit, enterprise, create=False)
    return plan.id if plan is not None else None


def _reason(text: str | None, what: str = "--reason") -> str | None:
    from ..values import check_text

    return parse_option(check_text, text, what)


@app.command("add")
@handles_errors
def add(
    enterprise: Ent,
    status: StatusOpt,
    planned_on: Annotated[
        str | None,
        typer.Option("--planned-on", metavar="日期", help="计划复产日期 / planned resumption date"),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            metavar="原因",
            help="原因 (剔除时必填: 退规 / 注销 / 政策性停工 …) / why (needed for excluded)",
        ),
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """登记企业的复产计划 / Put an enterprise's plan into the ledger.

    示例 / Example: fugong plan add 乐山某某有限公司 --status planned --planned-on 2020-02-10
    """
    from ..registry import find
    from ..rules import PlanChange
    from ..writer import add_plan

    language = lang_of(lang)
    on = business_day(date)
    change = PlanChange(
        on=on,
        status=_status(status),
        planned_on=parse_day(planned_on, what="--planned-on") if planned_on else None,
        reason=_reason(reason),
    )

    def work(unit):
        found = find(session=unit.session, ref=enterprise)
        diff = add_plan(unit, enterprise=found.enterprise, change=change)
        return found, diff, plan_id(unit, found.enterprise)

    typed = {"status": ("--status", status), "date": ("--date", on)}
    found, diff, pid = record(db, by, work, typed=typed)
    say_former(found, language)
    confirm(fmt, _said(language, found.enterprise.name, diff), record="plan", rid=pid)


@app.command("set")
@handles_errors
def set_(
    enterprise: Ent,
    status: StatusOpt,
    returned: Annotated[
        str | None,
        typer.Option(
            "--returned", metavar="人数", help="到岗人数 (用于已复产) / workers back (with resumed)"
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            metavar="原因",
            help="原因 (剔除时必填: 退规 / 注销 / 政策性停工 …) / why (needed for excluded)",
        ),
    ] = None,
    planned_on: Annotated[
        str | None,
        typer.Option("--planned-on", metavar="日期", help="计划复产日期 / planned resumption date"),
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """从业务日期起改变复产状态 (已复产、暂缓、剔除…) / Change a plan's status from a date on.

    示例 / Example:
    fugong plan set 乐山某某有限公司 --status resumed --returned 50 --date 2020-02-13
    """
    from ..registry import find
    from ..rules import PlanChange
    from ..values import parse_count
    from ..writer import change_plan

    language = lang_of(lang)
    on = business_day(date)
    change = PlanChange(
        on=on,
        status=_status(status),
        returned=parse_option(parse_count, returned, "--returned"),
        reason=_reason(reason),
        planned_on=parse_day(planned_on, what="--planned-on") if planned_on else None,
    )

    def work(unit):
        found = find(session=unit.session, ref=enterprise)
        diff = change_plan(unit, enterprise=found.enterprise, change=change, action="set")
        return found, diff, plan_id(unit, found.enterprise)

    typed = {
        "status": ("--status", status),
        "returned": ("--returned", returned),
        "date": ("--date", on),
    }
    found, diff, pid = record(db, by, work, typed=typed)
    say_former(found, language)
    if not diff:
        confirm_nothing(fmt, language, record="plan", rid=pid)
    else:
        confirm(fmt, _said(language, found.enterprise.name, diff), record="plan", rid=pid)


@app.command("inspect")
@handles_errors
def inspect(
    enterprise: Ent,
    passed: Annotated[
        bool,
        typer.Option("--passed", metavar="", help="验收通过, 批准生产 / the inspection passed"),
    ] = False,
    failed: Annotated[
        bool, typer.Option("--failed", metavar="", help="验收未通过 / the inspection failed")
    ] = False,
    note: Annotated[
        str | None,
        typer.Option("--note", metavar="说明", help="验收情况说明 / what the inspectors found"),
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """登记验收: 通过即批准生产, 未通过仍为计划复产 / Record an inspection.

    示例 / Example: fugong plan inspect 乐山某某有限公司 --passed --date 2020-02-12
    """
    from ..registry import find
    from ..rules import PlanChange
    from ..writer import change_plan

    language = lang_of(lang)
    if passed == failed:  # a missing or contradictory option: a usage error (exit 2)
        raise typer.BadParameter("give exactly one of --passed, --failed (二选一)")
    on = business_day(date)
    change = PlanChange(
        on=on, inspection="passed" if passed else "failed", note=_reason(note, "--note")
    )

    def work(unit):
        found = find(session=unit.session, ref=enterprise)
        diff = change_plan(unit, enterprise=found.enterprise, change=change, action="inspect")
        return found, diff, plan_id(unit, found.enterprise)

    option = "--passed" if passed else "--failed"
    typed = {"inspection": (option, ""), "date": ("--date", on)}
    found, diff, pid = record(db, by, work, typed=typed)
    say_former(found, language)
    confirm(fmt, _said(language, found.enterprise.name, diff), record="plan", rid=pid)


@app.command("list")
@handles_errors
def list_(
    district: DistrictOpt = None,
    as_of: AsOfOpt = "today",
    status: Annotated[
        str | None, typer.Option("--status", metavar="状态", help="只列此状态 / only this status")
    ] = None,
    above_scale: AboveScaleOpt = None,
    search: SearchOpt = None,
    sort: SortOpt = None,
    fmt: ListFormatOpt = None,
    output: OutputOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """列出截至某日的复产计划 / List the plans as of a day.

    示例 / Example: fugong plan list --district 沙湾 --status 计划复产 --as-of 2020-02-14
    """
    from ..listing import Filters

    filters = Filters(
        status=status_filter(status, "plans"),
        above_scale=above_scale,
        search=search,
        sort=sort,
    )
    show_list(
        "plans",
        db=db,
        district=district,
        as_of=as_of,
        fmt=fmt,
        lang=lang,
        filters=filters,
        output=output,
    )


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="plan")
