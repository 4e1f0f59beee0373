"""Files fugong writes: whole or not at all, and never the ledger or the input.

SPEC "Names, paths and the ledger file": every file fugong writes (`-o`,
`--rejects`, `backup`) goes to a temporary file in the target's folder and is
renamed over the target at the end; a write that fails leaves no file.  A
target that is the ledger itself (or its -wal, -shm, -journal), or a file
being read, is refused before anything is read or written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .errors import FugongError

LEDGER_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file (resolved paths, or the same file on disk)."""
    return _resolved(Path(a)) == _resolved(Path(b)) or _same_file(Path(a), Path(b))


def _resolved(path: Path) -> Path:
    return Path(os.path.realpath(path.expanduser()))


def check_target(
    target: str | os.PathLike,
    *,
    ledger_file: str | None = None,
    inputs: Iterable[str | os.PathLike] = (),
    what: str = "-o",
) -> Path:
    """Refuse an output path that is the ledger (any of its files) or an input.

    Compared by resolved path (relative, `..`, symlinks) and, for files that
    exist, by identity (hard links).  Returns the target as a Path.
    """
    path = Path(target)
    real = _resolved(path)
    if ledger_file is not None:
        for suffix in LEDGER_SUFFIXES:
            candidate = Path(ledger_file + suffix)
            if real == _resolved(candidate) or _same_file(path, candidate):
                raise FugongError(
                    f"{what} {target}: 这是账本文件本身, 不能写入",
                    f"{what} {target}: that is the ledger itself; refusing to write it",
                )
    for source in inputs:
        if str(source) == "-":
            continue
        if real == _resolved(Path(source)) or _same_file(path, Path(source)):
            raise FugongError(
                f"{what} {target}: 这是正在读取的输入文件, 不能写入",
                f"{what} {target}: that is the input being read; refusing to write it",
            )
    if real.is_dir():
        raise FugongError(f"{what} {target}: 是一个目录", f"{what} {target}: is a directory")
    return path


def _write_error(target: Path | str, exc: OSError) -> FugongError:
    reason = exc.strerror or str(exc)
    return FugongError(f"无法写入 {target}: {reason}", f"cannot write {target}: {reason}")


@contextlib.contextmanager
def atomic_file(target: str | os.PathLike, mode: str = "wb", **open_args: Any) -> Iterator[IO]:
    """A file to write that appears at `target` only when the block ends without error.

    The temporary file lives in the target's folder (so the rename is atomic)
    and is flushed to disk before the rename; on any error it is removed and
    the target is left as it was.
    """
    path = Path(target)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise _write_error(target, exc) from None
    try:
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _keep_mode(path, temporary)
        os.replace(temporary, path)
    except OSError as exc:
        _remove(temporary)
        raise _write_error(target, exc) from None
    except BaseException:
        _remove(temporary)
        raise


def _keep_mode(path: Path, temporary: str) -> None:
    """mkstemp makes 0600 files; give the new file what a plain open() would."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with atomic_file(target, "wb") as handle:
        handle.write(data)


def write_text(target: str | os.PathLike, text: str, *, bom: bool = False) -> None:
    """Text as UTF-8 (with a BOM for CSV files Excel opens)."""
    write_bytes(target, (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def write_with(target: str | os.PathLike, writer: Callable[[IO[bytes]], None]) -> None:
    """Let `writer` fill a binary file that appears at `target` only when it is done."""
    with atomic_file(target, "wb") as handle:
        writer(handle)


def to_stdout(text: str) -> None:
    """Write a document to stdout; a failed write (disk full, a closed pipe on a
    file) is an error, not a silent short document."""
    import sys

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _write_error("stdout", exc) from None
