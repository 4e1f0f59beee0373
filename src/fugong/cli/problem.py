"""fugong problem add|assign|resolve|reopen|list — 复产问题台账."""

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
    handles_errors,
    lang_of,
    parse_day,
    parse_id,
    parse_option,
    record,
)
from .lists import show_list

app = typer.Typer(help="Problems raised by enterprises (复产问题台账).", no_args_is_help=True)

Id = Annotated[str, typer.Argument(help="The problem's id (as `problem list` shows it).")]


def _id(text: str) -> int:
    return parse_id(text, what="问题编号 / problem id")


def _msg(language: str, zh: str, en: str) -> str:
    return en if language == "en" else zh


@app.command("add")
@handles_errors
def add(
    enterprise: Annotated[str, typer.Argument(help="The enterprise: USCC, exact name, or id.")],
    category: Annotated[
        str,
        typer.Option(
            "--category",
            help="用工 资金融资 原材料供应 物流运输 防疫物资 审批手续 政策兑现 "
            "能源要素 生产经营 其他",
        ),
    ],
    text: Annotated[str, typer.Option("--text", help="The problem, as the enterprise put it.")],
    department: Annotated[str | None, typer.Option("--department", help="主办单位.")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="办理时限 (a date).")] = None,
    ref: Annotated[str | None, typer.Option("--ref", help="The office's own number.")] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Record a problem an enterprise raised; prints its id.

    Example:
    fugong problem add 乐山某某公司 --category 物流运输 --text "原料运不进" --deadline 2020-02-15
    """
    from ..ledger import add_problem, find_enterprise
    from ..values import parse_term
    from ..vocab import CATEGORY

    language = lang_of(lang)
    on = parse_day(date)
    cat = parse_option(lambda t: parse_term(CATEGORY, t), category, "--category")
    due = parse_day(deadline, what="--deadline") if deadline else None

    def work(session, batch):
        ent = find_enterprise(session=session, ref=enterprise)
        problem = add_problem(
            session=session,
            batch=batch,
            on=on,
            enterprise=ent,
            category=cat,
            description=text,
            department=department,
            deadline=due,
            ref=ref,
        )
        return problem.id

    pid = record(db, by, work)
    typer.echo(_msg(language, f"已登记问题 #{pid}", f"recorded problem #{pid}"))


@app.command("assign")
@handles_errors
def assign(
    problem_id: Id,
    department: Annotated[str, typer.Option("--department", help="主办单位.")],
    deadline: Annotated[str | None, typer.Option("--deadline", help="办理时限.")] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Give a problem to the department that must solve it, with a deadline.

    Example: fugong problem assign 3 --department 区经信局 --deadline 2020-02-15
    """
    from ..ledger import assign_problem, get_problem

    language = lang_of(lang)
    on = parse_day(date)
    due = parse_day(deadline, what="--deadline") if deadline else None
    pid = _id(problem_id)

    def work(session, batch):
        problem = get_problem(session=session, problem_id=pid)
        return assign_problem(
            session=session,
            batch=batch,
            on=on,
            problem=problem,
            department=department,
            deadline=due,
        )

    diff = record(db, by, work)
    if diff:
        typer.echo(_msg(language, f"问题 #{pid} 已交办", f"problem #{pid} assigned"))
    else:
        typer.echo(_msg(language, "没有变化", "nothing changed"), err=True)


@app.command("resolve")
@handles_errors
def resolve(
    problem_id: Id,
    note: Annotated[str, typer.Option("--note", help="How it was solved (办理结果).")],
    date: DateOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Mark a problem solved (已办结).

    Example: fugong problem resolve 3 --note "已协调物流公司" --date 2020-02-12
    """
    from ..ledger import get_problem, resolve_problem

    language = lang_of(lang)
    on = parse_day(date)
    pid = _id(problem_id)

    def work(session, batch):
        problem = get_problem(session=session, problem_id=pid)
        resolve_problem(session=session, batch=batch, on=on, problem=problem, note=note)

    record(db, by, work)
    typer.echo(_msg(language, f"问题 #{pid} 已办结", f"problem #{pid} resolved"))


@app.command("reopen")
@handles_errors
def reopen(
    problem_id: Id,
    reason: Annotated[str, typer.Option("--reason", help="Why it is not solved after all.")],
    date: DateOpt = None,
    by: ByOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Reopen a resolved problem.

    Example: fugong problem reopen 3 --reason "物流再次中断"
    """
    from ..ledger import get_problem, reopen_problem

    language = lang_of(lang)
    on = parse_day(date)
    pid = _id(problem_id)

    def work(session, batch):
        problem = get_problem(session=session, problem_id=pid)
        reopen_problem(session=session, batch=batch, on=on, problem=problem, reason=reason)

    record(db, by, work)
    typer.echo(_msg(language, f"问题 #{pid} 已重新打开", f"problem #{pid} reopened"))


@app.command("list")
@handles_errors
def list_(
    district: DistrictOpt = None,
    as_of: AsOfOpt = "today",
    fmt: FormatOpt = ListFormat.table,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """List the problems as of a day (with `overdue`).

    Example: fugong problem list --district 沙湾 --format json
    """
    show_list("problems", db=db, district=district, as_of=as_of, fmt=fmt, lang=lang)
