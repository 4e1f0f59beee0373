"""Bytes of a CSV sheet -> text lines: the encoding detected, bad lines named.

UTF-8 (with or without BOM) or GB18030/GBK, decided by a vote of the lines that
are not plain ASCII; `--encoding` overrides.  The sheet is decoded in blocks of
whole lines; a line that decodes in no accepted encoding, or holds NUL bytes,
is noted with its line number (as a RowError) and read as well as it can be,
so that every bad line of a sheet can be reported in one run.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import BinaryIO

from .errors import RowError, ValueProblem, in_lang

SNIFF_BYTES = 64 * 1024
_BLOCK_BYTES = 256 * 1024


def usable_encoding(name: str, lang: str) -> str:
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueProblem(f"未知编码 '{name}'", f"unknown encoding '{name}'") from None
    try:
        ascii_compatible = "a,\n".encode(info.name) == b"a,\n"
    except (UnicodeError, LookupError, TypeError):
        ascii_compatible = False
    if not ascii_compatible:
        raise ValueProblem(
            f"不支持编码 '{name}'（可用 UTF-8、GB18030/GBK 等）",
            f"encoding '{name}' is not supported (use UTF-8, GB18030/GBK …)",
        )
    return "utf-8-sig" if info.name == "utf-8" else info.name


def read_head(stream: BinaryIO) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < SNIFF_BYTES:
        chunk = stream.read(SNIFF_BYTES - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _is_utf8(data: bytes) -> bool:
    try:
        # final=False: a multibyte character cut at the end of the sample is fine.
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def expected_rows(stream: BinaryIO, head: bytes) -> int:
    """About how many lines the file has (0 when its size is unknown, as for a pipe)."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return 0
    lines = head.count(b"\n")
    return size * lines // len(head) if lines and head else 0


def guess_encoding(data: bytes) -> str:
    """UTF-8 or GB18030, by a vote of the lines that are not plain ASCII.

    One mistyped line must not make a UTF-8 sheet be read as GB18030 (which
    would decode most UTF-8 Chinese into plausible nonsense, not errors); text
    in GBK is practically never valid UTF-8 over a whole line.
    """
    utf8 = other = 0
    for line in data.split(b"\n"):
        if line.isascii():
            continue
        if _is_utf8(line):
            utf8 += 1
        else:
            other += 1
    return "utf-8" if utf8 >= other else "gb18030"


def byte_blocks(head: bytes, stream: BinaryIO) -> Iterator[bytes]:
    """The bytes in blocks of whole lines (the last may lack its newline).

    b"\n" never occurs inside a UTF-8 or GB18030 character, so a block cut
    after a newline decodes on its own, and a line that cannot be decoded can
    be found within its block.
    """
    block = head
    while True:
        if block and not block.endswith(b"\n"):
            block += stream.readline()
        if not block:
            return
        yield block
        block = stream.read(_BLOCK_BYTES)


class Lines:
    """Decodes the sheet for csv.reader, a line at a time; notes undecodable lines aside.

    A block that decodes as a whole (the usual case) is split into lines in C;
    only a block with a bad line is decoded line by line, to name the line.
    """

    def __init__(self, blocks: Iterator[bytes], encoding: str | None, file: str, lang: str):
        self._blocks = blocks
        self.encoding = encoding  # None: only ASCII seen so far, decided later
        self._file = file
        self._lang = lang
        self.lineno = 0
        self.problems: dict[int, RowError] = {}

    def __iter__(self) -> Iterator[str]:
        # chained in C: a generator resumed once per line costs a tenth of the floor
        return chain.from_iterable(self._decoded_blocks())

    def _decoded_blocks(self) -> Iterator[Iterable[str]]:
        """The lines of each block (problems are noted as a block is decoded)."""
        for block in self._blocks:
            if self.encoding is None and not block.isascii():
                self.encoding = guess_encoding(block)
            if b"\0" not in block:
                try:
                    text = block.decode(self.encoding or "utf-8")
                except UnicodeDecodeError:
                    pass
                else:
                    self.lineno += text.count("\n") + (not text.endswith("\n"))
                    yield io.StringIO(text, newline="\n")
                    continue
            lines = []
            for raw in io.BytesIO(block):
                self.lineno += 1
                lines.append(self._decode_line(raw))
            yield lines

    def _decode_line(self, raw: bytes) -> str:
        if b"\0" in raw:
            self.problems[self.lineno] = RowError(
                self._file,
                self.lineno,
                "-",
                "NUL",
                in_lang(self._lang, "含有 NUL 字节（不是文本文件？）", "contains NUL bytes"),
            )
            raw = raw.replace(b"\0", b"")
        encoding = self.encoding or "utf-8"
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as e:
            bad = raw[e.start : min(e.end, e.start + 8)]
            self.problems.setdefault(
                self.lineno,
                RowError(
                    self._file,
                    self.lineno,
                    "-",
                    repr(bad) if bad else "?",
                    in_lang(
                        self._lang,
                        f"无法解码（按 {encoding}；可用 --encoding 指定编码）",
                        f"cannot be decoded as {encoding} (see --encoding)",
                    ),
                ),
            )
            return raw.decode(encoding, errors="replace")

    def take_problems(self, upto: int) -> list[RowError]:
        found = [self.problems.pop(n) for n in sorted(self.problems) if n <= upto]
        return found
