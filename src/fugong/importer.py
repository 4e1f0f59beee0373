"""Apply a validated sheet to the ledger: match, decide by the rules, record.

`ingest.py` reads and validates the cells; this module finds which enterprise
and record each row means (SPEC "Matching"), asks rules.py what the row
changes as of its dates (the rules a command follows, with a sheet's snapshot
semantics), and records it through the import's unit of work, each event
pointing at the file and line.  Rows come in blocks (ingest.RowBlock); rows
that create their enterprise go the set-based way of fresh.py, the others are
decided here and their inserts buffered and written with one executemany per
table a block (the import assigns the new ids itself, holding the writer turn).
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from . import rules
from .asof import counting_plans, with_merged
from .db import (
    ID_TABLES,
    IN_LIST_MAX,
    among,
    bulk_insert,
    in_list,
    next_ids,
    sync_sequences,
    tuples,
)
from .errors import RowError, SheetError
from .firstseen import FirstLines, IdBits
from .fresh import FreshWriter, fresh_rows, makes_plan
from .ingest import RowBlock, Sheet
from .layouts import ENTERPRISE_COLUMNS, MASTER_LAYOUTS
from .memo import MEMO_LAYOUTS, Memo
from .models import (
    EVENT_FIELDS,
    EVENT_MODELS,
    Batch,
    Enterprise,
    EnterpriseEvent,
    Labour,
    Plan,
    Problem,
)
from .registry import name_bearers
from .rules import LabourChange, Owner, PlanChange, ProblemChange, Refusal
from .timeline import UNSTORED, Timeline, load
from .unit import UnitOfWork, refresh_enterprises
from .values import name_key

# rows recorded from which an import refreshes PostgreSQL's planner statistics
ANALYZE_AFTER = 1000
ANALYZED = (
    "batch",
    "sheet_memo",
    *ID_TABLES,
    *(model.__tablename__ for model, _id in EVENT_MODELS.values()),
)
# Rows creating their records take the set-based way of fresh.py; a test turns it
# off to compare with the general way.
FRESH_WAY = True
# Rows a sheet sent before passes by through the sheet memo (memo.py); a test turns
# it off to compare with the rules deciding every row.
MEMO_WAY = True
ENTERPRISE_ROW = ["id", "name", "name_key", "district", "uscc"]
PROBLEM_ROW = ["id", "enterprise_id", "ref", "raised_on", "description_key"]
LABOUR_ROW = ["id", "enterprise_id", "job_type", "raised_on"]
# the master-record attributes a sheet row may carry besides its identity
ENTERPRISE_ATTRS = tuple(c for c in ENTERPRISE_COLUMNS if c not in ("uscc", "name", "district"))
KIND_LAYOUT = {
    "enterprise": "enterprises",
    "plan": "plans",
    "problem": "problems",
    "labour": "labour",
}
LAYOUT_LABELS = {
    "enterprises": "企业",
    "plans": "复产计划",
    "problems": "问题",
    "labour": "用工需求",
}


class Ref:
    """A record this import touches; `new` if the import creates it.

    `timeline` is what the ledger and this import say of it; `raised` the date
    a problem or labour demand was raised (its changes may not be dated before).
    """

    __slots__ = ("id", "uscc", "new", "timeline", "raised", "name")

    def __init__(self, id: int, uscc: str | None = None, new: bool = False, raised=None):
        self.id = id
        self.uscc = uscc
        self.new = new
        self.timeline = Timeline()
        self.raised: date | None = raised
        self.name: str | None = None


@dataclass
class ImportSummary:
    layout: str
    file: str
    rows: int = 0
    created: Counter = field(default_factory=Counter)  # layout -> new records
    changed: Counter = field(default_factory=Counter)  # layout -> existing records changed
    unchanged: int = 0  # rows that changed nothing
    superseded: int = 0  # rows restating a value a later same-day entry changed again
    totals: int = 0  # 合计/小计 rows skipped
    skipped: int = 0  # rows rejected under --skip-invalid
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False

    def text(self, lang: str = "zh") -> str:
        def counts(counter: Counter) -> str:
            names = (lambda k: k) if lang == "en" else LAYOUT_LABELS.get
            return ", ".join(f"{names(k)} {v}" for k, v in sorted(counter.items())) or "0"

        created, changed = counts(self.created), counts(self.changed)
        if lang == "en":
            head = "would import" if self.dry_run else f"imported (batch {self.batch_id})"
            if not self.dry_run and self.batch_id is None:
                head = "nothing new to record from"
            text = (
                f"{head} {self.file}: {self.rows} rows; new: {created}; changed: {changed}; "
                f"unchanged rows: {self.unchanged}"
            )
            if self.superseded:
                text += (
                    f"; rows restating a value a later entry of the same date changed "
                    f"(not recorded again; to go back to it, use the recording command): "
                    f"{self.superseded}"
                )
            if self.totals:
                text += f"; total rows skipped: {self.totals}"
            return text + (f"; rejected rows: {self.skipped}" if self.skipped else "")
        head = "试导入 (未写入)" if self.dry_run else f"已导入 (批次 {self.batch_id})"
        if not self.dry_run and self.batch_id is None:
            head = "无新内容 (未记录批次)"
        text = (
            f"{head} {self.file}: {self.rows} 行; 新增: {created}; 变更: {changed}; "
            f"无变化行: {self.unchanged}"
        )
        if self.superseded:
            text += (
                f"; 所填值已被同日更晚记录改过的行 (未重复登记; 如需改回请用登记命令): "
                f"{self.superseded}"
            )
        if self.totals:
            text += f"; 跳过合计行: {self.totals}"
        return text + (f"; 跳过错误行: {self.skipped}" if self.skipped else "")


def _own_last(rows, group: dict[int, int]) -> list:
    """Records (id, enterprise, …) in the order a look-up table is filled, the last one
    written winning: where a merge left two alike (a problem, a demand of one job type),
    the kept enterprise's own last, then the newest."""
    return sorted(rows, key=lambda row: (group.get(row[1]) == row[1], row[0]))


