"""fugong enterprise add|list|show|edit — the master record the three ledgers point at."""

from enum import Enum
from typing import Annotated

import typer

from .common import (
    AsOfOpt,
    ByOpt,
    DateOpt,
    DbOpt,
    DistrictOpt,
    LangOpt,
    ListFormat,
    RecordFormat,
    RecordFormatOpt,
    business_day,
    confirm,
    confirm_nothing,
    handles_errors,
    lang_of,
    parse_day,
    parse_option,
    read,
    record,
    say_former,
    screen_width,
    warn,
)
from .lists import (
    AboveScaleOpt,
    ListFormatOpt,
    OutputOpt,
    SearchOpt,
    SortOpt,
    show_list,
)

app = typer.Typer(help="登记和修改企业 / register and edit enterprises", no_args_is_help=True)

ABOVE_SCALE = typer.Option(
    "--above-scale/--not-above-scale", metavar="", help="是否规上企业 / above scale or not"
)
KEY = typer.Option("--key/--not-key", metavar="", help="是否重点企业 / key enterprise or not")
EMPLOYEES = typer.Option("--employees", metavar="人数", help="职工总数 / employees")
LIAISON = typer.Option("--liaison", metavar="姓名", help="挂联干部 / liaison officer")
CONTACT = typer.Option("--contact", metavar="姓名", help="联系人 / contact")
PHONE = typer.Option("--phone", metavar="电话", help="联系电话 / phone")

Ent = Annotated[
    str,
    typer.Argument(
        metavar="企业",
        help="企业: 统一社会信用代码、名称 (含曾用名) 或编号 / USCC, name or id",
    ),
]


def _uscc(text: str | None, lang: str) -> str | None:
    from ..values import normalize_uscc

    if text is None:
        return None
    code, check_ok = parse_option(normalize_uscc, text, "--uscc")
    if not check_ok:
        warn(
            f"warning: USCC {code}: wrong check character (accepted; `fugong check` lists it)"
            if lang == "en"
            else f"警告: 统一社会信用代码 {code} 校验位不符 (已接受; fugong check 会列出)"
        )
    return code


def _attrs(sector, employees) -> dict:
    from ..values import parse_count, parse_term
    from ..vocab import SECTOR

    return {
        "sector": parse_option(lambda t: parse_term(SECTOR, t), sector, "--sector"),
        "employees": parse_option(parse_count, employees, "--employees"),
    }


def _texts(**texts: str | None) -> dict:
    from ..values import check_text

    return {
        name: parse_option(lambda t: check_text(t, lines=False), text, f"--{name}")
        for name, text in texts.items()
    }


