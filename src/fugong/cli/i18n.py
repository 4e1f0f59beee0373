"""What Typer prints by itself — help headings, usage errors — in the officer's language.

SPEC "Command line": with --lang zh (the default) what a person reads is
Chinese, usage errors included.  Typer formats help and errors with
`typer.rich_utils` (loaded only when help or an error is shown, so start-up
stays light); this module wraps its two entry points, when that module is
first imported, to set its headings and translate the message for the
language of the command line at hand.  Help texts themselves are written
Chinese first, English after, in the command modules.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import sys

HEADINGS = {
    "zh": {
        "ARGUMENTS_PANEL_TITLE": "参数 Arguments",
        "OPTIONS_PANEL_TITLE": "选项 Options",
        "COMMANDS_PANEL_TITLE": "命令 Commands",
        "ERRORS_PANEL_TITLE": "错误 Error",
        "REQUIRED_LONG_STRING": "[必填]",
        "DEFAULT_STRING": "[默认: {}]",
        "ENVVAR_STRING": "[环境变量: {}]",
        "ABORTED_TEXT": "已中止。",
        "RICH_HELP": "用 [blue]'{command_path} {help_option}'[/] 查看帮助。",
    },
    "en": {
        "ARGUMENTS_PANEL_TITLE": "Arguments",
        "OPTIONS_PANEL_TITLE": "Options",
        "COMMANDS_PANEL_TITLE": "Commands",
        "ERRORS_PANEL_TITLE": "Error",
        "REQUIRED_LONG_STRING": "[required]",
        "DEFAULT_STRING": "[default: {}]",
        "ENVVAR_STRING": "[env var: {}]",
        "ABORTED_TEXT": "Aborted.",
        "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
    },
}

# Typer's usage errors (English templates) -> Chinese; compiled when an error is
# shown, not at every start-up.
MESSAGES: list[tuple[str, str]] = [
    (
        r"^No such option: (\S+) \(Possible options: (.+)\)$",
        r"没有选项 \1（可能是: \2）",
    ),
    (r"^No such option: (\S+) Did you mean (.+)\?$", r"没有选项 \1（您是否要找 \2?）"),
    (r"^No such option: (\S+)$", r"没有选项 \1"),
    (r"^Missing option '(.+?)'\.?(.*)$", r"缺少选项 '\1'\2"),
    (r"^Missing argument '(.+?)'\.?$", r"缺少参数 '\1'"),
    (r"^Missing parameter: (.+)$", r"缺少参数 \1"),
    (
        r"^Invalid value for '(.+?)': (?:Value error, )?(.+) is not one of (.+)\.$",
        r"'\1' 的值 \2 不在可选值中: \3",
    ),
    (r"^Invalid value for '(.+?)': (?:Value error, )?(.+)$", r"'\1' 的值无效: \2"),
    (r"^Invalid value: (?:Value error, )?(.+)$", r"值无效: \1"),
    (
        r"^No such command '(.+?)'\. Did you mean (.+)\?$",
        r"没有命令 '\1'（您是否要找 \2?）",
    ),
    (r"^No such command '(.+?)'\.$", r"没有命令 '\1'"),
    (r"^Got unexpected extra argument(?:\(s\)|s)? \((.+)\)$", r"多余的参数 (\1)"),
    (r"^Option '(.+?)' requires an argument\.$", r"选项 '\1' 需要一个值"),
    (r"^Option '(.+?)' does not take a value\.$", r"选项 '\1' 不带值"),
    (r"^Option '(.+?)' requires (\d+) arguments\.$", r"选项 '\1' 需要 \2 个值"),
]


@functools.cache
def _messages() -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(pattern), chinese) for pattern, chinese in MESSAGES]


def language() -> str:
    """The language of the command line at hand: --lang, else FUGONG_LANG, else zh."""
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1].lower().startswith("en") else "zh"
        if arg.startswith("--lang="):
            return "en" if arg[len("--lang=") :].lower().startswith("en") else "zh"
    return "en" if os.environ.get("FUGONG_LANG", "").lower().startswith("en") else "zh"


def translate(message: str) -> str:
    """A usage error of Typer's in Chinese (unchanged under --lang en)."""
    if language() == "en":
        return message
    for pattern, chinese in _messages():
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return message