class Importer:
    """Applies rows of one layout through the rules, buffering inserts."""

    def __init__(self, *, unit: UnitOfWork, layout: str, default_date: date):
        self.unit = unit
        self.session = unit.session
        self.batch_id = unit.batch_id
        self.layout = layout
        self.default_date = default_date
        self.today = unit.today
        self.order = UNSTORED  # recording order of this import's events
        # What the import did, summed over the chunks written so far …
        self.summary_created: Counter = Counter()
        self.changed_records: dict[str, IdBits] = defaultdict(IdBits)  # kind -> ids
        self.events_written = 0
        # … and what the current chunk did, merged when it is written.
        self.chunk_created: Counter = Counter()
        self.chunk_changed: set[tuple[str, int]] = set()
        self.chunk_dirty: set[int] = set()
        self.row_superseded = False
        # Rows to insert, as tuples in the column order of flush().
        self._new_enterprises: list[tuple] = []
        self._new_identity: dict[str, list[tuple]] = {"plan": [], "problem": [], "labour": []}
        self._events: dict[str, list[tuple]] = {k: [] for k in EVENT_MODELS}
        # New records get their ids here (the import holds the writer turn), so
        # events can be buffered and written in bulk.
        self.next_id = next_ids(self.session)
        self.first_id = dict(self.next_id)  # ids from here on are records this import made
        # Only enterprises that were ever renamed or moved can be named by a past name.
        self.renamed = set(
            self.session.execute(
                select(EnterpriseEvent.enterprise_id)
                .group_by(EnterpriseEvent.enterprise_id)
                .having(
                    (func.count(EnterpriseEvent.name) > 1)
                    | (func.count(EnterpriseEvent.district) > 1)
                )
            ).scalars()
        )
        self._bearers: dict[str, set[int]] | None = None  # (_name_bearers)
        self._chunk_named: list[tuple[str, int]] = []  # names this chunk gave: (key, id)
        # Whether any enterprise was merged into another (then plans are found via merges).
        self.merges = (
            self.session.execute(
                select(Enterprise.id).where(Enterprise.merged_into.is_not(None)).limit(1)
            ).first()
            is not None
        )
        # Rows of this chunk checked to restate the ledger (memo.py), with how many
        # events their records had then: (line, enterprise, its events, plan, its events).
        self.memo_rows = layout in MEMO_LAYOUTS
        self.row_memo: list[tuple] = []
        self.row_restates = False
        # The first line that named each record of the ledger, with what it said
        # (Importer.same_record).
        self.first_lines = FirstLines()
        self._reset()

    # ---------------------------------------------------------------- look-ups
    #
    # Rows are applied a chunk at a time.  Before a chunk, one query per table
    # fetches what its rows may refer to (enterprises by USCC and name, their
    # plans / problems / labour, and the events of all of those); after it,
    # everything is written and forgotten, so memory does not grow with the
    # sheet and a re-import costs a few queries per chunk, not one per row.

    def prefetch(self, rows: list[dict[str, Any]]) -> None:
        # name_key (NFKC + folding) is worked out once per row and kept with it
        for v in rows:
            if v.get("name") and "_name_key" not in v:
                v["_name_key"] = name_key(v["name"])
        self.prefetch_keys(
            usccs={v["uscc"] for v in rows if v.get("uscc")},
            named=[(v["name"], v["_name_key"], v.get("district")) for v in rows if v.get("name")],
            refs={v["ref"] for v in rows if v.get("ref")},
        )

    def prefetch_keys(
        self, *, usccs: set[str], named: list[tuple[str, str, str | None]], refs: set[str]
    ) -> None:
        """Fetch what rows naming these USCCs, (name, name key, district)s and
        problem refs may refer to."""
        self._reset()
        keys = {key for _name, key, _district in named}
        found: dict[int, Ref] = {}
        aliases: list[tuple] = []  # enterprises merged into another: their keys find it
        for column, values in (("uscc", usccs), ("name_key", keys)):
            for eid, uscc, key, district, name, merged in _enterprises(
                self.session, column, values
            ):
                if merged is not None:
                    aliases.append((uscc, key, district, merged))
                    continue
                ref = found.setdefault(eid, Ref(eid, uscc))
                ref.name = name
                if uscc:
                    self.by_uscc[uscc] = ref
                self.by_name.setdefault((key, district), ref)
        self._merged_aliases(aliases, found)
        self._past_names(named, found)
        ids = list(found)
        if not ids:
            return
        self._load_timelines("enterprise", found.values())
        if self.layout == "plans":
            for eid, pid in self.plans_of(ids).items():
                self.plans[eid] = Ref(pid)
            self._load_timelines("plan", self.plans.values())
        elif self.layout == "problems":
            group = self._with_merged(ids)
            query = select(
                Problem.id,
                Problem.enterprise_id,
                Problem.ref,
                Problem.raised_on,
                Problem.description_key,
            ).where(
                Problem.enterprise_id.in_(group) | (Problem.ref.in_(refs) if refs else False),
                Problem.live,
            )
            owners: dict[int, int] = {}
            for pid, eid, ref, raised, key in _own_last(self.session.execute(query), group):
                record = Ref(pid, raised=raised)
                owners[pid] = eid = group.get(eid, eid)
                if ref:
                    self.problems_by_ref[ref] = record
                self.problems_by_key[(eid, raised, key)] = record
            self._load_timelines("problem", list(self.problems_by_key.values()))
            # a description corrected since (problem edit) still matches a sheet
            # that has it as it was, or as it is now
            for record in list(self.problems_by_key.values()):
                for text in {
                    v["description"] for _d, _o, v in record.timeline.events if "description" in v
                }:
                    self.problems_by_key.setdefault(
                        (owners[record.id], record.raised, name_key(text)), record
                    )
        elif self.layout == "labour":
            group = self._with_merged(ids)
            query = select(
                Labour.id, Labour.enterprise_id, Labour.job_type, Labour.raised_on
            ).where(Labour.enterprise_id.in_(group), Labour.live)
            for lid, eid, job, raised in _own_last(self.session.execute(query), group):
                self.labour[(group[eid], job)] = Ref(lid, raised=raised)
            self._load_timelines("labour", self.labour.values())

    def _with_merged(self, ids: list[int]) -> dict[int, int]:
        """asof.with_merged: a row naming an enterprise means the records of those merged
        into it too (their demand, their problems count for it)."""
        return with_merged(self.session, ids) if self.merges else {eid: eid for eid in ids}

    def plans_of(self, ids: list[int]) -> dict[int, int]:
        """The plan a row naming each of these enterprises means (enterprise -> plan)."""
        if self.merges:  # a plan taken over in a merge is the kept enterprise's
            return counting_plans(self.session, ids)
        wanted = sorted(ids)
        found = set(wanted)
        rows = tuples(
            self.session.connection(),
            select(Plan.enterprise_id, Plan.id).where(among(Plan.enterprise_id, wanted)),
        )
        return {eid: pid for eid, pid in rows if eid in found}

    def prefetch_block(self, block: RowBlock, good: list[int]) -> None:
        """prefetch() for the good rows of a parsed block, from its columns."""
        n = len(block)
        usccs = block.columns.get("uscc", [None] * n)
        names = block.columns.get("name", [None] * n)
        districts = block.columns.get("district", [None] * n)
        keys = block.name_keys
        self.prefetch_keys(
            usccs={usccs[k] for k in good} - {None},  # type: ignore[arg-type]
            named=[(names[k], keys[k], districts[k]) for k in good if names[k] is not None],
            refs=set(),
        )

    def known(self, uscc: str | None, key: str | None, district: str | None) -> bool:
        """Whether a row naming these may refer to an enterprise prefetched."""
        return (
            (uscc is not None and uscc in self.by_uscc)
            or (key, district) in self.by_name
            or (key, district) in self.ambiguous
        )

    def _merged_aliases(self, aliases: list[tuple], found: dict[int, Ref]) -> None:
        """A sheet naming an enterprise that was merged into another (by its USCC or its
        name) means the one it was merged into; its identity columns then change nothing."""
        if not aliases:
            return
        targets = {merged for *_keys, merged in aliases}
        final: dict[int, int] = {}
        rows = {
            row[0]: row
            for row in self.session.execute(
                select(
                    Enterprise.id,
                    Enterprise.uscc,
                    Enterprise.name_key,
                    Enterprise.district,
                    Enterprise.name,
                    Enterprise.merged_into,
                    Enterprise.live,
                )
            )
            if row[5] is not None or row[0] in targets
        }
        for target in targets:
            at, seen = target, set()
            while at in rows and rows[at][5] is not None and at not in seen:
                seen.add(at)
                at = rows[at][5]
            if at in rows and rows[at][6]:
                final[target] = at
        for uscc, key, district, merged in aliases:
            keep = final.get(merged)
            if keep is None:
                continue
            row = rows[keep]
            ref = found.setdefault(keep, Ref(keep, row[1]))
            ref.name = row[4]
            if uscc:
                self.by_uscc.setdefault(uscc, ref)
                self.alias_usccs.add(uscc)
            self._name_formerly(key, district, ref)

    def _past_names(self, named: list[tuple[str, str, str | None]], found: dict[int, Ref]) -> None:
        """An older sheet may name an enterprise as it was called before a rename
        (or place it where it was before a move): those names find it too, after the
        current ones (registry.name_bearers, the rule `enterprise edit` finds by):
        in a district where it bore that name, else in any district it was in.
        Where two enterprises bore the name there, the line must give the USCC
        (`ambiguous`), as the command refuses the name."""
        if not self.renamed:
            return
        unmatched = {key for _name, key, district in named if (key, district) not in self.by_name}
        if not unmatched:
            return
        bearers = self._name_bearers()
        wanted = {key: bearers[key] for key in unmatched if key in bearers}
        if not wanted:
            return
        ids = set().union(*wanted.values())
        event = EnterpriseEvent
        bore: set[tuple[str, str, int]] = set()  # (name key, district, id) it bore together
        state: dict[int, list] = {}
        for eid, name, district in self.session.execute(
            select(event.enterprise_id, event.name, event.district)
            .join(Batch, Batch.id == event.batch_id)
            .where(event.enterprise_id.in_(ids), Batch.undone_at.is_(None))
            .order_by(event.enterprise_id, event.business_date, event.id)
        ):
            now = state.setdefault(eid, [None, None])
            if name is not None:
                now[0] = name_key(name)
            if district is not None:
                now[1] = district
            if now[0] is not None and now[1] is not None:
                bore.add((now[0], now[1], eid))
        refs = {}
        for eid, uscc, name in self.session.execute(
            select(Enterprise.id, Enterprise.uscc, Enterprise.name).where(Enterprise.id.in_(ids))
        ):
            refs[eid] = ref = found.setdefault(eid, Ref(eid, uscc))
            ref.name = name
        exactly: dict[tuple[str, str], list[int]] = {}
        places: dict[int, set[str]] = {}  # every district it was in
        for key, district, eid in sorted(bore):
            exactly.setdefault((key, district), []).append(eid)
            places.setdefault(eid, set()).add(district)
        for key, eids in wanted.items():
            # a name in a district it bore there, else in any district it was in
            held: dict[str, list[int]] = {}
            for eid in sorted(eids):
                for district in places.get(eid, ()):
                    held.setdefault(district, []).append(eid)
            for district, holders in held.items():
                if (key, district) in self.by_name:
                    continue  # a current name claims it
                holders = exactly.get((key, district), holders)
                if len(holders) == 1:
                    self._name_formerly(key, district, refs[holders[0]])
                else:
                    self.ambiguous[(key, district)] = [refs[eid] for eid in holders]

    def _name_bearers(self) -> dict[str, set[int]]:
        """registry.name_bearers among the enterprises ever renamed or moved, read once
        an import and told of the renames and moves it records (commit_chunk)."""
        if self._bearers is None:
            self._bearers = name_bearers(self.session, among=self.renamed)
        return self._bearers

    def _name_formerly(self, key: str, district: str, ref: Ref) -> None:
        """A name the enterprise bore (before a rename, or a merged duplicate's) finds
        it where no current name claims it; it is not held: another enterprise may
        take it (as `enterprise add` and `edit --name` may)."""
        if (key, district) not in self.by_name:
            self.by_name[(key, district)] = ref
            self.former.add((key, district))

    def _name_now(self, key: str, district: str, ref: Ref) -> None:
        """An enterprise this import named so (made, renamed or moved): a later line
        naming it so finds it, also where the name was another's former name."""
        if (key, district) in self.former:
            self.former.discard((key, district))
            self.by_name[(key, district)] = ref
        else:
            self.by_name.setdefault((key, district), ref)

    def _holder(self, key: str | None, district: str | None) -> Ref | None:
        """The enterprise holding that name in that district now, if prefetched."""
        if key is None or (key, district) in self.former:
            return None
        return self.by_name.get((key, district))

    def _reset(self) -> None:
        self.by_uscc: dict[str, Ref] = {}
        self.by_name: dict[tuple[str, str], Ref] = {}
        self.former: set[tuple[str, str]] = set()  # by_name's keys that are no one's name now
        self.ambiguous: dict[tuple[str, str], list[Ref]] = {}  # former names of several
        self.alias_usccs: set[str] = set()
        self.plans: dict[int, Ref] = {}
        self.problems_by_ref: dict[str, Ref] = {}
        self.problems_by_key: dict[tuple[int, date, str], Ref] = {}
        self.labour: dict[tuple[int, str], Ref] = {}

    def _load_timelines(self, kind: str, refs: Iterable[Ref]) -> None:
        by_id = {ref.id: ref for ref in refs}
        for rid, timeline in load(self.session, kind, by_id).items():
            by_id[rid].timeline = timeline

    # ---------------------------------------------------------------- recording

    def _apply(self, kind: str, ref: Ref, decision: rules.Decision, line: int) -> None:
        """Record a decision of the rules: buffer its events, let later rows see them."""
        if decision.superseded:
            self.row_superseded = True
        if not decision.changes:
            return
        fields = EVENT_FIELDS[kind]
        events = self._events[kind]
        for on, values in decision.changes:
            self.order += 1
            ref.timeline.add(on, self.order, values)
            events.append((self.batch_id, ref.id, on, line, "import", *map(values.get, fields)))
        if not ref.new:
            self.chunk_changed.add((kind, ref.id))

    def _new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table] - 1

    def _identity(self, kind: str, ent: Ref, ref: Ref, *values: Any) -> None:
        """A new plan / problem / labour row: its id, its enterprise, then `values`
        in the order of PROBLEM_ROW / LABOUR_ROW."""
        self._new_identity[kind].append((ref.id, ent.id, *values))
        self.chunk_created[KIND_LAYOUT[kind]] += 1

    # ---------------------------------------------------------------- enterprises

    def found(self, values: dict[str, Any]) -> Ref | None:
        """The enterprise a row names (None: a new one): the holder of its USCC, else
        of its name in its district (one without a USCC, where the row gives one)."""
        uscc, name, district = values.get("uscc"), values.get("name"), values.get("district")
        ref = self.by_uscc.get(uscc) if uscc else None
        if ref is None and name and district:
            named = (values.get("_name_key"), district)
            candidate = self.by_name.get(named)
            if candidate is not None and (not uscc or candidate.uscc is None):
                ref = candidate
            elif candidate is None and not uscc and named in self.ambiguous:
                listing = ", ".join(f"#{r.id} {r.name}" for r in self.ambiguous[named])
                raise Refusal(
                    "name",
                    f"曾用此名的企业不止一家: {listing}; 请填写统一社会信用代码",
                    f"more than one enterprise bore this name: {listing}; give the USCC",
                )
        return ref

    def enterprise(self, values: dict[str, Any], line: int, own_date: date | None) -> Ref:
        uscc, name, district = values.get("uscc"), values.get("name"), values.get("district")
        key = values.get("_name_key")
        ref = self.found(values)
        if ref is None:
            if not (name and district):
                raise Refusal(
                    "uscc",
                    "未知的统一社会信用代码; 新企业须有企业名称和区县",
                    "unknown USCC; a new enterprise needs a name and a district",
                )
            on = min(own_date, self.default_date) if own_date else self.default_date
            decision = rules.new_enterprise(
                {k: values[k] for k in ENTERPRISE_COLUMNS if values.get(k) is not None},
                on,
                today=self.today,
                uscc_owner=None,
                name_owner=_owner(self._holder(key, district)),
            )
            ref = Ref(self._new_id("enterprise"), uscc, new=True)
            ref.name = name
            self._new_enterprises.append((ref.id, name, key, district, uscc))
            self.chunk_created["enterprises"] += 1
            if uscc:
                self.by_uscc[uscc] = ref
            self._name_now(key, district, ref)
            self._apply("enterprise", ref, decision, line)
            if self.memo_rows:
                wanted = _wanted(uscc, name, district, values)
                self.row_restates = rules.restates_enterprise(
                    ref.timeline, wanted, self.default_date
                )
            return ref
        if uscc is not None and uscc in self.alias_usccs:
            uscc = None  # a merged duplicate's USCC found the one kept: no rename
        if uscc is None or self.layout not in MASTER_LAYOUTS:
            # a line without a USCC names its enterprise by name and district, which
            # found it (a former name, a former district, a merged duplicate's name:
            # SPEC), and a problem or a demand only names its enterprise: they are
            # how the line names it, not a rename or a move back
            name = district = None
        wanted = _wanted(uscc, name, district, values)
        if rules.restates_enterprise(ref.timeline, wanted, self.default_date):
            self.row_restates = True
            return ref  # what the ledger holds: the rules would record nothing
        stored = ref.timeline.state(self.default_date, fallback=True)
        target = (key if name is not None else None, district or stored.get("district"))
        other_name = self._holder(*target)
        other_uscc = self.by_uscc.get(uscc) if uscc else None
        decision = rules.enterprise_changes(
            ref.timeline,
            wanted,
            self.default_date,
            today=self.today,
            restating=True,
            same_name=name is not None and name_key(stored.get("name") or "") == key,
            uscc_owner=_owner(other_uscc) if other_uscc not in (None, ref) else None,
            name_owner=_owner(other_name) if other_name not in (None, ref) else None,
        )
        changed = decision.fields()
        if "uscc" in changed:
            self.by_uscc[changed["uscc"]] = ref
            ref.uscc = changed["uscc"]
        if not ref.new and {"uscc", "name", "district"} & changed.keys():
            self.chunk_dirty.add(ref.id)
        if {"name", "district"} & changed.keys():  # a later line may name it so
            before = (name_key(stored.get("name") or ""), stored.get("district"))
            renamed = name_key(changed.get("name") or stored.get("name") or "")
            moved = changed.get("district") or stored.get("district")
            if self.by_name.get(before) is ref:
                self.former.add(before)  # it still finds it, held by nobody now
            self._name_now(renamed, moved, ref)
            self._chunk_named += [(before[0], ref.id), (renamed, ref.id)]
        self._apply("enterprise", ref, decision, line)
        if self.memo_rows:
            self.row_restates = rules.restates_enterprise(ref.timeline, wanted, self.default_date)
        return ref

    # ---------------------------------------------------------------- ledgers

    def apply(self, values: dict[str, Any], line: int) -> bool:
        """Apply one validated row; returns whether it recorded anything."""
        before = self.order
        self.row_superseded = False
        self.row_withdrawn = False
        self.row_restates = False
        self.row_plan: Ref | None = None
        own = values.get("raised_on") if self.layout in ("problems", "labour") else None
        named = self.found(values)
        problem = self._find_problem(named, values) if self.layout == "problems" else None
        record = self._record(named, values, problem) if named is not None else None
        said = values.get("_said")
        if record is not None and said is not None:
            self.same_record(record.id, line, values)
        ent = self.enterprise(values, line, own)
        if self.layout == "plans":
            self._plan(ent, values, line)
        elif self.layout == "problems":
            self._problem(ent, values, line, problem if named is ent else None)
        elif self.layout == "labour":
            self._labour(ent, values, line)
        if record is None and said is not None:  # a record this line made
            found = self._find_problem(ent, values) if self.layout == "problems" else None
            made = self._record(ent, values, found)
            if made is not None:
                self.first_lines.made(made.id, line, said)
        if self.row_restates and self.memo_rows:
            plan = self.row_plan
            self.row_memo.append(
                (line, ent, len(ent.timeline.events), plan, plan and len(plan.timeline.events))
            )
        return self.order != before

    def _record(self, ent: Ref, v: dict[str, Any], problem) -> Ref | None:
        """The record a row naming the enterprise `ent` means (None: a new one): the
        enterprise for plans and enterprises sheets (its plan is its one plan), the
        problem or demand it finds otherwise."""
        if self.layout == "problems":
            return problem[0]
        if self.layout == "labour":
            return self.labour.get((ent.id, v.get("job_type")))
        return ent

    def same_record(self, record: int, line: int, values: dict[str, Any]) -> None:
        """A record given twice must say the same thing twice (SPEC "Errors"), also
        where two lines name it in ways only the ledger tells apart (a line with only
        the USCC, a former name, a merged duplicate's USCC or name): what a line says
        of its record, all but the columns naming it (RowBlock.said), is
        compared with what the first line naming the record said. (Lines naming it
        alike were compared by the sheet already: ingest._check_duplicates.) Asked
        before the row is applied, so a line refused leaves nothing behind."""
        first = self.first_lines.first(record, line, values["_said"])
        if first:
            raise self.not_the_same(first, by_uscc=values.get("uscc") is not None)

    def not_the_same(self, first: int, *, by_uscc: bool) -> Refusal:
        what = _SAME_RECORD[self.layout]
        return Refusal(
            "uscc" if by_uscc else "name",
            f"与第 {first} 行是同一{what[0]}但内容不同",
            f"names the same {what[1]} as line {first} with different values",
        )

    def _plan(self, ent: Ref, v: dict[str, Any], line: int) -> None:
        # (row_restates: whether the row now says only what the plan's history holds)
        ref = self.row_plan = self.plans.get(ent.id)
        if ref is None and not makes_plan(v):
            return  # a row with enterprise attributes only
        change = plan_change(v, self.default_date)
        if ref is not None and rules.restates_plan(ref.timeline, change):
            return  # what the ledger holds: the rules would record nothing
        history = ref.timeline if ref is not None else Timeline()
        decision = rules.plan_changes(history, change, today=self.today, restating=True)
        if ref is None:
            if not decision:
                return  # no plan, none made: the same again on any date
            ref = Ref(self._new_id("plan"), new=True)
            self.plans[ent.id] = ref
            self._identity("plan", ent, ref)
        self._apply("plan", ref, decision, line)
        self.row_plan = ref
        if self.row_restates:
            self.row_restates = rules.restates_plan(ref.timeline, change)

    def _find_problem(self, ent: Ref | None, v: dict[str, Any]) -> tuple[Ref | None, tuple | None]:
        """The problem a row of a problems sheet means (None: a new one), and its key
        by enterprise, date raised and description (None where its number found it);
        `ent`: the enterprise the row names (None: a new one)."""
        ref = self.problems_by_ref.get(v["ref"]) if v.get("ref") else None
        description = v.get("description")
        if ref is not None or not description or ent is None:
            return ref, None
        key = (ent.id, v.get("raised_on") or self.default_date, name_key(description))
        ref = self.problems_by_key.get(key)
        if ref is None and v.get("raised_on") is None:
            # a sheet without 提出日期, imported again on a later --date
            same = [r for k, r in self.problems_by_key.items() if k[0] == ent.id and k[2] == key[2]]
            ref = same[0] if len(same) == 1 else None
        return ref, key

    def _problem(self, ent: Ref, v: dict[str, Any], line: int, found=None) -> None:
        """`found`: _find_problem's for `ent`, where apply() asked it already."""
        raised = v.get("raised_on") or self.default_date
        description = v.get("description")
        ref, key = found if found is not None else self._find_problem(ent, v)
        change = ProblemChange(
            on=self.default_date,
            category=v.get("category"),
            description=description,
            department=v.get("department"),
            deadline=v.get("deadline"),
            status=v.get("status"),
            resolution=v.get("resolution"),
            resolved_on=v.get("resolved_on"),
        )
        if ref is not None:
            if rules.withdrawn(ref.timeline):
                self.row_withdrawn = True  # 作废: the sheet still lists it; nothing recorded
                return
            decision = rules.problem_changes(
                ref.timeline, ref.raised, change, today=self.today, restating=True
            )
            self._apply("problem", ref, decision, line)
            return
        decision = rules.new_problem(change, raised, today=self.today)
        ref = Ref(self._new_id("problem"), new=True, raised=raised)
        if v.get("ref"):
            self.problems_by_ref[v["ref"]] = ref
        key = key or (ent.id, raised, name_key(description or ""))
        self.problems_by_key[key] = ref
        self._identity("problem", ent, ref, v.get("ref"), raised, key[2])
        self._apply("problem", ref, decision, line)

    def _labour(self, ent: Ref, v: dict[str, Any], line: int) -> None:
        job = v.get("job_type")
        if job is None:
            raise Refusal("job_type", "缺少工种", "the job type is missing")
        key = (ent.id, job)
        ref = self.labour.get(key)
        change = LabourChange(
            on=self.default_date,
            needed=v.get("needed"),
            filled=v.get("filled"),
            requirements=v.get("requirements"),
            note=v.get("note"),
        )
        if ref is not None:
            decision = rules.labour_changes(
                ref.timeline, ref.raised, change, today=self.today, restating=True
            )
            self._apply("labour", ref, decision, line)
            return
        raised = v.get("raised_on") or self.default_date
        decision = rules.new_labour(change, raised, today=self.today)
        ref = Ref(self._new_id("labour"), new=True, raised=raised)
        self.labour[key] = ref
        self._identity("labour", ent, ref, job, raised)
        self._apply("labour", ref, decision, line)

    # ---------------------------------------------------------------- writing

    def named(self) -> tuple[set[int], set[int]]:
        """The enterprises and plans the rows prefetched for may name (and change).

        The sheet memo (memo.py) relies on this covering every existing record an
        import records an event of: a change that records on another record (say,
        the current holder of a name) must add it here."""
        enterprises = {ref.id for ref in self.by_uscc.values()}
        enterprises.update(ref.id for ref in self.by_name.values())
        return enterprises, {ref.id for ref in self.plans.values()}

    def begin_chunk(self, rows: list[dict[str, Any]], *, prefetch: bool = True) -> None:
        """Start applying rows; `prefetch=False` when prefetch_block fetched for them."""
        self._mark = (dict(self.next_id), self.order)
        self.row_memo = []
        if prefetch:
            self.prefetch(rows)

    def abandon_chunk(self) -> None:
        """Forget everything the chunk did (nothing of it was written yet)."""
        self.next_id, self.order = dict(self._mark[0]), self._mark[1]
        self._new_enterprises.clear()
        for pending in (*self._new_identity.values(), *self._events.values()):
            pending.clear()
        self.chunk_created.clear()
        self.chunk_changed.clear()
        self.chunk_dirty.clear()
        self.first_lines.drop_made()
        self._chunk_named.clear()
        self._reset()

    def commit_chunk(self) -> None:
        self.flush()
        if self.chunk_dirty:
            # the enterprise table says their names, districts and USCCs now: a later
            # block finds them (and the names they left) as the ledger will
            refresh_enterprises(self.session, self.chunk_dirty)
        for key, eid in self._chunk_named:  # later chunks find them by their past names
            self.renamed.add(eid)
            if self._bearers is not None:
                self._bearers.setdefault(key, set()).add(eid)
        self._chunk_named.clear()
        self.first_lines.keep_made()
        self.summary_created.update(self.chunk_created)
        for kind, rid in self.chunk_changed:
            self.changed_records[kind].add(rid)
        self.chunk_created.clear()
        self.chunk_changed.clear()
        self.chunk_dirty.clear()

    def flush(self) -> None:
        """Write what is buffered, with one executemany per table."""
        for table, columns, rows in (
            ("enterprise", ENTERPRISE_ROW, self._new_enterprises),
            ("plan", ["id", "enterprise_id"], self._new_identity["plan"]),
            ("problem", PROBLEM_ROW, self._new_identity["problem"]),
            ("labour", LABOUR_ROW, self._new_identity["labour"]),
        ):
            bulk_insert(self.session, table, columns, rows)
            rows.clear()
        for kind, events in self._events.items():
            if not events:
                continue
            model, owner = EVENT_MODELS[kind]
            columns = ["batch_id", owner, "business_date", "line", "action", *EVENT_FIELDS[kind]]
            bulk_insert(self.session, model.__tablename__, columns, events)
            self.events_written += len(events)
            events.clear()

    def finish(self) -> None:
        self.flush()
        sync_sequences(self.session)
        self.unit.counted(self.events_written)  # (the enterprise table: commit_chunk)


