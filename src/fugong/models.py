"""The ledger's tables.

The history is the truth.  Every recording command and every import is one
`Batch` (who, when, source); every fact it records is one row of an *event*
table (`EnterpriseEvent`, `PlanEvent`, `ProblemEvent`, `LabourEvent`) with its
business date.  An event row carries only the fields it changes; NULL means
"not changed here".  The value of a field as of day D, as known at moment T,
is the latest event (by business date, then by recording order) with a
non-NULL value, dated on or before D, whose batch was recorded by T and not
undone by T.  Nothing is ever deleted: an undo marks its batch as taken back
(itself a new batch), a correction is a new event.

The identity tables (`Enterprise`, `Plan`, `Problem`, `Labour`) only hold what
makes a record itself: its id and the keys imports match on, and whether it is
`live` (has an entry not undone).  `Enterprise` also caches its current uscc /
name / district for matching; the unit of work (unit.py) keeps that cache equal
to what the history says, and the database keeps live USCCs, live names in a
district and live labour demands per job type unique.
"""

from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime
from sqlalchemy import Boolean, Column, Date, Index, Integer, String, Table
from sqlmodel import Field, SQLModel

from .vocab import ENTERPRISE_COLUMNS


class District(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=12)
    name: str
    short_names: str = ""  # ";"-separated
    parent: str | None = Field(default=None, index=True)


