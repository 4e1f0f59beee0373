"""The one as-of fold in Python: a record's history, and its state as of a day.

The SQL in asof.py answers "as of D, as known at T" for many records at once;
this module answers it for the records a writer is about to change (commands
and imports) and for lists that fold attributes in one ordered pass.  Both
follow SPEC "History and time", and tests/test_timeline.py proves them equal
over random histories (every field, every D, every T, with undos):

- a field's value as of D is its latest event dated on or before D; events of
  the same business date apply in the order they were recorded;
- with `fallback` (enterprise attributes), a field first set after D takes
  that first value (its earliest date, the last recorded that day).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from .asof import View
from .db import among
from .models import EVENT_FIELDS, EVENT_MODELS

# Order of an event not yet in the database (recorded by the running writer):
# after every stored event of the same date, in the order it was made.
UNSTORED = 1 << 62

Event = tuple[date, int, dict[str, Any]]  # business date, recording order, values set


class Timeline:
    """One record's visible events, in the order they apply (business date, then
    recording order).  Values are the non-NULL fields each event sets."""

    __slots__ = ("events",)

    def __init__(self, events: Iterable[Event] = ()):
        # (an import makes one per record it looks at: most start empty)
        self.events: list[Event] = [] if events == () else sorted(events, key=_order)

    def __bool__(self) -> bool:
        return bool(self.events)

    def add(self, on: date, order: int, values: dict[str, Any]) -> None:
        """Add an event, keeping the order (appending is the usual case)."""
        event = (on, order, values)
        if not self.events or _order(self.events[-1]) <= _order(event):
            self.events.append(event)
        else:
            bisect.insort(self.events, event, key=_order)

    def since(self) -> date | None:
        """The earliest business date of the record (None: no visible event)."""
        return self.events[0][0] if self.events else None

    def state(self, on: date, *, fallback: bool = False) -> dict[str, Any]:
        """The fields as of the end of `on` (absent = never set)."""
        state: dict[str, Any] = {}
        later: dict[str, tuple[date, Any]] = {}
        for when, _seq, values in self.events:
            if when <= on:
                state.update(values)
            elif fallback:
                for field, value in values.items():
                    if later.get(field, (when,))[0] == when:
                        later[field] = (when, value)
            else:
                break
        for field, (_when, value) in later.items():
            state.setdefault(field, value)
        return state

    def set_on(self, on: date) -> list[dict[str, Any]]:
        """What the events dated `on` set, in the order they apply."""
        events = self.events
        if not events or events[-1][0] < on or events[0][0] > on:
            return []  # the usual case, without a search
        start = bisect.bisect_left(events, on, key=_date)
        stop = bisect.bisect_right(events, on, lo=start, key=_date)
        return [values for _when, _o, values in events[start:stop]]

    def recorded_on(self, on: date, field: str, value: Any) -> bool:
        """Whether some event dated `on` set `field` to `value` (whatever came after)."""
        return any(values.get(field, _ABSENT) == value for values in self.set_on(on))

    def dates_setting(self, field: str, value: Any) -> list[date]:
        """The business dates of the events that set `field` to `value`."""
        return [when for when, _o, values in self.events if values.get(field, _ABSENT) == value]

    def dates_with(self, field: str) -> list[date]:
        """The business dates of the events that set `field` (to anything)."""
        return [when for when, _o, values in self.events if field in values]


_ABSENT = object()


def _order(event: Event) -> tuple[date, int]:
    return event[0], event[1]


def _date(event: Event) -> date:
    return event[0]


def load(session, kind: str, ids: Iterable[int], view: View | None = None) -> dict[int, Timeline]:
    """The timelines of some records of `kind` (plan, problem, …), visible in the view
    (default: everything recorded and not undone).  Records without a visible event
    get an empty timeline."""
    view = view or View()
    wanted = sorted(set(ids))
    found: dict[int, Timeline] = {rid: Timeline() for rid in wanted}
    if not wanted:
        return found
    # Core, not the ORM: plain tuples (an import loads hundreds of thousands).  Core
    # does not autoflush: events a session holds unwritten are written first.
    if isinstance(session, Connection):
        conn = session
    else:
        session.flush()
        conn = session.connection()
    model, owner = EVENT_MODELS[kind]
    rid = getattr(model, owner)
    fields = EVENT_FIELDS[kind]
    columns = [getattr(model, f) for f in fields]
    for start in range(0, len(wanted), 5000):  # well under every bound-parameter limit
        part = wanted[start : start + 5000]
        query = (
            select(rid, model.business_date, model.id, *columns)
            .where(among(rid, part), view.counts(model.batch_id))
            .order_by(rid, model.business_date, model.id)
        )
        for row in conn.execute(query).all():  # one fetch, not a call per row
            timeline = found.get(row[0])
            if timeline is None:
                continue  # in the range, not asked for
            values = {f: v for f, v in zip(fields, row[3:], strict=True) if v is not None}
            # rows come ordered, so appending keeps each timeline in order
            timeline.events.append((row[1], row[2], values))
    return found


def load_one(session, kind: str, rid: int, view: View | None = None) -> Timeline:
    return load(session, kind, [rid], view)[rid]
