"""Apply a validated sheet to the ledger: match, diff, record — one batch, one transaction.

`ingest.py` reads and validates the cells; this module decides what each row
means for the ledger (SPEC "Matching" and "Dates of what a sheet records"):
which enterprise and record it is, which of its values differ from what the
ledger says as of the row's business date, and records only those, each event
pointing at the file and line.  Rows come in blocks (ingest.RowBlock); rows
that create their enterprise are written set-based by fresh.py, the others are
diffed here and their inserts buffered and written with one executemany per
table a block (the import assigns the new ids itself, under the write lock).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from .db import ID_TABLES, bulk_insert, lock_for_import, next_ids, sync_sequences
from .errors import FugongError, RowError, SheetError
from .fresh import MAKES_PLAN, FreshWriter, fresh_rows
from .ingest import RowBlock
from .layouts import ENTERPRISE_COLUMNS
from .ledger import APPROVABLE, district_resolver, new_batch, refresh_enterprises, stamp_commit
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
from .values import name_key

# rows recorded from which an import refreshes PostgreSQL's planner statistics
ANALYZE_AFTER = 1000
ANALYZED = ("batch", *ID_TABLES, *(model.__tablename__ for model, _id in EVENT_MODELS.values()))
# Rows creating their records take the set-based way of fresh.py; a test turns it
# off to compare with the general way.
FRESH_WAY = True
ENTERPRISE_ROW = ["id", "name", "name_key", "district", "uscc"]
PROBLEM_ROW = ["id", "enterprise_id", "ref", "raised_on", "description_key"]
LABOUR_ROW = ["id", "enterprise_id", "job_type", "raised_on"]
# the master-record attributes a sheet row may carry besides its identity
ENTERPRISE_ATTRS = tuple(c for c in ENTERPRISE_COLUMNS if c not in ("uscc", "name", "district"))
KIND_LEDGER = {
    "enterprise": "enterprises",
    "plan": "plans",
    "problem": "problems",
    "labour": "labour",
}
LEDGER_LABELS = {
    "enterprises": "企业",
    "plans": "复产计划",
    "problems": "问题",
    "labour": "用工需求",
}


class Ref:
    """A record this import touches; `new` if the import creates it.

    `timeline` is what the ledger and this import say of it, loaded with the
    chunk (None until something asks).
    """

    __slots__ = ("id", "uscc", "new", "timeline")

    def __init__(self, id: int, uscc: str | None = None, new: bool = False):
        self.id = id
        self.uscc = uscc
        self.new = new
        self.timeline: _Timeline | None = None


@dataclass
class ImportSummary:
    ledger: str
    file: str
    rows: int = 0
    created: Counter = field(default_factory=Counter)  # kind -> new records
    changed: Counter = field(default_factory=Counter)  # kind -> existing records changed
    unchanged: int = 0  # rows that changed nothing
    skipped: int = 0  # rows rejected under --skip-invalid
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False

    def text(self, lang: str = "zh") -> str:
        def counts(counter: Counter) -> str:
            names = (lambda k: k) if lang == "en" else LEDGER_LABELS.get
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
            return text + (f"; rejected rows: {self.skipped}" if self.skipped else "")
        head = "试导入 (未写入)" if self.dry_run else f"已导入 (批次 {self.batch_id})"
        if not self.dry_run and self.batch_id is None:
            head = "无新内容 (未记录批次)"
        text = (
            f"{head} {self.file}: {self.rows} 行; 新增: {created}; 变更: {changed}; "
            f"无变化行: {self.unchanged}"
        )
        return text + (f"; 跳过错误行: {self.skipped}" if self.skipped else "")


class _Timeline:
    """What the ledger (plus this import so far) says of one record: events in order."""

    __slots__ = ("events",)

    def __init__(self, events: list[tuple[date, int, dict[str, Any]]]):
        self.events = events

    def state(self, on: date, *, fallback: bool = False) -> dict[str, Any]:
        """As of `on`; with `fallback`, a field first set after `on` takes its first
        value (earliest date, last recorded that day), as asof.latest does."""
        state: dict[str, Any] = {}
        later: dict[str, tuple[date, Any]] = {}
        for when, _seq, values in self.events:
            if when <= on:
                state.update(values)
            elif fallback:
                for k, v in values.items():
                    if later.get(k, (when,))[0] == when:
                        later[k] = (when, v)
        for k, (_when, v) in later.items():
            state.setdefault(k, v)
        return state

    def has_resumption_on(self, on: date) -> bool:
        return any(w == on and v.get("status") == "resumed" for w, _s, v in self.events)


class Importer:
    """Applies rows of one ledger to the session, buffering inserts."""

    def __init__(self, *, session: Session, batch: Batch, ledger: str, default_date: date):
        self.session = session
        self.batch = batch
        self.ledger = ledger
        self.default_date = default_date
        self.seq = 0
        # What the import did, summed over the chunks written so far …
        self.summary_created: Counter = Counter()
        self.changed_records: set[tuple[str, int]] = set()
        self.cache_dirty: set[int] = set()
        # … and what the current chunk did, merged when it is written.
        self.chunk_created: Counter = Counter()
        self.chunk_changed: set[tuple[str, int]] = set()
        self.chunk_dirty: set[int] = set()
        # Rows to insert, as tuples in the column order of flush().
        self._new_enterprises: list[tuple] = []
        self._new_identity: dict[str, list[tuple]] = {"plan": [], "problem": [], "labour": []}
        self._events: dict[str, list[tuple]] = {k: [] for k in EVENT_MODELS}
        # New records get their ids here (the import holds the write lock, see
        # db.lock_for_import), so events can be buffered and written in bulk.
        self.next_id = next_ids(session)
        self.first_id = dict(self.next_id)  # ids from here on are records this import made
        # Only enterprises that were ever renamed or moved can be named by a past name.
        self.renamed = set(
            session.execute(
                select(EnterpriseEvent.enterprise_id)
                .group_by(EnterpriseEvent.enterprise_id)
                .having(
                    (func.count(EnterpriseEvent.name) > 1)
                    | (func.count(EnterpriseEvent.district) > 1)
                )
            ).scalars()
        )
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
        for column, values in (("uscc", usccs), ("name_key", keys)):
            for eid, uscc, key, district in _live_enterprises(self.session, column, values):
                ref = found.setdefault(eid, Ref(eid, uscc))
                if uscc:
                    self.by_uscc[uscc] = ref
                self.by_name.setdefault((key, district), ref)
        self._past_names(named, found)
        ids = list(found)
        if not ids:
            return
        self._load_timelines("enterprise", found.values())
        if self.ledger == "plans":
            for pid, eid in self.session.execute(
                select(Plan.id, Plan.enterprise_id).where(Plan.enterprise_id.in_(ids))
            ):
                self.plans[eid] = Ref(pid)
            self._load_timelines("plan", self.plans.values())
        elif self.ledger == "problems":
            query = select(
                Problem.id,
                Problem.enterprise_id,
                Problem.ref,
                Problem.raised_on,
                Problem.description_key,
            ).where(
                Problem.enterprise_id.in_(ids) | (Problem.ref.in_(refs) if refs else False),
                _live("problem", Problem.id),
            )
            for pid, eid, ref, raised, key in self.session.execute(query):
                record = Ref(pid)
                if ref:
                    self.problems_by_ref[ref] = record
                self.problems_by_key[(eid, raised, key)] = record
            self._load_timelines("problem", self.problems_by_key.values())
        elif self.ledger == "labour":
            for lid, eid, job in self.session.execute(
                select(Labour.id, Labour.enterprise_id, Labour.job_type).where(
                    Labour.enterprise_id.in_(ids), _live("labour", Labour.id)
                )
            ):
                self.labour[(eid, job)] = Ref(lid)
            self._load_timelines("labour", self.labour.values())

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
        return (uscc is not None and uscc in self.by_uscc) or (key, district) in self.by_name

    def _past_names(self, named: list[tuple[str, str, str | None]], found: dict[int, Ref]) -> None:
        """An older sheet may name an enterprise as it was called before a rename
        (or place it where it was before a move): match those names too, after
        the current ones."""
        if not self.renamed:
            return
        unmatched = {name for name, key, district in named if (key, district) not in self.by_name}
        if not unmatched:
            return
        event = EnterpriseEvent
        past = self.session.execute(
            select(event.enterprise_id, event.name, Enterprise.uscc, Enterprise.district)
            .join(Batch, Batch.id == event.batch_id)
            .join(Enterprise, Enterprise.id == event.enterprise_id)
            .where(
                event.enterprise_id.in_(self.renamed),
                event.name.in_(unmatched),
                Batch.undone_at.is_(None),
            )
        ).all()
        if not past:
            return
        districts: dict[int, set[str]] = {}
        for eid, district in self.session.execute(
            select(event.enterprise_id, event.district)
            .join(Batch, Batch.id == event.batch_id)
            .where(
                event.enterprise_id.in_({p[0] for p in past}),
                event.district.is_not(None),
                Batch.undone_at.is_(None),
            )
        ):
            districts.setdefault(eid, set()).add(district)
        for eid, name, uscc, current in past:
            ref = found.setdefault(eid, Ref(eid, uscc))
            for district in districts.get(eid, {current}) | {current}:
                self.by_name.setdefault((name_key(name), district), ref)

    def _reset(self) -> None:
        self.by_uscc: dict[str, Ref] = {}
        self.by_name: dict[tuple[str, str], Ref] = {}
        self.plans: dict[int, Ref] = {}
        self.problems_by_ref: dict[str, Ref] = {}
        self.problems_by_key: dict[tuple[int, date, str], Ref] = {}
        self.labour: dict[tuple[int, str], Ref] = {}

    def _load_timelines(self, kind: str, refs: Iterable[Ref]) -> None:
        by_id: dict[int, Ref] = {}
        for ref in refs:
            ref.timeline = _Timeline([])
            by_id[ref.id] = ref
        if not by_id:
            return
        model, owner = EVENT_MODELS[kind]
        rid = getattr(model, owner)
        fields = EVENT_FIELDS[kind]
        query = (
            select(rid, model.business_date, *(getattr(model, f) for f in fields))
            .join(Batch, Batch.id == model.batch_id)
            .where(rid.in_(sorted(by_id)), Batch.undone_at.is_(None))
            .order_by(rid, model.business_date, model.id)
        )
        for row in self.session.execute(query):
            values = {f: v for f, v in zip(fields, row[2:], strict=True) if v is not None}
            by_id[row[0]].timeline.events.append((row[1], -1, values))  # type: ignore[union-attr]

    @staticmethod
    def _timeline(kind: str, ref: Ref) -> _Timeline:
        if ref.timeline is None:  # a record created in this chunk
            ref.timeline = _Timeline([])
        return ref.timeline

    def _record(self, kind: str, ref: Ref, on: date, changes: dict[str, Any], line: int) -> None:
        """Record the changes (already diffed) as one event of `ref` dated `on`."""
        if not changes:
            return
        self.seq += 1
        events = self._timeline(kind, ref).events
        events.append((on, self.seq, changes))
        if len(events) > 1 and events[-2][0] > on:
            events.sort(key=lambda e: (e[0], e[1]))
        self._events[kind].append(
            (self.batch.id, ref.id, on, line, "import", *map(changes.get, EVENT_FIELDS[kind]))
        )
        if not ref.new:
            self.chunk_changed.add((kind, ref.id))

    def _diff(
        self, kind: str, ref: Ref, on: date, wanted: dict[str, Any], fallback: bool = False
    ) -> dict[str, Any]:
        state = self._timeline(kind, ref).state(on, fallback=fallback)
        return {k: v for k, v in wanted.items() if v is not None and state.get(k) != v}

    # ---------------------------------------------------------------- enterprises

    def enterprise(self, values: dict[str, Any], line: int, own_date: date | None) -> Ref:
        uscc, name, district = values.get("uscc"), values.get("name"), values.get("district")
        ref = self.by_uscc.get(uscc) if uscc else None
        if ref is None and name and district:
            candidate = self.by_name.get((values["_name_key"], district))
            if candidate is not None and (not uscc or candidate.uscc is None):
                ref = candidate
        if ref is None:
            if not (name and district):
                raise _RowProblem(
                    "uscc",
                    uscc or "",
                    "未知的统一社会信用代码; 新企业须有企业名称和区县",
                    "unknown USCC; a new enterprise needs a name and a district",
                )
            ref = Ref(self._new_id("enterprise"), uscc, new=True)
            on = min(own_date, self.default_date) if own_date else self.default_date
            changes = {k: values[k] for k in ENTERPRISE_COLUMNS if values.get(k) is not None}
            self._new_enterprises.append((ref.id, name, values["_name_key"], district, uscc))
            self.chunk_created["enterprises"] += 1
            if uscc:
                self.by_uscc[uscc] = ref
            self.by_name.setdefault((values["_name_key"], district), ref)
            self._record("enterprise", ref, on, changes, line)
            return ref
        if name is not None:
            stored = self._timeline("enterprise", ref).state(self.default_date, fallback=True)
            if name_key(stored.get("name") or "") == values["_name_key"]:
                name = None  # the same name (matched on its key), spelled another way
        wanted = {"uscc": uscc, "name": name, "district": district}
        wanted.update((k, values.get(k)) for k in ENTERPRISE_ATTRS)
        diff = self._diff("enterprise", ref, self.default_date, wanted, fallback=True)
        if "uscc" in diff:
            owner = self.by_uscc.get(diff["uscc"])
            if owner is not None and owner is not ref:
                raise _RowProblem(
                    "uscc",
                    diff["uscc"],
                    "该代码已属于另一家企业",
                    "this USCC belongs to another enterprise",
                )
            self.by_uscc[diff["uscc"]] = ref
            ref.uscc = diff["uscc"]
        if diff:
            if not ref.new and {"uscc", "name", "district"} & diff.keys():
                self.chunk_dirty.add(ref.id)
            self._record("enterprise", ref, self.default_date, diff, line)
        return ref

    # ---------------------------------------------------------------- ledgers

    def apply(self, values: dict[str, Any], line: int) -> bool:
        """Apply one validated row; returns whether it recorded anything."""
        before = self.seq
        own = values.get("raised_on") if self.ledger in ("problems", "labour") else None
        ent = self.enterprise(values, line, own)
        if self.ledger == "plans":
            self._plan(ent, values, line)
        elif self.ledger == "problems":
            self._problem(ent, values, line)
        elif self.ledger == "labour":
            self._labour(ent, values, line)
        return self.seq != before

    def _new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table] - 1

    def _identity(self, kind: str, ent: Ref, ref: Ref, *values: Any) -> None:
        """A new plan / problem / labour row: its id, its enterprise, then `values`
        in the order of PROBLEM_ROW / LABOUR_ROW."""
        self._new_identity[kind].append((ref.id, ent.id, *values))
        self.chunk_created[KIND_LEDGER[kind]] += 1

    def _plan(self, ent: Ref, v: dict[str, Any], line: int) -> None:
        ref = self.plans.get(ent.id)
        if ref is None:
            if not any(v.get(k) is not None for k in MAKES_PLAN):
                return  # a row with enterprise attributes only
            ref = Ref(self._new_id("plan"), new=True)
            self.plans[ent.id] = ref
            self._identity("plan", ent, ref)
            self._first_plan(ref, v, line)
            return
        self._plan_changes(ref, v, line)

    def _plan_changes(self, ref: Ref, v: dict[str, Any], line: int) -> None:
        """Record what the row says of a plan, as far as it differs from its history."""
        status = v.get("status")
        if v.get("returned") is not None and status != "resumed" and v.get("resumed_on") is None:
            raise _RowProblem(
                "returned",
                str(v["returned"]),
                "到岗人数只用于已复产 (或填写复产日期)",
                "returned goes with resumed (or with a resumed_on date)",
            )
        if v.get("inspection") is not None:
            on = v.get("inspected_on") or self.default_date
            wanted = {"inspection": v["inspection"]}
            before = self._timeline("plan", ref).state(on).get("status")
            if v["inspection"] == "passed" and status is None and before in APPROVABLE:
                wanted["status"] = "approved"  # as `plan inspect --passed` does
            self._record("plan", ref, on, self._diff("plan", ref, on, wanted), line)
        resumed_on = v.get("resumed_on")
        if resumed_on is not None:
            timeline = self._timeline("plan", ref)
            wanted = {"status": "resumed"}
            if v.get("returned") is not None:  # 到岗人数 of that resumption
                wanted["returned"] = v["returned"]
            if not timeline.has_resumption_on(resumed_on):
                diff = self._diff("plan", ref, resumed_on, wanted)
                self._record("plan", ref, resumed_on, diff, line)
            elif "returned" in wanted:
                self._record(
                    "plan",
                    ref,
                    resumed_on,
                    self._diff("plan", ref, resumed_on, {"returned": wanted["returned"]}),
                    line,
                )
        wanted = {
            "planned_on": v.get("planned_on"),
            "reason": v.get("reason"),
            "note": v.get("note"),
        }
        if status is not None and not (status == "resumed" and resumed_on is not None):
            wanted["status"] = status
            if status == "resumed":
                wanted["returned"] = v.get("returned")
        on = self.default_date
        diff = self._diff("plan", ref, on, wanted)
        if diff.get("status") == "excluded" and not (
            v.get("reason") or self._timeline("plan", ref).state(on).get("reason")
        ):
            raise _RowProblem("status", status, "剔除须填写原因", "excluded needs a reason")
        self._record("plan", ref, on, diff, line)

    def _first_plan(self, ref: Ref, v: dict[str, Any], line: int) -> None:
        """The events of a plan this row creates: what _plan records on an empty
        history (nothing to diff against), without the diffing — most rows of a
        first import take this way.  tests/test_import_cli.py compares the two."""
        status, resumed_on, returned = v.get("status"), v.get("resumed_on"), v.get("returned")
        if returned is not None and status != "resumed" and resumed_on is None:
            raise _RowProblem(
                "returned",
                str(returned),
                "到岗人数只用于已复产 (或填写复产日期)",
                "returned goes with resumed (or with a resumed_on date)",
            )
        if status == "excluded" and not v.get("reason"):
            raise _RowProblem("status", status, "剔除须填写原因", "excluded needs a reason")
        record = self._record
        inspection = v.get("inspection")
        if inspection is not None:
            changes: dict[str, Any] = {"inspection": inspection}
            if inspection == "passed" and status is None:  # None is APPROVABLE
                changes["status"] = "approved"
            record("plan", ref, v.get("inspected_on") or self.default_date, changes, line)
        if resumed_on is not None:
            changes = {"status": "resumed"}
            if returned is not None:
                changes["returned"] = returned
            record("plan", ref, resumed_on, changes, line)
        changes = {k: v[k] for k in ("planned_on", "reason", "note") if v.get(k) is not None}
        if status is not None and not (status == "resumed" and resumed_on is not None):
            changes["status"] = status
            if status == "resumed" and returned is not None:
                changes["returned"] = returned
        record("plan", ref, self.default_date, changes, line)

    def _problem(self, ent: Ref, v: dict[str, Any], line: int) -> None:
        raised = v.get("raised_on") or self.default_date
        description = v.get("description")
        ref = self.problems_by_ref.get(v["ref"]) if v.get("ref") else None
        key = None
        if ref is None and description:
            key = (ent.id, raised, name_key(description))
            ref = self.problems_by_key.get(key)
            if ref is None and v.get("raised_on") is None:
                # a sheet without 提出日期, imported again on a later --date
                same = [
                    r for k, r in self.problems_by_key.items() if k[0] == ent.id and k[2] == key[2]
                ]
                ref = same[0] if len(same) == 1 else None
        resolved_on = v.get("resolved_on")
        if resolved_on is not None and resolved_on < raised:
            raise _RowProblem(
                "resolved_on",
                str(resolved_on),
                "办结日期早于提出日期",
                "resolved before it was raised",
            )
        if ref is None:
            missing = [c for c in ("category", "description") if not v.get(c)]
            if missing:
                raise _RowProblem(
                    missing[0],
                    "",
                    "新问题须有问题类别和问题描述",
                    "a new problem needs a category and a description",
                )
            ref = Ref(self._new_id("problem"), new=True)
            if v.get("ref"):
                self.problems_by_ref[v["ref"]] = ref
            key = key or (ent.id, raised, name_key(description))
            self.problems_by_key[key] = ref
            self._identity("problem", ent, ref, v.get("ref"), raised, name_key(description))
            first = {k: v.get(k) for k in ("category", "description", "department", "deadline")}
            first["status"] = "open"
            self._record(
                "problem", ref, raised, {k: x for k, x in first.items() if x is not None}, line
            )
            on = raised
        else:
            on = self.default_date
            wanted = {k: v.get(k) for k in ("category", "description", "department", "deadline")}
            self._record("problem", ref, on, self._diff("problem", ref, on, wanted), line)
        status = v.get("status")
        if status == "resolved" or (status is None and v.get("resolution") and resolved_on):
            when = resolved_on or max(self.default_date, on)
            wanted = {"status": "resolved", "resolution": v.get("resolution")}
            self._record("problem", ref, when, self._diff("problem", ref, when, wanted), line)
        else:
            when = max(self.default_date, on)
            # an open problem may carry the resolution it had before it was reopened
            wanted = {"status": status, "resolution": v.get("resolution")}
            diff = self._diff("problem", ref, when, wanted)
            if diff.get("status") == "open":  # SPEC: reopened only with a reason
                raise _RowProblem(
                    "status",
                    str(status),
                    "问题已办结, 表格不能重新打开; 请用 fugong problem reopen 编号 --reason 原因",
                    "the problem is resolved; a sheet cannot reopen it: use "
                    "fugong problem reopen ID --reason ...",
                )
            self._record("problem", ref, when, diff, line)

    def _labour(self, ent: Ref, v: dict[str, Any], line: int) -> None:
        job = v.get("job_type")
        if job is None:
            raise _RowProblem("job_type", "", "缺少工种", "the job type is missing")
        key = (ent.id, job)
        ref = self.labour.get(key)
        wanted = {k: v.get(k) for k in ("needed", "filled", "requirements", "note")}
        if ref is None:
            if v.get("needed") is None:
                raise _RowProblem(
                    "needed",
                    "",
                    "新用工需求须有需求人数",
                    "a new labour demand needs the number needed",
                )
            raised = v.get("raised_on") or self.default_date
            ref = Ref(self._new_id("labour"), new=True)
            self.labour[key] = ref
            self._identity("labour", ent, ref, job, raised)
            wanted["filled"] = wanted["filled"] or 0
            self._record(
                "labour", ref, raised, {k: x for k, x in wanted.items() if x is not None}, line
            )
            return
        on = self.default_date
        state = self._timeline("labour", ref).state(on)
        needed = wanted["needed"] if wanted["needed"] is not None else state.get("needed") or 0
        filled = wanted["filled"] if wanted["filled"] is not None else state.get("filled") or 0
        if filled > needed:
            raise _RowProblem(
                "filled",
                str(filled),
                f"已招人数超过需求人数 {needed}",
                f"filled exceeds needed ({needed})",
            )
        self._record("labour", ref, on, self._diff("labour", ref, on, wanted), line)

    # ---------------------------------------------------------------- writing

    def begin_chunk(self, rows: list[dict[str, Any]], *, prefetch: bool = True) -> None:
        """Start applying rows; `prefetch=False` when prefetch_block fetched for them."""
        self._mark = (dict(self.next_id), self.seq)
        if prefetch:
            self.prefetch(rows)

    def abandon_chunk(self) -> None:
        """Forget everything the chunk did (nothing of it was written yet)."""
        self.next_id, self.seq = dict(self._mark[0]), self._mark[1]
        self._new_enterprises.clear()
        for pending in (*self._new_identity.values(), *self._events.values()):
            pending.clear()
        self.chunk_created.clear()
        self.chunk_changed.clear()
        self.chunk_dirty.clear()
        self._reset()

    def commit_chunk(self) -> None:
        self.flush()
        self.summary_created.update(self.chunk_created)
        self.changed_records |= self.chunk_changed
        self.cache_dirty |= self.chunk_dirty
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
            events.clear()

    def finish(self) -> None:
        self.flush()
        sync_sequences(self.session)
        if self.cache_dirty:
            self.session.flush()
            refresh_enterprises(session=self.session, ids=sorted(self.cache_dirty))


def _live_enterprises(session: Session, column: str, values: set[str]) -> list[tuple]:
    """(id, uscc, name_key, district) of the enterprises whose `column` is one of
    `values` and that have an entry not undone.

    Plain SQL on the DB-API cursor: SQLAlchemy renders an IN list of thousands
    of values one bound parameter at a time (a tenth of a large import's time).
    """
    if not values:
        return []
    conn = session.connection()
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    wanted = list(values)
    found: list[tuple] = []
    cursor = conn.connection.cursor()
    try:
        for start in range(0, len(wanted), 5000):  # well under every bound-parameter limit
            part = wanted[start : start + 5000]
            cursor.execute(
                f"SELECT e.id, e.uscc, e.name_key, e.district FROM enterprise e "  # noqa: S608
                f"WHERE e.{column} IN ({', '.join([mark] * len(part))}) AND EXISTS ("
                "SELECT 1 FROM enterprise_event v JOIN batch b ON b.id = v.batch_id "
                "WHERE v.enterprise_id = e.id AND b.undone_at IS NULL)",
                part,
            )
            found.extend(cursor.fetchall())
    finally:
        cursor.close()
    return found


def _live(kind: str, identity_id):
    """The record has an event not undone: one whose every entry was undone is
    matched by nothing, and a sheet naming it again creates it anew."""
    model, owner = EVENT_MODELS[kind]
    return (
        select(model.id)
        .join(Batch, Batch.id == model.batch_id)
        .where(getattr(model, owner) == identity_id, Batch.undone_at.is_(None))
        .exists()
    )


class _RowProblem(FugongError):
    """A row that reads well but cannot be applied (names its column)."""

    def __init__(self, column: str, value: str, zh: str, en: str):
        super().__init__(zh, en)
        self.column = column
        self.value = value


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


def import_sheet(
    *,
    session: Session,
    ledger: str,
    source: str,
    by: str,
    default_date: date,
    encoding: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    rejects: str | None = None,
    lang: str = "zh",
    stdin=None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import one sheet as one batch in the session's transaction.

    Raises SheetError (listing every bad row) unless `skip_invalid`; with
    `dry_run` the caller rolls back.  Writes nothing itself on error: the
    caller's transaction is rolled back by the raised error.
    """
    from .ingest import open_sheet
    from .rejects import RejectsWriter

    sheet = open_sheet(
        source,
        ledger,
        encoding=encoding,
        resolve_district=district_resolver(session),
        stdin=stdin,
        lang=lang,
    )
    with sheet, _calm_gc():
        lock_for_import(session)
        display = sheet.file
        batch = new_batch(session=session, kind="import", source=display, by=by, note=ledger)
        importer = Importer(session=session, batch=batch, ledger=ledger, default_date=default_date)
        summary = ImportSummary(ledger=ledger, file=display, batch_id=batch.id, dry_run=dry_run)
        writer = RejectsWriter(rejects, sheet.header) if (skip_invalid and rejects) else None
        chunk: list = []

        def reject(row, errors) -> None:
            summary.errors.extend(errors)
            if skip_invalid:
                summary.skipped += 1
                if writer is not None:
                    writer.add(row.raw if row is not None else errors.raw, errors)

        def apply_chunk(prefetched: bool = False) -> None:
            # A row that cannot be applied must leave nothing behind, also under
            # --skip-invalid: the chunk is applied again without it (rare).
            pending = list(chunk)
            chunk.clear()
            while pending:
                importer.begin_chunk([row.values for row in pending], prefetch=not prefetched)
                prefetched = False
                outcome, failed = [], []
                for row in pending:
                    try:
                        outcome.append(importer.apply(row.values, row.line))
                    except _RowProblem as problem:
                        label = sheet.column_label(problem.column)
                        error = RowError(
                            display, row.line, label, problem.value, problem.text(lang)
                        )
                        failed.append((row, error))
                for row, error in failed:
                    reject(row, [error])
                if failed and skip_invalid:
                    importer.abandon_chunk()
                    dropped = {id(row) for row, _error in failed}
                    pending = [row for row in pending if id(row) not in dropped]
                    continue
                if not failed:
                    importer.commit_chunk()
                    summary.rows += len(outcome)
                    summary.unchanged += outcome.count(False)
                return

        fresh = (
            FreshWriter(
                session.connection(), batch_id=batch.id, default_date=default_date, ledger=ledger
            )
            if ledger in ("plans", "enterprises") and FRESH_WAY
            else None
        )

        def apply_block(block: RowBlock, good: list[int]) -> None:
            general, prefetched = good, False
            if fresh is not None:
                importer.prefetch_block(block, good)
                prefetched = True
                found = bool(importer.by_uscc or importer.by_name)
                created = fresh_rows(block, good, ledger, importer.known, found)
                if created:
                    prefetched = False  # what the general rows may name has changed
                    importer.summary_created.update(fresh.write(block, created, importer.next_id))
                    summary.rows += len(created)
                    taken = set(created)
                    general = [k for k in good if k not in taken]
            for k in general:
                row = block.row(k)
                if row.name_key is not None:
                    row.values["_name_key"] = row.name_key
                chunk.append(row)
            if chunk:
                apply_chunk(prefetched)

        try:
            count = 0
            for number, block in enumerate(sheet.blocks()):
                if number % 8 == 7:
                    gc.collect()  # see _calm_gc
                count += len(block)
                if progress is not None:
                    progress(count)
                good = []
                for k in range(len(block)):
                    errors = block.errors.get(k)
                    if errors:
                        reject(None, errors)
                    else:
                        good.append(k)
                        summary.warnings.extend(block.warnings.get(k, ()))
                if summary.errors and not skip_invalid:
                    continue  # keep validating, stop writing: all will be rolled back
                if good:
                    apply_block(block, good)
        finally:
            if writer is not None:
                writer.close()
        if fresh is not None:
            fresh.close()
        summary.errors.sort(key=lambda e: e.line)
        if summary.errors and not skip_invalid:
            raise SheetError(summary.errors)
        importer.finish()
        summary.created = Counter(importer.summary_created)
        summary.changed = Counter(
            KIND_LEDGER[kind]
            for kind, rid in importer.changed_records
            if rid < importer.first_id[kind]  # made by this import: counted as new
        )
        if summary.rows - summary.unchanged >= ANALYZE_AFTER:
            _refresh_statistics(session)
        if summary.created or summary.changed or summary.rows > summary.unchanged:
            stamp_commit(session=session, batch=batch)
        else:  # nothing recorded: no batch either (nothing to list in the log or undo)
            session.delete(batch)
            session.flush()
            summary.batch_id = None
        return summary