_SAME_RECORD = {  # what a record of each layout is, for same_record's message
    "plans": ("企业", "enterprise"),
    "enterprises": ("企业", "enterprise"),
    "problems": ("问题", "problem"),
    "labour": ("用工需求", "demand"),
}


def _wanted(uscc, name, district, values: dict[str, Any]) -> dict[str, Any]:
    """What an enterprises row says of its enterprise (rules.restates_enterprise)."""
    wanted = {"uscc": uscc, "name": name, "district": district}
    wanted.update((k, values.get(k)) for k in ENTERPRISE_ATTRS)
    return wanted


def _without(rows: list[int], dropped: list[int]) -> list[int]:
    if not dropped:
        return rows
    gone = set(dropped)
    return [k for k in rows if k not in gone]


def plan_change(v: dict[str, Any], on: date) -> PlanChange:
    """What a plan sheet row says of its plan."""
    return PlanChange(
        on=on,
        status=v.get("status"),
        planned_on=v.get("planned_on"),
        returned=v.get("returned"),
        reason=v.get("reason"),
        note=v.get("note"),
        inspection=v.get("inspection"),
        inspected_on=v.get("inspected_on"),
        resumed_on=v.get("resumed_on"),
    )


def _owner(ref: Ref | None) -> Owner | None:
    return None if ref is None else Owner(ref.id, ref.name or "", ref.uscc)


