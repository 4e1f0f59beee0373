"""fugong form list|show|fill — the forms the levels above ask for (表格抗疫).

A form is a superior's .xlsx template and a TOML mapping (forms.py); filling it
checks the template against the mapping, takes the figures from the report or
the rows from the lists, and writes a copy of the template with them
(form_fill.py, openpyxl: loaded only by these commands).
"""

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    AsOfOpt,
    DbOpt,
    LangOpt,
    handles_errors,
    lang_of,
    parse_day,
    read,
    screen_width,
    warn,
)

app = typer.Typer(
    help="上报表格 (表格抗疫): 用台账填写上级发来的 .xlsx 表样 / Upward forms: fill a "
    "superior's .xlsx template from the ledger.",
    no_args_is_help=True,
)


class FormListFormat(str, Enum):
    table = "table"
    json = "json"


FormArg = Annotated[
    str,
    typer.Argument(
        metavar="表单",
        help="表单名称 (见 fugong form list) 或表样 .xlsx 文件 / a form's name, or a template "
        ".xlsx file",
    ),
]
MapOpt = Annotated[
    str | None,
    typer.Option(
        "--map",
        metavar="映射",
        help="表样的映射文件 .toml (默认: 表样旁同名的 .toml) / the template's mapping",
    ),
]


def _zh_en(language: str, zh: str, en: str) -> str:
    return en if language == "en" else zh


@app.command("list")
@handles_errors
def list_(
    fmt: Annotated[
        FormListFormat, typer.Option("--format", metavar="格式", help="输出格式: table | json")
    ] = FormListFormat.table,
    lang: LangOpt = None,
) -> None:
    """列出表单: fugong 自带的和用户自己的 / List the forms: shipped and the user's own.

    示例 / Example: fugong form list --format json
    """
    from .. import render
    from ..errors import FugongError
    from ..forms import LEVEL_WORDS, all_forms, read_mapping, user_folder

    language = lang_of(lang)
    rows = []
    for ref in all_forms():
        try:
            mapping = read_mapping(ref.mapping)
            title, level, template = mapping.title, mapping.level, str(mapping.template)
        except FugongError as exc:
            warn(exc.text(language))
            title, level, template = "", "", ""
        rows.append(
            {
                "name": ref.name,
                "title": title,
                "level": level,
                "source": ref.source,
                "mapping": str(ref.mapping),
                "template": template,
            }
        )
    if fmt is FormListFormat.json:
        typer.echo(render.json_text(rows), nl=False)
        return
    words = {"shipped": ("内置", "shipped"), "user": ("用户", "user")}
    heads = (
        ("名称", "标题", "级别", "来源")
        if language != "en"
        else ("name", "title", "level", "source")
    )
    table = [
        dict(
            zip(
                heads,
                (
                    r["name"],
                    r["title"],
                    _zh_en(language, *LEVEL_WORDS.get(r["level"], ("?", "?"))) + f" ({r['level']})"
                    if r["level"]
                    else "?",
                    _zh_en(language, *words[r["source"]]),
                ),
                strict=True,
            )
        )
        for r in rows
    ]
    typer.echo(render.table(table, list(heads), language, width=screen_width()))
    folder = user_folder()
    typer.echo(
        _zh_en(
            language,
            f"\n用户表单文件夹: {folder} (环境变量 FUGONG_FORMS 可改); "
            "fugong form show 表单名 说明如何从一个表单做自己的表单",
            f"\nuser forms folder: {folder} (set FUGONG_FORMS to change it); "
            "fugong form show NAME tells how to start your own from a form",
        )
    )


