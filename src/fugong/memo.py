"""The sheet memo: a sheet sent again costs a look-up per unchanged row, not a fold.

Offices send the whole plan sheet every day; most rows say what the ledger
already holds.  An import remembers, per enterprise, the last row it found to
restate the ledger (`sheet_memo`: the digest of the row's parsed values, the
enterprise and plan it named, the date it was imported as of, and the latest
business date of their history).  When a later import reads a row with that
digest, the row is passed by, exactly as the rules would pass it by
(rules.restates_*), if

- nothing was recorded of that enterprise or its plan since, nothing was undone
  since, and the enterprise is live and still bears the USCC (or, for a row
  without one, the name and district) the row names, so the row names the same
  records (matching in importer.py finds the live holder of a USCC or of a name
  in a district first; a ledger with two live enterprises of one name passes no
  row by its name).  What it bears is checked when the row is remembered (a row
  that created its enterprise bears it by construction); what the enterprise
  bears changes only with an event of its own, so it still does;
- the plan the importer would find for the enterprise is the one remembered;
- the import is as of the same date, or of a date from which on the history is
  the same (no event of theirs after either date), so the state the rules
  would compare the row with is the same;
- no row of this import before it could have changed those records: rows that
  go through the rules mark every enterprise and plan they could name as
  touched, and a remembered row on a touched record goes through the rules too.

The memo is written only for rows checked to restate the ledger as the import
left it (importer.Importer.row_memo; fresh rows by construction), so a memo hit
decides nothing new: it skips the work of reaching the same decision.  It is a
cache: emptying `sheet_memo` only costs speed, and no report reads it.

"Nothing recorded since" is kept true for the whole table, not asked row by row
(two index look-ups a row on the event tables, an eighth of a re-import): the
mark row (layout '', enterprise 0) holds the newest event ids and undo when
every other row was last known current.  An import first brings the memo up to date: it
drops the rows of records with events after the mark (what commands and other
imports recorded since), or every row if something was undone or there is no
mark.  While it runs, it drops at the end of each block the rows of records the
block's rows went through the rules for (they may have changed them), before it
writes the block's own; at its end it moves the mark to the newest ids.  (Each
row also keeps the ids of its own day, for whoever reads the table; only the
mark's are read.)  This rests on three things, each true today:

- every event an import records is of a record the rows of its block name
  (Importer.named(), which the block touches) or of one it just created;
- event ids only grow: events are never deleted (undo marks its batch; on
  SQLite a deleted newest event would give its id again), and on PostgreSQL
  every writer holds the writer turn (unit.take_writer_turn) before it takes
  ids, so ids follow commits;
- everything else that writes records events, so the next import sees it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from datetime import date
from operator import itemgetter
from typing import TYPE_CHECKING

from sqlalchemy import select

from .db import IN_LIST_MAX, among, date_binder, executemany, in_list
from .layouts import COLUMNS, TEXT_COLUMNS
from .models import Enterprise

if TYPE_CHECKING:
    from .importer import Importer
    from .ingest import RowBlock

# Layouts whose rows are remembered: those a plan or enterprise sheet sends daily.
MEMO_LAYOUTS = ("plans", "enterprises")
# Past this many records touched by rows that changed something, an import stops
# looking rows up (it is then not a sheet sent again, and the set would grow).
TOUCHED_LIMIT = 50_000
_BLANK = "\x00"  # a blank cell in a digest (no parsed value holds it)
_DIGEST_BYTES = 16
_SEP = "\x1f"  # between cells; a row whose text holds it gets no digest
_SPELLED_LIMIT = 10_000  # spellings kept per column (dates, counts): a bound, rarely reached
_BLANK_FOR_NONE = {None: _BLANK}
# The mark row: how far every other row was last known current (see above).
_MARK = ("", 0)
_COLUMNS = (
    "layout, enterprise_id, digest, plan_id, on_date, latest, enterprise_seen, plan_seen, undo_seen"
)
_MARKS = ", ".join("?" * 9)
_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[2:])
# the remembered rows, not the mark row
_ROWS = "layout IN ({})".format(", ".join(f"'{layout}'" for layout in MEMO_LAYOUTS))
# The remembered rows of this layout with some digests, imported as of the same
# date or of a date from which on their records' history is the same as from the
# import's (`latest` not after either date), nothing undone since.  Looked up a
# digest at a time, by its index: SQLite is told so (with the layout's condition
# it would read the layout's whole part of the table by the primary key), and
# PostgreSQL gets one look-up per digest of the array (it would otherwise scan
# the table once per block, which grows with the memo).
_WHERE = (
    "m.layout = ? AND m.undo_seen >= ? "
    "AND (m.on_date = ? OR (m.latest <= m.on_date AND m.latest <= ?))"
)
_REMEMBERED_SQLITE = (
    "SELECT m.digest, m.enterprise_id, m.plan_id "
    f"FROM sheet_memo m INDEXED BY ix_sheet_memo_digest WHERE {_WHERE} AND m.digest"
)
# PostgreSQL: the digests come as one bytea, cut into 16-byte digests by the
# server (an array of 5000 bytea took the client longer to send than the
# look-up took); one index look-up per digest (LATERAL: a plain join of the
# digests planned a hash join over the whole memo).
_REMEMBERED_PG = (
    "SELECT m.digest, m.enterprise_id, m.plan_id FROM (SELECT %s::bytea AS b) AS p "
    f"CROSS JOIN generate_series(0, length(p.b) / {_DIGEST_BYTES} - 1) AS g(i) "
    "CROSS JOIN LATERAL (SELECT m.digest, m.enterprise_id, m.plan_id FROM sheet_memo m "
    f"WHERE m.digest = substring(p.b FROM g.i * {_DIGEST_BYTES} + 1 FOR {_DIGEST_BYTES}) "
    f"AND {_WHERE.replace('?', '%s')} OFFSET 0) AS m"
)


def _spelling(value: object) -> str:
    """The text of a parsed value of a column of few values (dates, counts, yes/no,
    terms, districts) in a digest."""
    if value is None:
        return _BLANK
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _bears(held: tuple | None, named: tuple) -> bool:
    """Whether a live, unmerged enterprise (`held`: what Memo._bearing reads of it,
    None if it is not) is the one a row naming `named` (USCC, name key, district) finds:
    the holder of the USCC, or, for a row without one, of the name in the district."""
    if held is None:
        return False
    if named[0] is not None:
        return held[0] == named[0]
    return held[1:] == named[1:]


class Memo:
    """Looks up and remembers the rows of one import (plans and enterprises sheets)."""

    def __init__(self, importer: Importer):
        self.importer = importer
        self.layout = importer.layout
        self.on = importer.default_date
        self.conn = importer.session.connection()
        self.sqlite = self.conn.dialect.name == "sqlite"
        self.bind_date = date_binder(self.conn)
        self._columns = COLUMNS[self.layout]
        self._spelled: dict[str, dict[object, str]] = {}  # column -> value -> its text
        self.undo_seen = self._scalar("SELECT max(undone_by) FROM batch") or 0
        self._bring_up_to_date()
        self.reading = self._scalar(
            "SELECT 1 FROM sheet_memo WHERE layout = ? LIMIT 1", self.layout
        )
        # two live enterprises of one name (an older ledger's twins): a row
        # naming that name could mean either, so no row is passed by its name
        self.twins = bool(self._scalar("SELECT 1 FROM enterprise WHERE live AND twin > 0 LIMIT 1"))
        self.touched_enterprises: set[int] = set()
        self.touched_plans: set[int] = set()
        # touched in this block (its rows may have changed them): their rows are
        # dropped when the block is flushed.  (Plans need no such list: a remembered
        # row is passed by only while its plan is the one its enterprise's rows
        # find, and a row that changes that plan names that enterprise.)
        self.block_enterprises: set[int] = set()
        # rows checked to restate the ledger in this block: (digest, enterprise,
        # plan, latest date, what the row names it by); written by flush()
        self.pending: list[tuple[bytes, int, int | None, date, tuple | None]] = []

    # ---------------------------------------------------------------- digests

    def digests(self, block: RowBlock, rows: list[int]) -> list[bytes | None]:
        """The digest of each row's parsed values, in the layout's column order (None:
        the row has none and is never passed by)."""
        n = len(block)
        columns = []
        for column in self._columns:
            values = block.columns.get(column)
            columns.append(self._as_text(column, values) if values is not None else [_BLANK] * n)
        texts = list(map(_SEP.join, zip(*columns, strict=True)))
        width = len(columns) - 1
        # a cell holding the separator would make two rows' texts alike: such rows get none
        whole = "".join(texts).count(_SEP) == width * n
        # each row's hash starts as a copy of one keyed by the layout (half the time of
        # a new hash per row, whose parameters are parsed each time; the same digests)
        seed = hashlib.blake2b(digest_size=_DIGEST_BYTES, person=self.layout.encode())
        digests: list[bytes | None] = []
        for k in rows:
            text = texts[k]
            if whole or text.count(_SEP) == width:
                row = seed.copy()
                row.update(text.encode())
                digests.append(row.digest())
            else:
                digests.append(None)
        return digests

    def _as_text(self, column: str, values: list) -> list[str]:
        """One column's values as text: each type of a column has one spelling (the
        column's type is fixed by the layout, so text and number never meet)."""
        if column in TEXT_COLUMNS or column == "uscc":  # str or None, mostly all different
            return list(map(_BLANK_FOR_NONE.get, values, values))
        # a column of few values: their spellings are kept for the whole import
        # (bool and int never share a column, so True and 1, equal keys, cannot clash)
        spelled = self._spelled.setdefault(column, {})
        try:
            return list(map(spelled.__getitem__, values))  # the usual, after a few blocks
        except KeyError:
            pass
        if len(spelled) > _SPELLED_LIMIT:
            spelled.clear()
        spelled.update({value: _spelling(value) for value in set(values)})
        return list(map(spelled.__getitem__, values))

    # ---------------------------------------------------------------- reading

    def look_up_soon(self, codes: list[bytes | None]) -> Callable[[], list[tuple]] | None:
        """On PostgreSQL, start passed()'s look-up of these digests in a thread and
        return what waits for it (for passed's `early`): the server then looks them
        up while the importer parses the next block. Between here and passed() the
        importer sends the server nothing but the parse's reads of districts, so the
        statement sees what it would see run by passed(). (The connection runs one
        statement at a time: one the importer sends meanwhile waits for it.) None
        where passed() looks up itself: SQLite, whose look-up holds the GIL."""
        if self.sqlite or not self.reading:
            return None
        wanted = [code for code in set(codes) if code is not None]
        return _in_a_thread(self._remembered, wanted) if wanted else None

    def passed(
        self,
        block: RowBlock,
        rows: list[int],
        codes: list[bytes | None],
        early: Callable[[], list[tuple]] | None = None,
    ) -> list[int]:
        """The rows (of `rows`, with their digests `codes`) the memo passes by, as far
        as the ledger goes; `untouched` may still send some of them through the rules.
        `early`: look_up_soon's for these codes."""
        self.hits: dict[int, tuple] = {}
        if not self.reading:
            return []
        wanted = set(codes)
        wanted.discard(None)
        if not wanted:
            return []
        found = early() if early is not None else self._remembered(list(wanted))  # type: ignore[arg-type]
        touched, touched_plans = self.touched_enterprises, self.touched_plans
        if touched or touched_plans:
            # (not the rows of records a row of this import went through the rules for)
            found = [e for e in found if e[1] not in touched and e[2] not in touched_plans]
        if not found:
            return []
        plans = {}
        if self.layout == "plans":
            plans = self.importer.plans_of(sorted(set(map(itemgetter(1), found))))
        valid: dict[bytes, tuple] = {}  # digest -> the first entry that still holds
        for entry in found:
            if plans.get(entry[1]) == entry[2]:  # else it means another plan (or none)
                valid.setdefault(entry[0], entry)
        pairs: Iterable[tuple[int, bytes | None]] = zip(rows, codes, strict=True)
        if self.twins:  # (a row naming a name two live enterprises bear: either)
            usccs = block.columns.get("uscc", [None] * len(block))
            pairs = [(k, code) for k, code in pairs if usccs[k] is not None]
        self.hits = {k: valid[code] for k, code in pairs if code in valid}  # type: ignore[index]
        return list(self.hits)

    def touch(self, enterprises: Iterable[int], plans: Iterable[int]) -> None:
        """Records rows going through the rules may name (and so change)."""
        enterprises = set(enterprises)
        self.block_enterprises |= enterprises
        if not self.reading:
            return  # (the touched records matter only to rows looked up)
        self.touched_enterprises |= enterprises
        self.touched_plans.update(plans)
        if len(self.touched_enterprises) > TOUCHED_LIMIT:
            # no more look-ups; the rows this block looked up still go by the sets
            # (untouched), which flush() lets go of at the block's end
            self.reading = False

    def untouched(self, rows: list[int]) -> list[int]:
        """Of rows `passed` returned, those whose records no row going through the
        rules touches (so far)."""
        kept = []
        for k in rows:
            entry = self.hits[k]
            if entry[1] not in self.touched_enterprises and entry[2] not in self.touched_plans:
                kept.append(k)
        return kept

    # ---------------------------------------------------------------- writing

    def remember(
        self,
        code: bytes | None,
        enterprise: int,
        plan: int | None,
        latest: date,
        named: tuple[str | None, str | None, str | None] | None = None,
    ):
        """A row checked to restate the ledger as this import leaves its records;
        `named`: the USCC, name key and district it names its enterprise by (None
        for a row that created its enterprise from those: it bears them)."""
        if code is not None:
            self.pending.append((code, enterprise, plan, latest, named))

    def flush(self) -> None:
        """At the end of a block: drop the rows of the records its rows went through
        the rules for (they may have changed them), then write what it remembered,
        with how far the history goes now."""
        if self.block_enterprises:
            self._run_in(
                f"DELETE FROM sheet_memo WHERE {_ROWS} AND enterprise_id", self.block_enterprises
            )
        self.block_enterprises = set()
        if not self.reading:  # (touch: no rows are looked up any more)
            self.touched_enterprises, self.touched_plans = set(), set()
        if not self.pending:
            return
        seen, plan_seen = self._newest()
        # one row per enterprise (the sheet's last), in digest order: the digest
        # index is then filled in order (a fifth of a first import's time on SQLite)
        last = {entry[1]: entry for entry in self.pending}
        self.pending = []
        bearing = self._bearing(sorted(eid for eid, entry in last.items() if entry[4]))
        bind = self.bind_date
        on = bind(self.on)
        rows = [
            (self.layout, eid, code, pid, on, bind(latest), seen, plan_seen, self.undo_seen)
            for code, eid, pid, latest, named in sorted(last.values(), key=itemgetter(0))
            if named is None or _bears(bearing.get(eid), named)
        ]
        if not rows:
            return
        if self.sqlite:
            sql = f"INSERT OR REPLACE INTO sheet_memo ({_COLUMNS}) VALUES ({_MARKS})"
            executemany(self.conn, sql, rows)
            return
        # PostgreSQL: the block as nine arrays in one statement (executemany sends a
        # statement per row: a third of a first import's time)
        types = ("varchar", "int", "bytea", "int", "date", "date", "int", "int", "int")
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(
                f"INSERT INTO sheet_memo ({_COLUMNS}) SELECT * FROM unnest({arrays}) "
                f"ON CONFLICT (layout, enterprise_id) DO UPDATE SET {_UPDATE}",
                [list(column) for column in zip(*rows, strict=True)],
            )
        finally:
            cursor.close()

    def close(self) -> None:
        """At the end of an import that will be kept: mark the memo current."""
        self.flush()
        seen, plan_seen = self._newest()
        mark = (*_MARK, b"", None, self.on, self.on, seen, plan_seen, self.undo_seen)
        if self.sqlite:
            self._run(f"INSERT OR REPLACE INTO sheet_memo ({_COLUMNS}) VALUES ({_MARKS})", *mark)
        else:
            self._run(
                f"INSERT INTO sheet_memo ({_COLUMNS}) VALUES ({_MARKS}) "
                f"ON CONFLICT (layout, enterprise_id) DO UPDATE SET {_UPDATE}",
                *mark,
            )

    # ---------------------------------------------------------------- keeping it true

    def _bring_up_to_date(self) -> None:
        """Drop the rows that may no longer hold since the mark (module docstring)."""
        seen, plan_seen = self._newest()
        mark = self._row(
            "SELECT enterprise_seen, plan_seen, undo_seen FROM sheet_memo "
            "WHERE layout = ? AND enterprise_id = ?",
            *_MARK,
        )
        if mark is None or mark[2] != self.undo_seen or seen < mark[0] or plan_seen < mark[1]:
            # no mark (a ledger of an older fugong), something undone since (it may
            # have been what a row met), or ids that went back (a ledger put back
            # from elsewhere): nothing remembered is known to hold
            self._run("DELETE FROM sheet_memo")
            return
        if seen > mark[0]:
            self._run(
                f"DELETE FROM sheet_memo WHERE {_ROWS} AND enterprise_id IN "
                "(SELECT enterprise_id FROM enterprise_event WHERE id > ?)",
                mark[0],
            )
        if plan_seen > mark[1]:
            self._run(
                f"DELETE FROM sheet_memo WHERE {_ROWS} AND plan_id IN "
                "(SELECT plan_id FROM plan_event WHERE id > ?)",
                mark[1],
            )

    def _newest(self) -> tuple[int, int]:
        """The newest enterprise and plan event ids."""
        seen = self._scalar("SELECT max(id) FROM enterprise_event") or 0
        return seen, self._scalar("SELECT max(id) FROM plan_event") or 0

    # ---------------------------------------------------------------- SQL

    def _remembered(self, digests: list[bytes]) -> list[tuple]:
        """(digest, enterprise, plan) of the remembered rows of these digests that
        may be passed by as of the import's date (_WHERE)."""
        on = self.bind_date(self.on)  # SQLite keeps ISO text
        params = (self.layout, self.undo_seen, on, on)
        # in index order: the seeks then walk the index forward (~15% faster on SQLite,
        # ~10% on PostgreSQL)
        digests = sorted(digests)
        if self.sqlite:
            return self._select_in(_REMEMBERED_SQLITE, digests, *params)
        return self._all(_REMEMBERED_PG, b"".join(digests), *params)

    def _bearing(self, ids: list[int]) -> dict[int, tuple]:
        """(USCC, name key, district) of the live, unmerged enterprises of `ids` (sorted;
        only rows that went through the rules: a block's few)."""
        if not ids:
            return {}
        e = Enterprise
        query = select(e.id, e.uscc, e.name_key, e.district).where(
            among(e.id, ids), e.live, e.merged_into.is_(None)
        )
        return {row[0]: tuple(row[1:]) for row in self.conn.execute(query).all()}

    def _all(self, sql: str, *params, fetch: bool = True) -> list[tuple]:
        cursor = self.conn.connection.cursor()
        try:
            cursor.execute(sql if self.sqlite else sql.replace("?", "%s"), params)
            return cursor.fetchall() if fetch else []
        finally:
            cursor.close()

    def _row(self, sql: str, *params) -> tuple | None:
        rows = self._all(sql, *params)  # (a query of at most one row)
        return rows[0] if rows else None

    def _scalar(self, sql: str, *params):
        row = self._row(sql, *params)
        return None if row is None else row[0]

    def _run(self, sql: str, *params) -> None:
        self._all(sql, *params, fetch=False)

    def _select_in(self, sql: str, values: list, *params, fetch: bool = True) -> list[tuple]:
        """Rows of `sql` (with `params`), which ends with the column to match against
        `values`."""
        found: list[tuple] = []
        cursor = self.conn.connection.cursor()
        try:
            for start in range(0, len(values), IN_LIST_MAX):
                part = values[start : start + IN_LIST_MAX]
                if self.sqlite:
                    match, padded = in_list(part)
                    cursor.execute(f"{sql} {match}", (*params, *padded))
                else:  # one array: a list of placeholders costs the server more
                    cursor.execute(f"{sql.replace('?', '%s')} = ANY(%s)", (*params, part))
                if fetch:
                    found.extend(cursor.fetchall())
        finally:
            cursor.close()
        return found

    def _run_in(self, sql: str, values: set[int]) -> None:
        """Run `sql`, which ends with the column to match against `values`."""
        self._select_in(sql, sorted(values), fetch=False)


def _in_a_thread(work: Callable[..., list[tuple]], *args) -> Callable[[], list[tuple]]:
    """Run work(*args) in a thread; the function returned waits for its result
    (or raises its error)."""
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, work(*args)))
        except BaseException as error:  # handed to the waiting thread
            outcome.append((False, error))

    thread = threading.Thread(target=run, name="fugong-memo-look-up", daemon=True)
    thread.start()

    def result() -> list[tuple]:
        thread.join()
        done, value = outcome[0]
        if not done:
            raise value
        return value

    return result