def _enterprises(session: Session, column: str, values: set[str]) -> list[tuple]:
    """(id, uscc, name_key, district, name, merged_into) of the live enterprises, and of
    those merged into another, whose `column` is one of `values`.

    Plain SQL on the DB-API cursor: SQLAlchemy renders an IN list of thousands
    of values one bound parameter at a time (a tenth of a large import's time).
    """
    if not values:
        return []
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    wanted = list(values)
    found: list[tuple] = []
    cursor = conn.connection.cursor()
    try:
        for start in range(0, len(wanted), IN_LIST_MAX):
            part = wanted[start : start + IN_LIST_MAX]
            # PostgreSQL takes the values as one array (a list of thousands of
            # placeholders costs the driver and the planner more than the look-up)
            match, params = in_list(part) if sqlite else ("= ANY(%s)", [part])
            cursor.execute(
                "SELECT e.id, e.uscc, e.name_key, e.district, e.name, e.merged_into "  # noqa: S608
                f"FROM enterprise e WHERE e.{column} {match} "
                "AND (e.live OR e.merged_into IS NOT NULL)",
                params,
            )
            found.extend(cursor.fetchall())
    finally:
        cursor.close()
    return found


def _refresh_statistics(session: Session) -> None:
    """ANALYZE the ledger's tables after a large import, on PostgreSQL.

    A freshly loaded ledger has no planner statistics until autovacuum gets to
    it; meanwhile the report's as-of queries were planned as if the tables were
    empty and ran for many minutes on 30k enterprises (3 s once analysed).
    SQLite plans without statistics and needs nothing here.
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    tables = ", ".join(f'"{name}"' for name in ANALYZED)
    conn.exec_driver_sql(f"ANALYZE {tables}")


@contextmanager
def _calm_gc() -> Iterator[None]:
    """Fewer, cheaper garbage collections while rows stream through.

    An import allocates millions of short-lived objects and creates no cycles of
    its own; with the default thresholds the collector would walk every object
    the process holds (SQLAlchemy's included) over and over.  Freezing what
    exists and collecting less often saves ~20% of an import's time; the caller
    collects every few blocks (cheap: frozen objects are not walked), so the few
    cycles SQLAlchemy leaves per query do not pile up (measured: +60 MB at 300k
    rows without it).
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def refusal_error(
    sheet: Sheet, raw: list[str], line: int, refusal: Refusal, default_date: date, lang: str
) -> RowError:
    """A refusal of the rules as a row error: the column as the sheet heads it, the
    value as the sheet has it (the business date of the import: --date)."""
    if refusal.column in sheet.columns:
        return RowError(
            sheet.file,
            line,
            sheet.column_label(refusal.column),
            sheet.cell_text(raw, refusal.column),
            refusal.text(lang),
        )
    if refusal.column == "date":
        return RowError(sheet.file, line, "--date", default_date.isoformat(), refusal.text(lang))
    return RowError(sheet.file, line, refusal.column, "", refusal.text(lang))


def withdrawn_warning(sheet: Sheet, row, lang: str) -> RowError:
    column = "description" if "description" in sheet.columns else sheet.columns[0]
    return RowError(
        sheet.file,
        row.line,
        sheet.column_label(column),
        sheet.cell_text(row.raw, column),
        "该问题已作废, 本行未导入"
        if lang != "en"
        else "that problem was withdrawn; row not imported",
    )


def _next_block(blocks: Iterator[RowBlock]) -> tuple[RowBlock | None, Exception | None]:
    """The next block of the sheet (None at its end), or the error reading it raised,
    to be raised in its turn: after the block before it is applied."""
    try:
        return next(blocks, None), None
    except Exception as error:  # raised by the caller, in its turn
        return None, error


def import_sheet(
    *,
    unit: UnitOfWork,
    sheet: Sheet,
    default_date: date,
    skip_invalid: bool = False,
    rejects=None,
    lang: str = "zh",
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import one opened sheet in the unit of work's transaction.

    Raises SheetError (listing every bad row: what could not be read and what
    the rules refuse, together) unless `skip_invalid`, which skips them and
    hands them to `rejects` (a callable taking the cells and the errors).
    Writes nothing itself on error: the unit's transaction is rolled back by
    the raised error.
    """
    layout = sheet.layout
    session = unit.session
    with _calm_gc():
        display = sheet.file
        importer = Importer(unit=unit, layout=layout, default_date=default_date)
        summary = ImportSummary(layout=layout, file=display)
        chunk: list = []

        held: list[tuple[int, list[str], list]] = []  # the block's rejected rows

        def reject(row_raw, errors) -> None:
            summary.errors.extend(errors)
            if skip_invalid:
                summary.skipped += 1
                if rejects is not None:
                    held.append((errors[0].line, row_raw, errors))

        def hand_rejects() -> None:
            """The block's rejected rows to `rejects` in the sheet's order (a row that
            does not read is rejected before the rows the rules refuse)."""
            held.sort(key=itemgetter(0))
            for _line, raw, errors in held:
                rejects(raw, errors)
            held.clear()

        def apply_chunk(prefetched: bool = False) -> None:
            # A row that cannot be applied must leave nothing behind, also under
            # --skip-invalid: the chunk is applied again without it (rare).
            pending = list(chunk)
            chunk.clear()
            while pending:
                importer.begin_chunk([row.values for row in pending], prefetch=not prefetched)
                prefetched = False
                outcome, failed, superseded = [], [], 0
                for row in pending:
                    try:
                        outcome.append(importer.apply(row.values, row.line))
                        superseded += importer.row_superseded
                        if importer.row_withdrawn:
                            summary.warnings.append(withdrawn_warning(sheet, row, lang))
                    except Refusal as refusal:
                        error = refusal_error(sheet, row.raw, row.line, refusal, default_date, lang)
                        failed.append((row, error))
                for row, error in failed:
                    reject(row.raw, [error])
                if failed and skip_invalid:
                    importer.abandon_chunk()
                    dropped = {id(row) for row, _error in failed}
                    pending = [row for row in pending if id(row) not in dropped]
                    continue
                if not failed:
                    importer.commit_chunk()
                    summary.rows += len(outcome)
                    summary.unchanged += outcome.count(False)
                    summary.superseded += superseded
                    checked.extend(importer.row_memo)
                else:  # everything will be rolled back: only the errors matter now
                    importer.abandon_chunk()
                return

        fresh = (
            FreshWriter(unit, importer=importer)
            if layout in ("plans", "enterprises") and FRESH_WAY
            else None
        )

        memo = Memo(importer) if layout in MEMO_LAYOUTS and MEMO_WAY else None
        checked: list[tuple] = []  # rows of the block found to restate (Importer.row_memo)

        def apply_block(block: RowBlock, good: list[int], digests: list, early) -> None:
            codes: dict[int, bytes | None] = {}
            passed: list[int] = []
            if memo is not None:
                codes = dict(zip(good, digests, strict=True))
                passed = memo.passed(block, good, digests, early)
                good = _without(good, passed)
            general, prefetched = good, False
            if (fresh is not None or passed) and good:
                importer.prefetch_block(block, good)
                prefetched = True
            if memo is not None and passed and good:
                # a row going through the rules may change what a passed row names:
                # then that row goes through the rules too, in its place in the sheet
                memo.touch(*importer.named())
                kept = memo.untouched(passed)
                if len(kept) < len(passed):
                    good = general = sorted([*good, *_without(passed, kept)])
                    importer.prefetch_block(block, good)
                    passed = kept
            if passed:  # (no row of the block going through the rules names their records)
                passed = mark_passed(block, passed)
            summary.rows += len(passed)
            summary.unchanged += len(passed)
            made: list[tuple[int, int, int | None, Any]] = []
            if fresh is not None and good:
                found = bool(importer.by_uscc or importer.by_name or importer.ambiguous)
                created = fresh_rows(block, good, layout, importer, found)
                if created:
                    prefetched = False  # what the general rows may name has changed
                    importer.summary_created.update(fresh.write(block, created))
                    summary.rows += len(created)
                    taken = {k for k, *_rest in created}
                    general = [k for k in good if k not in taken]
                    made = [
                        (k, eid, pid, decision)
                        for (k, eid, pid), (_k, decision, restates) in zip(
                            fresh.written, created, strict=True
                        )
                        if restates
                    ]
            said = block.said
            for k in general:
                row = block.row(k)
                if row.name_key is not None:
                    row.values["_name_key"] = row.name_key
                row.values["_said"] = said[k]
                chunk.append(row)
            checked.clear()
            if chunk:
                apply_chunk(prefetched)
            if memo is not None and (skip_invalid or not summary.errors):
                remember(block, codes, made, touched=importer.named()[0] if general else set())

        def mark_passed(block: RowBlock, passed: list[int]) -> list[int]:
            """Importer.same_record for the rows the memo passed by; those in conflict
            (only where a row before went through the rules, which an import with
            errors does not tell the memo) are refused instead."""
            hits, lines = memo.hits, block.lines
            refused = importer.first_lines.mark(
                list(map(itemgetter(1), map(hits.__getitem__, passed))),
                list(map(lines.__getitem__, passed)),
                list(map(block.said.__getitem__, passed)),
            )
            if not refused:
                return passed
            usccs = block.columns.get("uscc", [None] * len(block))
            for j, first in refused:
                k = passed[j]
                refusal = importer.not_the_same(first, by_uscc=usccs[k] is not None)
                raw = block.raw[k]
                reject(raw, [refusal_error(sheet, raw, lines[k], refusal, default_date, lang)])
            return _without(passed, [passed[j] for j, _first in refused])

        def remember(block: RowBlock, codes, made, touched: set[int]) -> None:
            """Remember the block's rows that restate the ledger as the block left it."""
            memo.touch(touched, ())
            latest: dict[int, date] = {}  # per decision: fresh rows share a few
            for k, eid, pid, decision in made:
                if eid in touched:
                    continue  # a later row of the block named it
                if id(decision) not in latest:
                    dates = [on for on, _values in decision.changes] if decision else []
                    latest[id(decision)] = max([default_date, *dates])
                memo.remember(codes[k], eid, pid, latest[id(decision)])
            if not checked:
                memo.flush()
                return
            at = {block.lines[k]: k for k in codes}
            none = [None] * len(block)
            usccs = block.columns.get("uscc", none)
            districts = block.columns.get("district", none)
            for line, ent, events, plan, plan_events in checked:
                if len(ent.timeline.events) != events:
                    continue  # a later row of the block changed it
                last = ent.timeline.events[-1][0]
                if plan is not None and plan.timeline.events:
                    if len(plan.timeline.events) != plan_events:
                        continue
                    last = max(last, plan.timeline.events[-1][0])
                k = at[line]
                named = (usccs[k], block.name_keys[k], districts[k])
                memo.remember(codes[k], ent.id, plan.id if plan else None, last, named)
            memo.flush()

        count = 0
        blocks = sheet.blocks()
        block, unread = _next_block(blocks)
        number = -1
        while block is not None:
            number += 1
            if number % 8 == 7:
                gc.collect()  # see _calm_gc
            count += len(block)
            if progress is not None:
                progress(count)
            if not block.errors:  # the usual block: every row reads
                good = list(range(len(block)))
                for k in sorted(block.warnings):
                    summary.warnings.extend(block.warnings[k])
            else:
                good = []
                for k in range(len(block)):
                    errors = block.errors.get(k)
                    if errors:
                        reject(block.raw[k], errors)
                    else:
                        good.append(k)
                        summary.warnings.extend(block.warnings.get(k, ()))
            digests, early = [], None
            if good and memo is not None:
                digests = memo.digests(block, good)
                early = memo.look_up_soon(digests)
            if early is not None:  # the next block is parsed while the server looks up
                following = _next_block(blocks)
            if good:
                apply_block(block, good, digests, early)
            hand_rejects()
            block, unread = following if early is not None else _next_block(blocks)
        if unread is not None:  # (after the blocks before it, as if read in turn)
            raise unread
        summary.totals = sheet.spec.totals
        if fresh is not None:
            fresh.close()
        summary.errors.sort(key=lambda e: e.line)
        if summary.errors and not skip_invalid:
            raise SheetError(summary.errors)
        importer.finish()
        if memo is not None:
            memo.close()
        summary.created = Counter(importer.summary_created)
        changed = {  # (records made by this import are counted as new)
            KIND_LAYOUT[kind]: ids.count_below(importer.first_id[kind])
            for kind, ids in importer.changed_records.items()
        }
        summary.changed = Counter({layout: n for layout, n in changed.items() if n})
        if summary.rows - summary.unchanged >= ANALYZE_AFTER:
            _refresh_statistics(session)
        return summary