@app.command("show")
@handles_errors
def show(
    form: FormArg,
    map_: MapOpt = None,
    lang: LangOpt = None,
) -> None:
    """查看表单: 表样和映射文件、各列对应的数字、如何复制修改 / Show a form.

    示例 / Example: fugong form show 规上工业企业复工复产进度表
    """
    import shlex

    from ..errors import FugongError
    from ..form_fill import check, load
    from ..forms import LEVEL_WORDS, all_forms, resolve, user_folder

    language = lang_of(lang)
    mapping = resolve(form, map_)
    source = next((r.source for r in all_forms() if r.mapping == mapping.path), "file")
    say = []
    source_word = {
        "shipped": ("内置", "shipped"),
        "user": ("用户", "user"),
        "file": ("文件", "file"),
    }
    level_zh, level_en = LEVEL_WORDS[mapping.level]
    z = language != "en"
    say.append(
        f"{'表单' if z else 'form'}: {mapping.path.stem} ({_zh_en(language, *source_word[source])})"
    )
    say.append(f"{'标题' if z else 'title'}: {mapping.title}")
    if mapping.description:
        say.append(f"{'说明' if z else 'about'}: {mapping.description}")
    rows_zh = "每行一个区县" if mapping.level == "district" else "每行一个企业"
    rows_en = "a row per district" if mapping.level == "district" else "a row per enterprise"
    say.append(
        f"{'级别' if z else 'level'}: {mapping.level} ({level_zh if z else level_en}: "
        f"{rows_zh if z else rows_en})"
    )
    say.append(f"{'模板' if z else 'template'}: {mapping.template.absolute()}")
    say.append(f"{'映射' if z else 'mapping'}: {mapping.path.absolute()}")
    letters: list[str] = []
    placed: dict[str, str] = {}  # a fixed cell's mapping key -> where it is in the template
    try:
        from openpyxl.utils import get_column_letter

        wb, _notes = load(mapping)
        layout = check(wb, mapping)
        letters = [get_column_letter(c) for c in layout.columns]
        placed = {item.where: f"{get_column_letter(c)}{r}" for item, r, c in layout.cells}
        first_data = layout.header_bottom + 1
        span = (
            f"{layout.header_top}"
            if layout.header_top == layout.header_bottom
            else f"{layout.header_top}–{layout.header_bottom}"
        )
        say.append(
            _zh_en(
                language,
                f"工作表: {layout.sheet.title}; 表头: 第 {span} 行; 数据从第 {first_data} 行起",
                f"sheet: {layout.sheet.title}; header: row {span}; data from row {first_data}",
            )
        )
    except FugongError as exc:
        say.append(_zh_en(language, "模板检查未通过:", "the template check fails:"))
        say.append(exc.text(language))
    say.append(_zh_en(language, "列 (表头 → 字段):", "columns (header → field):"))
    for i, column in enumerate(mapping.columns):
        where = letters[i] if letters else f"#{i + 1}"
        f = column.field
        target = f"{f.key} {f.zh}" if f.key else _zh_en(language, "（留空）", "(left blank)")
        fmt = f" [{column.format}]" if column.format else ""
        say.append(f"  {where:>3}  {column.label}  →  {target}{fmt}")
    if mapping.total:
        at = _zh_en(
            language,
            "表尾" if mapping.total_at == "bottom" else "表头下第一行",
            "at the bottom" if mapping.total_at == "bottom" else "first, under the header",
        )
        say.append(
            _zh_en(
                language,
                f"合计行: '{mapping.total}' ({at})",
                f"total row: '{mapping.total}' ({at})",
            )
        )
    filters = []
    if mapping.above_scale is not None:
        filters.append(f"above_scale = {str(mapping.above_scale).lower()}")
    if mapping.sectors:
        filters.append(f"sectors = {list(mapping.sectors)}")
    if mapping.statuses:
        filters.append(f"statuses = {list(mapping.statuses)}")
    if mapping.all_enterprises:
        filters.append("all_enterprises = true")
    if filters:
        say.append(_zh_en(language, "筛选: ", "rows: ") + "; ".join(filters))
    if mapping.cells:
        say.append(_zh_en(language, "固定单元格:", "fixed cells:"))
        for item in mapping.cells:
            place = item.cell or _zh_en(
                language, f"含 '{item.find}' 的单元格", f"the cell with '{item.find}'"
            )
            if item.put == "right":
                place += _zh_en(language, " 右边一格", ", the cell on its right")
            if item.where in placed and placed[item.where] != item.cell:
                place = f"{placed[item.where]} ({place})"
            fmt = f" [{item.format}]" if item.format else ""
            say.append(f"  {place}  ←  {item.value}{fmt}")
    folder = user_folder()
    files = [str(mapping.template.absolute()), str(mapping.path.absolute())]
    copy = shlex.join(["cp", *files, str(folder) + os.sep])
    say.append(
        _zh_en(
            language,
            "照此做自己的表单: 把两个文件复制到用户表单文件夹, 改成同一个新名字, "
            "再按上级的模板修改映射:",
            "to start your own from it: copy both files into your forms folder, give both one "
            "new name, and edit the mapping to your superior's template:",
        )
    )
    say.append(f"  mkdir -p {shlex.quote(str(folder))}")
    say.append(f"  {copy}")
    say.append(
        _zh_en(
            language,
            '  (改名后把映射中的 template = "….xlsx" 改成新的模板文件名, 或删去这一行)',
            '  (after renaming, set template = "….xlsx" in the mapping to the new file name, '
            "or remove that line)",
        )
    )
    typer.echo("\n".join(say))


