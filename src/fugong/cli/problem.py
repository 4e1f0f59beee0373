"""fugong problem add|assign|resolve|reopen|list — 复产问题台账."""

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
    parse_id,
    parse_option,
    record,
    say_former,
)
from .lists import ListFormatOpt, OutputOpt, SearchOpt, SortOpt, show_list, status_filter

app = typer.Typer(help="复产问题台账 / problems raised by enterprises", no_args_is_help=True)

Id = Annotated[
    str, typer.Argument(metavar="编号", help="问题编号 (problem list 所示) / the problem id")
]


def _id(text: str) -> int:
    return parse_id(text, what="问题编号 / problem id")


def _msg(language: str, zh: str, en: str) -> str:
    return en if language == "en" else zh


def _text(text: str | None, what: str) -> str | None:
    from ..values import check_text

    return parse_option(check_text, text, what)


@app.command("add")
@handles_errors
def add(
    enterprise: Annotated[
        str,
        typer.Argument(
            metavar="企业", help="企业: 统一社会信用代码、名称 (含曾用名) 或编号 / USCC, name or id"
        ),
    ],
    category: Annotated[
        str,
        typer.Option(
            "--category",
            metavar="类别",
            help="问题类别 / category: 用工 资金融资 原材料供应 物流运输 防疫物资 审批手续 "
            "政策兑现 能源要素 生产经营 其他",
        ),
    ],
    text: Annotated[
        str,
        typer.Option(
            "--text", metavar="描述", help="问题描述 / the problem, as the enterprise put it"
        ),
    ],
    department: Annotated[
        str | None, typer.Option("--department", metavar="单位", help="主办单位 / lead department")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", metavar="日期", help="办理时限 / deadline")
    ] = None,
    ref: Annotated[
        str | None,
        typer.Option("--ref", metavar="编号", help="本单位的问题编号 / the office's own number"),
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """登记企业反映的问题, 显示其编号 / Record a problem; prints its id.

    示例 / Example:
    fugong problem add 乐山某某公司 --category 物流运输 --text "原料运不进" --deadline 2020-02-15
    """
    from ..registry import find
    from ..rules import ProblemChange
    from ..values import parse_term
    from ..vocab import CATEGORY
    from ..writer import add_problem

    language = lang_of(lang)
    on = business_day(date)
    change = ProblemChange(
        on=on,
        category=parse_option(lambda t: parse_term(CATEGORY, t), category, "--category"),
        description=_text(text, "--text"),
        department=_text(department, "--department"),
        deadline=parse_day(deadline, what="--deadline") if deadline else None,
    )
    number = _text(ref, "--ref")

    def work(unit):
        found = find(session=unit.session, ref=enterprise)
        problem = add_problem(unit, enterprise=found.enterprise, change=change, ref=number)
        return found, problem.id

    typed = {
        "category": ("--category", category),
        "description": ("--text", text),
        "department": ("--department", department),
        "deadline": ("--deadline", deadline),
        "ref": ("--ref", ref),
        "date": ("--date", on),
    }
    found, pid = record(db, by, work, typed=typed)
    say_former(found, language)
    confirm(
        fmt,
        _msg(language, f"已登记问题 #{pid}", f"recorded problem #{pid}"),
        record="problem",
        rid=pid,
    )


@app.command("assign")
@handles_errors
def assign(
    problem_id: Id,
    department: Annotated[
        str, typer.Option("--department", metavar="单位", help="主办单位 / lead department")
    ],
    deadline: Annotated[
        str | None, typer.Option("--deadline", metavar="日期", help="办理时限 / deadline")
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """交办问题给主办单位并定时限 / Give a problem to a department, with a deadline.

    示例 / Example: fugong problem assign 3 --department 区经信局 --deadline 2020-02-15
    """
    from ..rules import ProblemChange
    from ..writer import change_problem, get_problem

    language = lang_of(lang)
    on = business_day(date)
    pid = _id(problem_id)
    change = ProblemChange(
        on=on,
        department=_text(department, "--department") or "",
        deadline=parse_day(deadline, what="--deadline") if deadline else None,
    )

    def work(unit):
        problem = get_problem(unit, pid)
        return change_problem(unit, problem=problem, change=change, action="assign")

    typed = {
        "department": ("--department", department),
        "deadline": ("--deadline", deadline),
        "date": ("--date", on),
    }
    diff = record(db, by, work, typed=typed)
    if diff:
        confirm(
            fmt,
            _msg(language, f"问题 #{pid} 已交办", f"problem #{pid} assigned"),
            record="problem",
            rid=pid,
        )
    else:
        confirm_nothing(fmt, language, record="problem", rid=pid)


@app.command("resolve")
@handles_errors
def resolve(
    problem_id: Id,
    note: Annotated[
        str, typer.Option("--note", metavar="结果", help="办理结果 / how it was solved")
    ],
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """问题办结 / Mark a problem solved.

    示例 / Example: fugong problem resolve 3 --note "已协调物流公司" --date 2020-02-12
    """
    from ..writer import get_problem, resolve_problem

    language = lang_of(lang)
    on = business_day(date)
    pid = _id(problem_id)
    text = _text(note, "--note")

    def work(unit):
        resolve_problem(unit, problem=get_problem(unit, pid), note=text, on=on)

    record(db, by, work, typed={"resolution": ("--note", note), "date": ("--date", on)})
    confirm(
        fmt,
        _msg(language, f"问题 #{pid} 已办结", f"problem #{pid} resolved"),
        record="problem",
        rid=pid,
    )


@app.command("reopen")
@handles_errors
def reopen(
    problem_id: Id,
    reason: Annotated[
        str,
        typer.Option(
            "--reason", metavar="原因", help="重新打开的原因 / why it is not solved after all"
        ),
    ],
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """重新打开已办结的问题 / Reopen a resolved problem.

    示例 / Example: fugong problem reopen 3 --reason "物流再次中断"
    """
    from ..writer import get_problem, reopen_problem

    language = lang_of(lang)
    on = business_day(date)
    pid = _id(problem_id)
    text = _text(reason, "--reason")

    def work(unit):
        reopen_problem(unit, problem=get_problem(unit, pid), reason=text, on=on)

    record(db, by, work, typed={"reason": ("--reason", reason), "date": ("--date", on)})
    confirm(
        fmt,
        _msg(language, f"问题 #{pid} 已重新打开", f"problem #{pid} reopened"),
        record="problem",
        rid=pid,
    )


@app.command("edit")
@handles_errors
def edit(
    problem_id: Id,
    category: Annotated[
        str | None, typer.Option("--category", metavar="类别", help="问题类别 / category")
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", metavar="描述", help="问题描述 / the description")
    ] = None,
    department: Annotated[
        str | None, typer.Option("--department", metavar="单位", help="主办单位 / lead department")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", metavar="日期", help="办理时限 / deadline")
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """从某日起更正问题的类别、描述、主办单位或时限 / Correct a problem from a date on.

    示例 / Example: fugong problem edit 3 --category 物流运输 --date 2020-02-11
    """
    from ..errors import FugongError
    from ..rules import ProblemChange
    from ..values import parse_term
    from ..vocab import CATEGORY
    from ..writer import change_problem, get_problem

    language = lang_of(lang)
    if all(v is None for v in (category, text, department, deadline)):
        raise FugongError(
            "请给出要改的内容: --category、--text、--department 或 --deadline",
            "say what to change: --category, --text, --department or --deadline",
        )
    on = business_day(date)
    pid = _id(problem_id)
    change = ProblemChange(
        on=on,
        category=parse_option(lambda t: parse_term(CATEGORY, t), category, "--category"),
        description=_text(text, "--text"),
        department=_text(department, "--department"),
        deadline=parse_day(deadline, what="--deadline") if deadline else None,
    )

    def work(unit):
        return change_problem(unit, problem=get_problem(unit, pid), change=change, action="edit")

    typed = {
        "category": ("--category", category),
        "description": ("--text", text),
        "department": ("--department", department),
        "deadline": ("--deadline", deadline),
        "date": ("--date", on),
    }
    diff = record(db, by, work, typed=typed)
    if diff:
        from ..render import change_text

        said = change_text("problems", diff, language)
        confirm(
            fmt,
            _msg(language, f"问题 #{pid} 已修改: {said}", f"problem #{pid} changed: {said}"),
            record="problem",
            rid=pid,
        )
    else:
        confirm_nothing(fmt, language, record="problem", rid=pid)


@app.command("withdraw")
@handles_errors
def withdraw(
    problem_id: Id,
    reason: Annotated[
        str, typer.Option("--reason", metavar="原因", help="作废原因 / why it was a mistake")
    ],
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """作废误录的问题: 从所有数字和列表中去掉 / Withdraw a problem entered by mistake.

    Reports as known before the withdrawal still show it; `fugong undo` takes it back.

    示例 / Example: fugong problem withdraw 7 --reason "与问题 5 重复录入"
    """
    from ..writer import get_problem, withdraw_problem

    language = lang_of(lang)
    on = business_day(date)
    pid = _id(problem_id)
    text = _text(reason, "--reason")

    def work(unit):
        withdraw_problem(unit, problem=get_problem(unit, pid), reason=text, on=on)

    record(db, by, work, typed={"reason": ("--reason", reason), "date": ("--date", on)})
    confirm(
        fmt,
        _msg(language, f"问题 #{pid} 已作废", f"problem #{pid} withdrawn"),
        record="problem",
        rid=pid,
    )


@app.command("list")
@handles_errors
def list_(
    district: DistrictOpt = None,
    as_of: AsOfOpt = "today",
    status: Annotated[
        str | None,
        typer.Option("--status", metavar="状态", help="办理中 / 已办结 (open / resolved)"),
    ] = None,
    overdue: Annotated[
        bool | None,
        typer.Option("--overdue/--not-overdue", metavar="", help="只列逾期 / 未逾期的问题"),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option(
            "--department", metavar="单位", help="主办单位名称中含有 / part of the department"
        ),
    ] = None,
    search: SearchOpt = None,
    sort: SortOpt = None,
    fmt: ListFormatOpt = None,
    output: OutputOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """列出截至某日的问题 (含是否逾期) / List the problems as of a day.

    示例 / Example: fugong problem list --district 沙湾 --overdue --as-of 2020-02-14
    """
    from ..listing import Filters

    filters = Filters(
        status=status_filter(status, "problems"),
        overdue=overdue,
        department=department,
        search=search,
        sort=sort,
    )
    show_list(
        "problems",
        db=db,
        district=district,
        as_of=as_of,
        fmt=fmt,
        lang=lang,
        filters=filters,
        output=output,
    )


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="problem")
