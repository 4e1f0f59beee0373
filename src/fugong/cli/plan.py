"""fugong plan add|set|inspect|list — 企业复工复产计划台账."""

from typing import Annotated

import typer

from .common import (
    AsOfOpt,
    ByOpt,
    DateOpt,
    DbOpt,
    DistrictOpt,
    FormatOpt,
    LangOpt,
    ListFormat,
    business_day,
    handles_errors,
    lang_of,
    parse_day,
    parse_option,
    record,
    say_former,
    warn,
)
from .lists import show_list

app = typer.Typer(help="Resumption plans (复工复产计划台账).", no_args_is_help=True)

Ent = Annotated[str, typer.Argument(help="The enterprise: USCC, exact name, or id.")]
StatusOpt = Annotated[
    str,
    typer.Option(
        "--status",
        help="not_stopped 未停工 · planned 计划复产 · approved 验收通过 · resumed 已复产 · "
        "suspended 暂缓 · excluded 剔除",
    ),
]


def _status(text: str) -> str:
    from ..values import parse_term
    from ..vocab import PLAN_STATUS

    return parse_option(lambda t: parse_term(PLAN_STATUS, t), text, "--status")


def _said(language: str, name: str, diff: dict) -> str:
    from ..render import change_text

    return f"{name}: {change_text('plans', diff, language)}" if diff else ""


def _reason(text: str | None, what: str = "--reason") -> str | None:
    from ..values import check_text

    return parse_option(check_text, text, what)


@app.command("add")
@handles_errors
def add(
    enterprise: Ent,
    status: StatusOpt,
    planned_on: Annotated[str | None, typer.Option("--planned-on", help="计划复产日期.")] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (needed for excluded).")
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Put an enterprise's plan into the ledger.

    Example: fugong plan add 乐山某某有限公司 --status planned --planned-on 2020-02-10
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
        return found, add_plan(unit, enterprise=found.enterprise, change=change)

    typed = {"status": ("--status", status), "date": ("--date", on)}
    found, diff = record(db, by, work, typed=typed)
    say_former(found, language)
    typer.echo(_said(language, found.enterprise.name, diff))


@app.command("set")
@handles_errors
def set_(
    enterprise: Ent,
    status: StatusOpt,
    returned: Annotated[
        str | None, typer.Option("--returned", help="到岗人数 (with resumed).")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (needed for excluded).")
    ] = None,
    planned_on: Annotated[str | None, typer.Option("--planned-on", help="计划复产日期.")] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Change a plan's status (resumed, suspended, excluded …) from a business date on.

    Example: fugong plan set 乐山某某有限公司 --status resumed --returned 50 --date 2020-02-13
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
        return found, change_plan(unit, enterprise=found.enterprise, change=change, action="set")

    typed = {
        "status": ("--status", status),
        "returned": ("--returned", returned),
        "date": ("--date", on),
    }
    found, diff = record(db, by, work, typed=typed)
    say_former(found, language)
    if not diff:
        warn("nothing changed" if language == "en" else "没有变化")
    else:
        typer.echo(_said(language, found.enterprise.name, diff))


@app.command("inspect")
@handles_errors
def inspect(
    enterprise: Ent,
    passed: Annotated[
        bool, typer.Option("--passed", help="The inspection passed (验收通过).")
    ] = False,
    failed: Annotated[bool, typer.Option("--failed", help="The inspection failed.")] = False,
    note: Annotated[str | None, typer.Option("--note", help="What the inspectors found.")] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Record an inspection (验收): a pass approves production, a failure keeps it planned.

    Example: fugong plan inspect 乐山某某有限公司 --passed --date 2020-02-12
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
        return found, diff

    option = "--passed" if passed else "--failed"
    typed = {"inspection": (option, ""), "date": ("--date", on)}
    found, diff = record(db, by, work, typed=typed)
    say_former(found, language)
    typer.echo(_said(language, found.enterprise.name, diff))


@app.command("list")
@handles_errors
def list_(
    district: DistrictOpt = None,
    as_of: AsOfOpt = "today",
    fmt: FormatOpt = ListFormat.table,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """List the plans as of a day.

    Example: fugong plan list --district 沙湾 --as-of 2020-02-14 --format json
    """
    show_list("plans", db=db, district=district, as_of=as_of, fmt=fmt, lang=lang)