@app.command("fill")
@handles_errors
def fill(
    form: FormArg,
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", metavar="文件", help="填好的工作簿 (.xlsx) / the filled workbook"
        ),
    ],
    map_: MapOpt = None,
    district: Annotated[
        str | None,
        typer.Option(
            "--district",
            metavar="区县",
            help="只填一个区县 (全称、简称或代码; 默认全市) / one district (default: the city)",
        ),
    ] = None,
    as_of: AsOfOpt = "today",
    known_at: Annotated[
        str | None,
        typer.Option(
            "--known-at",
            metavar="时刻",
            help="按此时刻已记录的内容填写 (ISO 8601) / as known at this moment",
        ),
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(
            "--unit",
            metavar="单位",
            help="填报单位 (默认 $FUGONG_UNIT, 否则映射中的 unit) / reporting unit",
        ),
    ] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """按表样填表: 截至某日的台账数字写入表样的副本 / Fill a form from the ledger.

    示例 / Example: fugong form fill 规上工业企业复工复产进度表 --as-of 2020-02-14 -o 进度表.xlsx
    """
    from datetime import UTC

    from .. import __version__, clock
    from ..errors import FugongError
    from ..form_fill import check, load, provenance, save
    from ..form_fill import fill as fill_in
    from ..forms import Context, district_rows, enterprise_rows, enterprise_total, resolve
    from ..output import check_target
    from .common import ledger_file, parse_known_at

    language = lang_of(lang)
    if output.suffix.lower() != ".xlsx":
        raise FugongError(
            f"-o {output}: 表单只能写成 .xlsx 工作簿",
            f"-o {output}: a form is written as an .xlsx workbook only",
        )
    day = parse_day(as_of, what="--as-of")
    moment = parse_known_at(known_at)
    mapping = resolve(form, map_)
    check_target(output, ledger_file=ledger_file(db), inputs=[mapping.template, mapping.path])
    wb, notes = load(mapping)
    layout = check(wb, mapping)
    filled_by = unit if unit is not None else os.environ.get("FUGONG_UNIT") or mapping.unit or ""

    def work(session):
        from ..registry import district_codes_in, resolve_district, the_city

        if district is not None:
            scope = resolve_district(session=session, text=district)
        else:
            scope = the_city(session=session)
        if mapping.level == "district":
            rows, total, doc = district_rows(
                session=session, scope=scope, as_of=day, known_at=moment, mapping=mapping
            )
        else:
            codes = district_codes_in(session=session, district=scope)
            rows = enterprise_rows(
                session=session, codes=codes, as_of=day, known_at=moment, mapping=mapping
            )
            total = enterprise_total(rows, mapping) if mapping.total else None
            doc = {}
        return scope.code, scope.name, rows, total, doc.get("generated_at")

    code, name, rows, total, generated = read(db, work)
    zone = clock.office_zone()
    if generated:
        from datetime import datetime

        generated_at = datetime.fromisoformat(generated).astimezone(zone)
    else:
        generated_at = clock.now_utc().replace(tzinfo=UTC).astimezone(zone)
    context = Context(
        form=mapping.path.stem,
        title=mapping.title,
        scope=name,
        scope_code=code,
        unit=filled_by,
        today=clock.today(),
        as_of=day,
        known_at=moment.replace(tzinfo=UTC).astimezone(zone) if moment else None,
        generated_at=generated_at,
        version=__version__,
    )
    absent = fill_in(wb, layout, mapping, rows, total, context)
    provenance(wb, mapping, context, len(rows), language)
    save(wb, output)
    for note in notes:
        if note == "drawings":
            warn(
                _zh_en(
                    language,
                    "注意: 模板中的图形、文本框不会保留 (openpyxl 不读它们)",
                    "note: shapes and text boxes of the template are not kept (openpyxl "
                    "does not read them)",
                )
            )
        else:
            warn(_zh_en(language, f"注意: {note}", f"note: {note}"))
    if absent:
        warn(
            _zh_en(
                language,
                f"注意: 此版本 fugong 的报表没有 {', '.join(absent)}, 这些单元格留空",
                f"note: this fugong's report has no {', '.join(absent)}; those cells are blank",
            )
        )
    if not filled_by and any("{unit}" in c.value or "{填报单位}" in c.value for c in mapping.cells):
        warn(
            _zh_en(
                language,
                "注意: 未给出填报单位 (--unit 或环境变量 FUGONG_UNIT)",
                "note: no 填报单位 given (--unit or FUGONG_UNIT)",
            )
        )
    typer.echo(
        _zh_en(language, f"已写入 {output} ({len(rows)} 行)", f"wrote {output} ({len(rows)} rows)"),
        err=True,
    )


