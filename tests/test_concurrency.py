"""Several writers at once on one ledger: nothing lost, no "database is locked" shown.

Four processes each make 250 changes through the ledger API (the same code the
CLI runs, without paying Python start-up a thousand times): plan status changes
on their own enterprise, problems added to a shared enterprise, and `labour
fill` on one shared demand (a read-modify-write: a lost update would show as a
filled count below the number of fills).
"""

from __future__ import annotations

import multiprocessing
from datetime import date

from sqlalchemy import func, select

from fugong.db import open_ledger
from fugong.models import Labour, LabourEvent, PlanEvent, Problem, ProblemEvent
from fugong.registry import find_enterprise
from fugong.rules import LabourChange, PlanChange, ProblemChange
from fugong.unit import write
from fugong.writer import (
    add_labour,
    add_problem,
    change_plan,
    fill_labour,
    get_labour,
    register_enterprise,
)

WORKERS = 4
CHANGES = 250
STATUSES = ("planned", "approved", "resumed", "suspended")
DAY = date(2020, 2, 14)


def _write(ledger, work, source="test"):
    result, _batch = write(ledger, work, kind="command", source=source, by="test")
    return result


def _setup(db: str) -> int:
    ledger = open_ledger(db)

    def work(unit):
        for n in range(WORKERS):
            register_enterprise(unit, on=DAY, name=f"并发企业{n}", district="511111")
        shared = register_enterprise(unit, on=DAY, name="共享企业", district="511111")
        return add_labour(
            unit,
            enterprise=shared,
            job_type="general",
            change=LabourChange(on=DAY, needed=10_000),
        ).id

    return _write(ledger, work, "setup")


def _worker(db: str, n: int, labour_id: int, errors) -> None:
    try:
        ledger = open_ledger(db)
        for i in range(CHANGES):

            def work(unit, i=i):
                session = unit.session
                if i % 3 == 0:
                    ent = find_enterprise(session=session, ref=f"并发企业{n}")
                    status = STATUSES[(i // 3) % len(STATUSES)]
                    diff = change_plan(
                        unit, enterprise=ent, change=PlanChange(on=DAY, status=status), action="set"
                    )
                    assert diff, "every status change must be recorded"
                elif i % 3 == 1:
                    ent = find_enterprise(session=session, ref="共享企业")
                    change = ProblemChange(on=DAY, category="other", description=f"w{n} #{i}")
                    add_problem(unit, enterprise=ent, change=change)
                else:
                    fill_labour(unit, labour=get_labour(unit, labour_id), count=1, on=DAY)

            _write(ledger, work, f"w{n}")
    except Exception as exc:  # reported to the parent, which fails the test
        errors.put(f"worker {n}: {type(exc).__name__}: {exc}")


def test_four_writers_lose_nothing(db_url):
    labour_id = _setup(db_url)
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(db_url, n, labour_id, errors)) for n in range(WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []

    per_kind = [len(range(k, CHANGES, 3)) for k in range(3)]
    ledger = open_ledger(db_url)
    with ledger.session() as session:
        count = lambda model: session.execute(select(func.count()).select_from(model)).scalar()  # noqa: E731
        plan_events = count(PlanEvent)
        problem_events = count(ProblemEvent)
        fills = session.execute(select(func.count()).where(LabourEvent.action == "fill")).scalar()
        labour = session.get(Labour, labour_id)
        filled = session.execute(
            select(LabourEvent.filled)
            .where(LabourEvent.labour_id == labour.id)
            .order_by(LabourEvent.business_date.desc(), LabourEvent.id.desc())
            .limit(1)
        ).scalar()
        problems_made = count(Problem)
    assert plan_events == WORKERS * per_kind[0]
    assert problem_events == problems_made == WORKERS * per_kind[1]
    assert fills == WORKERS * per_kind[2]
    assert filled == WORKERS * per_kind[2]  # no lost update
    assert plan_events + problem_events + fills == WORKERS * CHANGES


def _import(db: str, sheet: str, out) -> None:
    from fugong.importer import import_sheet
    from fugong.ingest import open_sheet
    from fugong.registry import county_resolver

    try:
        ledger = open_ledger(db)

        def work(unit):
            resolve = county_resolver(unit.session)
            with open_sheet(sheet, "plans", resolve_district=resolve) as opened:
                return import_sheet(unit=unit, sheet=opened, default_date=DAY)

        summary, _batch = write(ledger, work, kind="import", source=sheet, by="t", bulk=True)
        out.put(("ok", summary.rows))
    except Exception as exc:
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def test_two_imports_at_once_both_land(db_url, tmp_path):
    open_ledger(db_url)
    sheets = []
    for k in range(2):
        path = tmp_path / f"s{k}.csv"
        rows = ["企业名称,所属区县,是否规上,复产状态"]
        rows += [f"企业{k}-{i},沙湾,是,计划复产" for i in range(1500)]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        sheets.append(str(path))
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_import, args=(db_url, s, out)) for s in sheets]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    results = sorted(out.get() for _ in procs)
    assert results == [("ok", 1500), ("ok", 1500)]
    ledger = open_ledger(db_url)
    with ledger.session() as session:
        plans = session.execute(select(func.count()).select_from(PlanEvent)).scalar()
    assert plans == 3000


def test_a_reader_does_not_wait_for_a_writer(db_url, cli):
    """A report while an import holds the write lock answers at once (WAL, deferred read)."""
    import time

    from sqlalchemy import text

    ledger = open_ledger(db_url)
    writer = ledger.engine.connect()
    writer.begin()
    writer.execute(
        text(
            "INSERT INTO batch (kind, source, by, recorded_at) "
            "VALUES ('command', 'held', 'test', '2020-02-14 08:00:00')"
        )
    )
    try:
        start = time.perf_counter()
        result = cli("report", "--district", "沙湾", "--format", "json")
        assert result.exit_code == 0, result.stderr
        assert time.perf_counter() - start < 5
    finally:
        writer.rollback()
        writer.close()
        ledger.engine.dispose()