class Batch(SQLModel, table=True):
    """One recording command or one import: the unit of history and of undo."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # "command" | "import" | "undo" | "init"
    source: str  # the command line, or the imported file
    by: str
    recorded_at: NaiveDatetime = Field(index=True)  # UTC
    undone_at: NaiveDatetime | None = None  # UTC; set by the undo batch
    undone_by: int | None = None  # the undo batch's id
    note: str | None = None


class Enterprise(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # cache of the current values (see module docstring)
    uscc: str | None = Field(default=None, index=True)
    name: str
    name_key: str = Field(index=True)
    district: str
    # in the ledger now: an entry not undone (cache; unique USCCs and names are
    # required among live enterprises only, so an undone one can come back)
    live: bool = True
    # 0 for every enterprise but the duplicates an older fugong let in (numbered
    # by the migration that made names unique; `check` lists them to merge)
    twin: int = 0
    # cache: merged into that enterprise (then not live; its names find that one)
    merged_into: int | None = None


class EnterpriseEvent(SQLModel, table=True):
    __tablename__ = "enterprise_event"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    business_date: date
    line: int | None = None  # line of the imported file
    action: str  # "register" | "edit" | "import"
    name: str | None = None
    district: str | None = None
    uscc: str | None = None
    sector: str | None = None
    above_scale: bool | None = None
    key_enterprise: bool | None = None
    employees: int | None = None
    liaison: str | None = None
    contact: str | None = None
    phone: str | None = None
    # a merge: this enterprise was the same as that one (effective at every date
    # once recorded; see corrections.py), and whose plan history goes on
    merged_into: int | None = Field(default=None, foreign_key="enterprise.id")
    merge_plan: str | None = None  # "kept" | "merged"


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", unique=True)


class PlanEvent(SQLModel, table=True):
    __tablename__ = "plan_event"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    plan_id: int = Field(foreign_key="plan.id")
    business_date: date
    line: int | None = None
    action: str  # "add" | "set" | "inspect" | "import"
    status: str | None = None
    planned_on: date | None = None
    returned: int | None = None
    reason: str | None = None
    note: str | None = None
    inspection: str | None = None  # "passed" | "failed"


class Problem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    live: bool = True  # an entry not undone (cache)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    ref: str | None = Field(default=None, index=True)  # the office's own number
    raised_on: date
    description_key: str  # matching key when a sheet has no ref


class ProblemEvent(SQLModel, table=True):
    __tablename__ = "problem_event"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    problem_id: int = Field(foreign_key="problem.id")
    business_date: date
    line: int | None = None
    action: str  # "add" | "assign" | "resolve" | "reopen" | "import"
    category: str | None = None
    description: str | None = None
    department: str | None = None
    deadline: date | None = None
    status: str | None = None
    resolution: str | None = None
    reason: str | None = None
    withdrawn: bool | None = None  # 作废: entered by mistake (every date, once recorded)


class Labour(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    live: bool = True  # an entry not undone (cache); one live demand per job type
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    job_type: str
    raised_on: date


class LabourEvent(SQLModel, table=True):
    __tablename__ = "labour_event"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="batch.id", index=True)
    labour_id: int = Field(foreign_key="labour.id")
    business_date: date
    line: int | None = None
    action: str  # "add" | "fill" | "import"
    needed: int | None = None
    filled: int | None = None
    requirements: str | None = None
    note: str | None = None


class SheetMemo(SQLModel, table=True):
    """A cache, not history (memo.py): per sheet layout and enterprise, the last row
    an import found to restate the ledger, so the same row sent again is passed by
    while nothing was recorded of its records since.  Emptying it costs only speed."""

    __tablename__ = "sheet_memo"
    layout: str = Field(primary_key=True)
    enterprise_id: int = Field(primary_key=True)
    digest: bytes = Field(index=True)  # blake2b-128 of the row's parsed values
    plan_id: int | None = None
    on_date: date  # the import's date (--date)
    latest: date  # the latest business date of the records' history then
    # event ids up to these were recorded then, and the newest undo batch (0:
    # none); only those of the mark row (layout '') are read (memo.py)
    enterprise_seen: int
    plan_seen: int
    undo_seen: int


# Per ledger: the event model, its identity model, the identity column, and the
# fields an event may carry.  Used by the as-of queries, the log and undo.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "enterprise": (*ENTERPRISE_COLUMNS, "merged_into", "merge_plan"),
    "plan": ("status", "planned_on", "returned", "reason", "note", "inspection"),
    "problem": (
        "category",
        "description",
        "department",
        "deadline",
        "status",
        "resolution",
        "reason",
        "withdrawn",
    ),
    "labour": ("needed", "filled", "requirements", "note"),
}
EVENT_MODELS = {
    "enterprise": (EnterpriseEvent, "enterprise_id"),
    "plan": (PlanEvent, "plan_id"),
    "problem": (ProblemEvent, "problem_id"),
    "labour": (LabourEvent, "labour_id"),
}


# --------------------------------------------------------------------------- the read model
#
# A cache, not history (readmodel.py): what the report folds from the history, as
# known now, kept by the one writer.  Per record and period [start, stop) of business
# dates, the inputs of the report's figures; stop is the day after the last date a
# ledger can hold when the period is open.  `eid` is the enterprise a row counts for
# (after merges); rows are replaced per enterprise.  Reports read it only while
# `rm_state` says it reflects the newest batch; `check` compares it with the
# history.


def _period() -> list[Column]:
    """The columns every row of a section has: its enterprise and period, the district."""
    return [
        Column("eid", Integer, nullable=False, index=True),
        Column("start", Date, nullable=False),
        Column("stop", Date, nullable=False),
        Column("district", String, nullable=False),
    ]


READ_MODEL = {
    "plan": Table(
        "rm_plan",
        SQLModel.metadata,
        *_period(),
        Column("above_scale", Boolean),
        Column("status", String),
        Column("ever", Integer),
        Column("today_on", Date),
        Column("uninspected", Integer),
        Column("returned", Integer),
        Column("base", Integer),
    ),
    "problem": Table(
        "rm_problem",
        SQLModel.metadata,
        *_period(),
        Column("category", String),
        Column("status", String),
        Column("resolved_on", Date),
        Column("deadline", Date),
        Column("since", Date),
        Column("raised_on", Date),
    ),
    "labour": Table(
        "rm_labour",
        SQLModel.metadata,
        *_period(),
        Column("job_type", String),
        Column("needed", Integer),
        Column("filled", Integer),
    ),
    "employer": Table(
        "rm_employer",
        SQLModel.metadata,
        *_period(),
    ),
    "active": Table(
        "rm_active",
        SQLModel.metadata,
        Column("eid", Integer, nullable=False, index=True),
        Column("day", Date, nullable=False, index=True),
        Column("district", String, nullable=False),
    ),
}
# Every column a report reads, what it groups by first (reports.py): the report reads
# the index alone, already in its groups (migration 0006 makes them).
_FIGURES = {
    "plan": (
        *("district", "status", "ever", "today_on", "uninspected"),
        *("above_scale", "returned", "base", "start", "stop"),
    ),
    "problem": (
        *("district", "category", "status", "resolved_on", "deadline", "since", "raised_on"),
        *("start", "stop"),
    ),
    "labour": ("district", "job_type", "needed", "filled", "start", "stop"),
    "employer": ("district", "start", "stop"),
}
for _name, _columns in _FIGURES.items():
    _table = READ_MODEL[_name]
    Index(f"ix_{_table.name}_figures", *(_table.c[c] for c in _columns))

# One row (id 1): the newest batch the read model reflects (0: an empty ledger's).
READ_MODEL_STATE = Table(
    "rm_state",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("batch_seen", Integer, nullable=False),
    # readmodel.MODEL_SHAPE of the rows (0: of before the column)
    Column("shape", Integer, nullable=False, server_default="0"),
)