class Level(str, Enum):
    enterprise = "enterprise"
    district = "district"


@app.command("new")
@handles_errors
def new(
    template: Annotated[
        Path,
        typer.Argument(metavar="表样", help="上级发来的表样 (.xlsx) / the superior's template"),
    ],
    level: Annotated[
        Level | None,
        typer.Option(
            "--level",
            metavar="district|enterprise",
            help="区县级或企业级 (默认按表头判断) / district or enterprise level",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="文件",
            help="写出的映射 (默认: 表样名.toml) / the mapping to write",
        ),
    ] = None,
    lang: LangOpt = None,
) -> None:
    """为上级的新表样生成映射初稿: 表头和能识别的字段 / Draft a mapping for a template.

    示例 / Example: fugong form new 上级新表.xlsx && fugong form fill 上级新表.xlsx -o 上报.xlsx
    """
    from ..errors import FugongError
    from ..form_fill import draft
    from ..output import check_target, write_text

    language = lang_of(lang)
    if template.suffix.lower() != ".xlsx":
        raise FugongError(
            f"{template}: 模板须为 .xlsx 工作簿", f"{template}: the template must be .xlsx"
        )
    target = output or template.with_suffix(".toml")
    if target.suffix.lower() != ".toml":
        raise FugongError(f"-o {target}: 映射文件须为 .toml", f"-o {target}: a mapping is .toml")
    if target.exists():
        raise FugongError(
            f"{target} 已存在, 未覆盖 (用 -o 写到别处)",
            f"{target} exists; not overwritten (write elsewhere with -o)",
        )
    check_target(target, inputs=[template])
    text, chosen, named, blank = draft(template, level.value if level else None)
    if output is not None and target.parent.resolve() != template.parent.resolve():
        text = text.replace(f'template = "{template.name}"', f'template = "{template.resolve()}"')
    write_text(target, text + "\n")
    typer.echo(
        _zh_en(
            language,
            f"已写入 {target}: {chosen} 级, {named} 列已对应字段, {blank} 列留空; "
            f"请检查后运行 fugong form show {shlex_quote(template)}",
            f"wrote {target}: level {chosen}, {named} columns mapped, {blank} left blank; "
            f"check it, then run fugong form show {shlex_quote(template)}",
        ),
        err=True,
    )


def shlex_quote(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="form")