@app.command("add")
@handles_errors
def add(
    name: Annotated[
        str, typer.Argument(metavar="企业名称", help="企业名称, 按应显示的写法 / the name")
    ],
    district: Annotated[
        str,
        typer.Option("--district", metavar="区县", help="所属区县: 全称、简称或代码 / district"),
    ],
    uscc: Annotated[
        str | None,
        typer.Option("--uscc", metavar="代码", help="统一社会信用代码 (18 位) / USCC"),
    ] = None,
    sector: Annotated[
        str | None,
        typer.Option(
            "--sector", metavar="类型", help="企业类型: 工业 服务业 建筑业 农业 其他 / sector"
        ),
    ] = None,
    above_scale: Annotated[bool | None, ABOVE_SCALE] = None,
    key: Annotated[bool | None, KEY] = None,
    employees: Annotated[str | None, EMPLOYEES] = None,
    liaison: Annotated[str | None, LIAISON] = None,
    contact: Annotated[str | None, CONTACT] = None,
    phone: Annotated[str | None, PHONE] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """登记企业 / Register an enterprise.

    示例 / Example: fugong enterprise add 乐山某某有限公司 --district 沙湾 --above-scale
    --employees 120 --date 2020-02-05
    """
    from ..registry import resolve_district
    from ..values import check_name
    from ..writer import register_enterprise

    language = lang_of(lang)
    on = business_day(date)
    shown = parse_option(check_name, name, "企业名称 / NAME")
    code = _uscc(uscc, language)
    attrs = _attrs(sector, employees) | _texts(liaison=liaison, contact=contact, phone=phone)

    def work(unit):
        where = resolve_district(session=unit.session, text=district, county=True).code
        ent = register_enterprise(
            unit,
            on=on,
            name=shown,
            district=where,
            uscc=code,
            above_scale=above_scale,
            key_enterprise=key,
            **attrs,
        )
        return ent.id, ent.name

    typed = {"name": ("企业名称 / NAME", name), "uscc": ("--uscc", uscc), "date": ("--date", on)}
    eid, shown = record(db, by, work, typed=typed)
    said = f"registered #{eid} {shown}" if language == "en" else f"已登记企业 #{eid} {shown}"
    confirm(fmt, said, record="enterprise", rid=eid)


@app.command("edit")
@handles_errors
def edit(
    enterprise: Ent,
    name: Annotated[
        str | None, typer.Option("--name", metavar="名称", help="新名称 (改名) / new name")
    ] = None,
    district: Annotated[
        str | None,
        typer.Option("--district", metavar="区县", help="新的所属区县 (迁移) / new district"),
    ] = None,
    uscc: Annotated[
        str | None, typer.Option("--uscc", metavar="代码", help="统一社会信用代码 / USCC")
    ] = None,
    sector: Annotated[
        str | None,
        typer.Option(
            "--sector", metavar="类型", help="企业类型: 工业 服务业 建筑业 农业 其他 / sector"
        ),
    ] = None,
    above_scale: Annotated[bool | None, ABOVE_SCALE] = None,
    key: Annotated[bool | None, KEY] = None,
    employees: Annotated[str | None, EMPLOYEES] = None,
    liaison: Annotated[str | None, LIAISON] = None,
    contact: Annotated[str | None, CONTACT] = None,
    phone: Annotated[str | None, PHONE] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """从业务日期起修改企业信息 (改名、迁移、规上…) / Change an enterprise from a date on.

    示例 / Example: fugong enterprise edit 乐山某某有限公司 --not-above-scale --date 2020-02-20
    """
    from ..registry import district_names, find, resolve_district
    from ..render import change_text
    from ..values import check_name
    from ..writer import edit_enterprise

    language = lang_of(lang)
    on = business_day(date)
    code = _uscc(uscc, language)
    new_name = parse_option(check_name, name, "--name")
    attrs = _attrs(sector, employees) | _texts(liaison=liaison, contact=contact, phone=phone)

    def work(unit):
        found = find(session=unit.session, ref=enterprise)
        ent = found.enterprise
        changes = {
            "name": new_name,
            "district": (
                resolve_district(session=unit.session, text=district, county=True).code
                if district
                else None
            ),
            "uscc": code,
            "above_scale": above_scale,
            "key_enterprise": key,
            **attrs,
        }
        diff = edit_enterprise(unit, on=on, enterprise=ent, changes=changes)
        return ent.id, diff, found, district_names(unit.session)

    typed = {"name": ("--name", name), "uscc": ("--uscc", uscc), "date": ("--date", on)}
    typed["district"] = ("--district", district)
    eid, diff, found, places = record(db, by, work, typed=typed)
    say_former(found, language)
    if not diff:
        confirm_nothing(fmt, language, record="enterprise", rid=eid)
        return
    said = (
        f"#{eid} changed: {change_text('enterprises', diff, language, places)}"
        if language == "en"
        else f"#{eid} 已修改: {change_text('enterprises', diff, language, places)}"
    )
    confirm(fmt, said, record="enterprise", rid=eid)


class PlanChoice(str, Enum):
    kept = "kept"
    merged = "merged"


@app.command("merge")
@handles_errors
def merge(
    duplicate: Annotated[
        str,
        typer.Argument(
            metavar="重复企业",
            help="重复登记的那家: 代码、名称或编号 / the duplicate: USCC, name or id",
        ),
    ],
    into: Annotated[
        str,
        typer.Option(
            "--into", metavar="企业", help="保留的那家: 代码、名称或编号 / the one to keep"
        ),
    ],
    plan: Annotated[
        PlanChoice | None,
        typer.Option(
            "--plan",
            metavar="kept|merged",
            help="两家都有复产计划时沿用哪家的: kept 保留的 / merged 重复的 / whose plan goes on",
        ),
    ] = None,
    date: DateOpt = None,
    by: ByOpt = None,
    fmt: RecordFormatOpt = RecordFormat.text,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """合并重复登记的企业: 其问题、用工需求、名称和代码归保留的那家 / Merge a duplicate.

    合并后任何日期的数字都只算一家; fugong undo 可撤销合并 / after the merge the
    figures count one enterprise at every date; undo takes the merge back.

    示例 / Example: fugong enterprise merge 乐山某某有限责任公司 --into 乐山某某有限公司
    """
    from ..registry import find
    from ..writer import merge_enterprises

    language = lang_of(lang)
    on = business_day(date)

    def work(unit):
        dup = find(session=unit.session, ref=duplicate).enterprise
        keep = find(session=unit.session, ref=into).enterprise
        kept = merge_enterprises(
            unit, duplicate=dup, keep=keep, on=on, plan=plan.value if plan else None
        )
        return dup.id, dup.name, keep.id, keep.name, kept.id if kept is not None else None

    typed = {"into": ("--into", into), "date": ("--date", on)}
    did, dname, kid, kname, pid = record(db, by, work, typed=typed)
    if language == "en":
        said = f"merged #{did} {dname} into #{kid} {kname}"
        said += f"; plan #{pid} goes on" if pid is not None else ""
    else:
        said = f"已合并: #{did} {dname} → #{kid} {kname}"
        said += f"; 沿用复产计划 #{pid}" if pid is not None else ""
    confirm(fmt, said, record="enterprise", rid=kid)


@app.command("list")
@handles_errors
def list_(
    district: DistrictOpt = None,
    as_of: AsOfOpt = "today",
    above_scale: AboveScaleOpt = None,
    search: SearchOpt = None,
    sort: SortOpt = None,
    fmt: ListFormatOpt = None,
    output: OutputOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """列出截至某日在账的企业 / List the enterprises as of a day.

    示例 / Example: fugong enterprise list --district 沙湾 --above-scale --as-of 2020-02-14
    """
    from ..listing import Filters

    filters = Filters(above_scale=above_scale, search=search, sort=sort)
    show_list(
        "enterprises",
        db=db,
        district=district,
        as_of=as_of,
        fmt=fmt,
        lang=lang,
        filters=filters,
        output=output,
    )


@app.command("show")
@handles_errors
def show(
    enterprise: Ent,
    as_of: AsOfOpt = "today",
    fmt: Annotated[
        ListFormat, typer.Option("--format", metavar="格式", help="输出格式: table | json")
    ] = ListFormat.table,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """查看一家企业及其复产计划、问题、用工需求 / Show one enterprise as of a day.

    Example: fugong enterprise show 91511111MA0000000X
    """
    from .. import render
    from ..asof import View
    from ..listing import ROWS
    from ..registry import find_enterprise

    language = lang_of(lang)
    day = parse_day(as_of, what="--as-of")

    def work(session):
        ent = find_enterprise(session=session, ref=enterprise)
        view = View(day)
        return {
            ledger: ROWS[ledger](session=session, view=view, enterprise_id=ent.id)
            for ledger in ROWS
        }

    found = read(db, work)
    if not found["enterprises"]:
        from ..errors import FugongError

        raise FugongError(
            f"{enterprise} 截至 {day} 尚未登记", f"{enterprise} not in the ledger by {day}"
        )
    if fmt is ListFormat.json:
        doc = dict(found["enterprises"][0])
        doc["plan"] = found["plans"][0] if found["plans"] else None
        doc["problems"] = found["problems"]
        doc["labour"] = found["labour"]
        typer.echo(render.json_text(doc), nl=False)
        return
    ent = found["enterprises"][0]
    vocabs = render.VOCABS["enterprises"]
    lines = [
        f"{render.label(k, language)}: {render.display(v, language, vocabs.get(k))}"
        for k, v in ent.items()
        if v is not None
    ]
    typer.echo("\n".join(lines))
    from .lists import TABLE_COLUMNS

    for ledger, title in (
        ("plans", ("复产计划", "plan")),
        ("problems", ("复产问题", "problems")),
        ("labour", ("用工需求", "labour demand")),
    ):
        if found[ledger]:
            typer.echo(f"\n{title[1] if language == 'en' else title[0]}")
            typer.echo(
                render.table(
                    found[ledger], TABLE_COLUMNS[ledger], language, ledger, width=screen_width()
                )
            )


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="enterprise")