def usage_prefix() -> str:
    return "Usage: " if language() == "en" else "用法: "


def _localise(rich_utils) -> None:
    """Wrap the help and error printers of typer.rich_utils."""
    print_help = rich_utils.rich_format_help
    print_error = rich_utils.rich_format_error

    def headings() -> None:
        for name, text in HEADINGS[language()].items():
            setattr(rich_utils, name, text)

    def rich_format_help(*args, **kwargs):
        headings()
        return print_help(*args, **kwargs)

    def rich_format_error(error):
        headings()
        message = error.format_message
        error.format_message = lambda: translate(message())
        return print_error(error)

    parameter_help = rich_utils._get_parameter_help

    def whole_parameter_help(**kwargs):
        # Typer lays the help, default and [required] out as rich Columns, which
        # cut a line of mixed Chinese and English with "…": one wrapped Text instead
        from rich.text import Text

        found = parameter_help(**kwargs)
        items = getattr(found, "renderables", None)
        if items is None or not all(isinstance(item, Text) for item in items):
            return found
        joined = Text(" ").join(items)
        joined.overflow = "fold"
        return joined

    command_help = rich_utils._make_command_help

    def whole_command_help(*args, **kwargs):
        # a command's line in a list of commands: rich's default overflow puts "…"
        # over the last letter of a wrapped line of Chinese and English that ends
        # one cell short ("copy o…" at 80 columns); folded, the line is whole
        found = command_help(*args, **kwargs)
        if hasattr(found, "overflow"):
            found.overflow = "fold"
        return found

    rich_utils.rich_format_help = rich_format_help
    rich_utils._make_command_help = whole_command_help
    rich_utils.rich_format_error = rich_format_error
    rich_utils._get_parameter_help = whole_parameter_help
    rich_utils._fugong_localised = True


class _WhenLoaded:
    """Localise typer.rich_utils right after it is imported (it is imported lazily).

    A meta path finder needs only find_spec: not deriving from importlib.abc's
    MetaPathFinder spares every start-up importing importlib.abc (and with it
    importlib.resources)."""

    def find_spec(self, name, path, target=None):
        if name != "typer.rich_utils":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module):
            run(module)
            _localise(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Localise what Typer prints by itself (idempotent)."""
    if "typer.rich_utils" in sys.modules:
        module = sys.modules["typer.rich_utils"]
        if not getattr(module, "_fugong_localised", False):
            _localise(module)
    elif not any(isinstance(f, _WhenLoaded) for f in sys.meta_path):
        sys.meta_path.insert(0, _WhenLoaded())
    from typer import core
    from typer._click import core as click_core
    from typer._click import formatting

    if not getattr(core.TyperArgument.display_type_rich, "_fugong", False):
        # no `<str>` / `<bool>` type column: the metavars (企业, 日期 …) say it
        def no_type(self, ctx):
            return None

        def option_type(self, ctx, _original=core.TyperOption.display_type_rich):
            return None if self.is_bool_flag else _original(self, ctx)

        no_type._fugong = True  # type: ignore[attr-defined]
        core.TyperArgument.display_type_rich = no_type  # type: ignore[method-assign]
        core.TyperOption.display_type_rich = option_type  # type: ignore[method-assign]
        help_option = click_core.Command.get_help_option

        def localised_help_option(self, ctx):
            option = help_option(self, ctx)
            if option is not None:
                option.help = "显示帮助并退出 / show this help and exit"
            return option

        click_core.Command.get_help_option = localised_help_option  # type: ignore[method-assign]

    if not getattr(formatting.HelpFormatter.write_usage, "_fugong", False):
        write_usage = formatting.HelpFormatter.write_usage

        def localised(self, prog, args="", prefix=None):
            return write_usage(self, prog, args, usage_prefix() if prefix is None else prefix)

        localised._fugong = True  # type: ignore[attr-defined]
        formatting.HelpFormatter.write_usage = localised  # type: ignore[method-assign]
