"""The `fugong` command line: one Typer app per noun, wired together here.

Only Typer and the light modules are imported at start-up: the root lists its
commands from a table (COMMANDS) and imports a noun's module only when one of
its commands runs or shows its help; every command imports the ledger
(SQLAlchemy) when it runs.  So `fugong --help` builds no command at all, and
`fugong report` builds only `report`.
"""

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from . import i18n

i18n.install()

# Every command of the root, in the order `fugong --help` lists them (Typer's:
# commands first, then groups): its name, the module here whose register(app)
# adds it, and the first paragraph of its help as that list shows it.  A new
# command of the root goes here as well as into its module's register();
# tests/test_startup.py checks the two agree, help text included.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "init",
        "admin",
        "建立账本, 或把旧账本升级到当前结构 / Create the ledger, or upgrade an older one.",
    ),
    (
        "log",
        "admin",
        "查看历史, 最新的在前: 业务日期、记录时间、记录人、来源、变更 / Show the history.",
    ),
    ("check", "admin", "检查数据质量, 错误在前; 有错误时退出码为 1 / List data-quality findings."),
    (
        "undo",
        "admin",
        "撤销一个批次 (一次导入或一条命令), 撤销本身也记入历史 / Take back one batch.",
    ),
    (
        "backup",
        "admin",
        "备份 SQLite 账本 (他人写入时也一致) / Write a consistent copy of a SQLite ledger.",
    ),
    (
        "report",
        "report",
        "报告: 一个区县, 或全市 (每区县一行加合计) / The figures of a district or the city.",
    ),
    ("trend", "trend", "逐日数字: 每天一行, 与当天的 report 相同 / The figures day by day."),
    (
        "import",
        "io",
        "导入表格 (CSV 或工作簿) 到台账: 全部导入或全不导入, 与已有记录对照 /\n"
        "Import a sheet (CSV or workbook): all rows or none.",
    ),
    (
        "export",
        "io",
        "按导入的格式导出台账: CSV (UTF-8 带 BOM)、JSON 或工作簿 /\n"
        "Export a ledger in the import layout.",
    ),
    ("enterprise", "enterprise", "登记和修改企业 / register and edit enterprises"),
    ("plan", "plan", "企业复工复产计划台账 / resumption plans"),
    ("problem", "problem", "复产问题台账 / problems raised by enterprises"),
    ("labour", "labour", "用工需求台账 / labour demand"),
    ("db", "admin", "账本在哪里 / where the ledger is"),
    (
        "form",
        "form",
        "上报表格 (表格抗疫): 用台账填写上级发来的 .xlsx 表样 / Upward forms: fill a "
        "superior's .xlsx template from the ledger.",
    ),
)
MODULES = tuple(dict.fromkeys(module for _, module, _ in COMMANDS))


def build(module: str) -> dict[str, TyperCommand | TyperGroup]:
    """The commands that cli module `module` registers, built as the root builds them."""
    partial = typer.Typer(
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
        suggest_commands=app.suggest_commands,
    )
    importlib.import_module(f"{__name__}.{module}").register(partial)
    return dict(typer.main.get_group(partial).commands)


class _Commands(MutableMapping):
    """The root's commands by name.  The names come from COMMANDS; a command is built
    (its module imported, its signature read) the first time it is looked up, so
    walking the whole mapping still gives the whole tree."""

    def __init__(self, built: MutableMapping) -> None:
        self.built = dict(built)
        self.names = [name for name, _, _ in COMMANDS]
        self.names += [name for name in self.built if name not in self.names]
        self.module = {name: module for name, module, _ in COMMANDS}

    def __getitem__(self, name: str):
        if name not in self.built and name in self.module:
            self.built.update(build(self.module[name]))
        return self.built[name]

    def __setitem__(self, name: str, command) -> None:
        if name not in self.names:
            self.names.append(name)
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        self[name]  # noqa: B018 — a KeyError for a name that is not there
        del self.built[name]
        self.names.remove(name)
        self.module.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.names))

    def __len__(self) -> int:
        return len(self.names)


class LazyRoot(TyperGroup):
    """The root group: its help lists the commands from COMMANDS without building them."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands(self.commands)
        self._listing = False

    def list_commands(self, ctx) -> list[str]:
        return list(self.commands)  # TyperGroup's reads every value: builds every command

    def get_command(self, ctx, cmd_name: str):
        if self._listing and cmd_name not in self.commands.built:
            # only the name and the help are read for the list of commands
            for name, _, text in COMMANDS:
                if name == cmd_name:
                    return TyperCommand(name, help=text, rich_markup_mode=self.rich_markup_mode)
        return self.commands.get(cmd_name)

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="fugong",
    cls=LazyRoot,
    help="复工 — 企业复工复产台账: 复产计划、复产问题、用工需求 / the work-resumption ledgers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fugong {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="显示版本 / print the version"
        ),
    ] = False,
) -> None:
    """复工 — 区县和市的企业复工复产台账 / the resumption ledgers of a district or city office."""


# Environment variables fugong reads: checked like the arguments.
ENVIRONMENT = ("FUGONG_DB", "FUGONG_USER", "FUGONG_LANG", "FUGONG_TZ", "FUGONG_FORMS")


def _undecodable() -> str | None:
    """The first argument or variable that is not valid UTF-8 (Python keeps such
    bytes as surrogates, which nothing downstream can store or print)."""
    import os
    import sys

    named = [(f"参数 {i} / argument {i}", a) for i, a in enumerate(sys.argv[1:], 1)]
    named += [(name, os.environ[name]) for name in ENVIRONMENT if name in os.environ]
    for what, value in named:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            return f"{what}: {shown}"
    return None


def main() -> None:
    import gc
    import sys

    bad = _undecodable()
    if bad is not None:
        sys.stderr.write(f"错误: 含有无效的 UTF-8 字节 / not valid UTF-8: {bad}\n")
        sys.exit(1)
    try:
        app()
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    try:
        sys.stdout.flush()
    except OSError as exc:  # the last bytes of a document could not be written
        from .common import silence_stdout

        silence_stdout()
        sys.stderr.write(f"错误: 无法写入标准输出 / cannot write stdout: {exc.strerror}\n")
        code = 1
    # The process ends here.  At shutdown the collector walks every object left
    # (SQLAlchemy's and pydantic's are many) several times: ~90 ms after a report,
    # as long as its queries.  Frozen objects are skipped and left to the operating
    # system; atexit handlers and reference-counted clean-up still run.
    gc.freeze()
    sys.exit(code)
