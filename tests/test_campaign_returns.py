"""Returned review workbooks against hostile input (issue 14, the campaign part): a non-ASCII
character in a signature is a rejection, not a TypeError; each workbook of a batch is judged on
its own; eight processes importing one workbook at once store each decision once; and, as a
property over generated tampering, any workbook is either recorded exactly or rejected with one
line naming the file (and row and column), leaving every table byte for byte as it was."""

from __future__ import annotations

import multiprocessing
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from access_review import audit
from access_review.errors import InputError
from access_review.store import Store
from campaigns.importer import import_workbook
from campaigns.items import Item
from campaigns.lifecycle import import_workbooks
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS, READ_ONLY_COLUMNS, row_values, write_review_workbook
from campaign_items import make_item as campaign_item

DECISION = HEADERS.index("Decision") + 1
JUSTIFICATION = DECISION + 1


def make_item(n: int, reviewer: str = "E1", flags=()) -> Item:
    return campaign_item(
        n,
        reviewer=reviewer,
        name=f"Ann Lee {n}",
        flags=flags,
        access_text="Member of the AD group 'SpEd Staff'",
    )


ITEMS = [
    make_item(1),
    make_item(2, flags=(("unauthorized", "no rule matches"),)),
    make_item(3),
    make_item(4, flags=(("dormant", "no sign-in for 120 days"),)),
    make_item(5, reviewer="E2"),
]


def build_campaign(folder: Path) -> tuple[Path, Path]:
    """A store with one open campaign and E1's workbook; returns (store file, workbook)."""
    db = folder / "s.db"
    with Store(db) as store:
        cstore = CampaignStore(store)
        c = cstore.create("2026Q4", "all", date(2026, 12, 19), {"ad": 1}, ITEMS, "keep")
        cstore.set_state(c.id, "open")
        c = cstore.get(c.id)
        path = write_review_workbook(
            folder / "e1.xlsx",
            campaign_id=c.id,
            quarter=c.quarter,
            secret=c.secret,
            reviewer="E1",
            reviewer_name="Dana Boss",
            due=c.due,
            items=cstore.items(c.id, "E1"),
        )
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db, path


def rows_by_item(ws) -> dict[str, int]:
    return {ws.cell(r, 2).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value}


def answer(
    path: Path, answers: dict[str, tuple[str, str]], out: Path | None = None, edit=None
) -> Path:
    wb = load_workbook(path)
    ws = wb["Review"]
    where = rows_by_item(ws)
    for item_id, (decision, justification) in answers.items():
        ws.cell(where[item_id], DECISION).value = decision
        ws.cell(where[item_id], JUSTIFICATION).value = justification
    if edit:
        edit(wb)
    out = out or path
    wb.save(out)
    return out


def dump(db: Path) -> str:
    with Store(db) as store:
        return "\n".join(store.db.iterdump())


@pytest.fixture()
def campaign(tmp_path):
    db, path = build_campaign(tmp_path)
    store = Store(db)
    cstore = CampaignStore(store)
    yield store, cstore, cstore.get(1), path
    store.close()


GOOD = {"I0001": ("Keep", ""), "I0002": ("Revoke", ""), "I0003": ("Keep", "")}


# ---------------------------------------------------------------- non-ASCII in a signature


@pytest.mark.parametrize("where", ["item key", "stamp signature", "check-row signature"])
def test_a_non_ascii_signature_is_a_rejection_not_a_type_error(campaign, tmp_path, where):
    store, cstore, c, path = campaign

    def tamper(wb):
        ws, check = wb["Review"], wb["Check"]
        if where == "item key":
            cell = ws.cell(rows_by_item(ws)["I0001"], 1)
        elif where == "stamp signature":
            cell = check["E1"]
        else:
            cell = check.cell(2, 3)
        cell.value = cell.value[:-1] + "é"

    bad = answer(path, GOOD, tmp_path / "bad.xlsx", edit=tamper)
    before = dump(tmp_path / "s.db")
    with pytest.raises(InputError) as exc:
        import_workbook(bad, c, cstore)
    assert str(exc.value).startswith(str(bad)) and "\n" not in str(exc.value)
    assert {
        "item key": "the item key was altered",
        "stamp signature": "stamp was altered",
        "check-row signature": "the hidden check sheet was altered",
    }[where] in str(exc.value)
    assert dump(tmp_path / "s.db") == before


def test_each_workbook_in_a_batch_is_judged_on_its_own(campaign, tmp_path):
    store, cstore, c, path = campaign
    first = answer(path, {"I0001": ("Keep", "")}, tmp_path / "first.xlsx")

    def non_ascii_key(wb):
        ws = wb["Review"]
        ws.cell(2, 1).value = ws.cell(2, 1).value[:-1] + "ß"

    crashing = answer(path, GOOD, tmp_path / "crashing.xlsx", edit=non_ascii_key)
    last = answer(path, {"I0003": ("Revoke", "")}, tmp_path / "last.xlsx")
    outcome = import_workbooks(store, [first, crashing, last], c.id)
    assert [Path(r.path).name for r in outcome.accepted] == ["first.xlsx", "last.xlsx"]
    (rejected,) = outcome.rejected
    assert rejected.path == str(crashing) and "the item key was altered" in str(rejected)
    decided = cstore.effective_decisions(c.id)
    assert {k: d.decision for k, d in decided.items()} == {"I0001": "keep", "I0003": "revoke"}
    entries = audit.entries(store, action_prefix="campaign.import")
    assert [(e.action, Path(e.details["file"]).name) for e in entries] == [
        ("campaign.import", "first.xlsx"),
        ("campaign.import.rejected", "crashing.xlsx"),
        ("campaign.import", "last.xlsx"),
    ]


def test_every_problem_in_a_workbook_is_reported_at_once(campaign, tmp_path):
    store, cstore, c, path = campaign

    def edit(wb):
        ws = wb["Review"]
        ws.cell(rows_by_item(ws)["I0003"], HEADERS.index("Access") + 1).value = "Manage"

    bad = answer(
        path,
        {"I0001": ("Yes", ""), "I0002": ("Keep", ""), "I0004": ("Revoke", "")},
        tmp_path / "three.xlsx",
        edit=edit,
    )
    with pytest.raises(InputError) as exc:
        import_workbook(bad, c, cstore)
    ws = load_workbook(bad)["Review"]
    where = rows_by_item(ws)
    found = {(p.row, p.column) for p in exc.value.problems}
    assert found == {
        (where["I0001"], "Decision"),
        (where["I0002"], "Justification"),
        (where["I0003"], "Access"),
    }
    assert [p.person for p in exc.value.problems] == [
        ws.cell(r, 3).value for r in sorted(where[i] for i in ("I0001", "I0002", "I0003"))
    ]
    assert len(exc.value.lines()) == 3 and all(
        line.startswith(f"{bad}, row ") for line in exc.value.lines()
    )
    assert cstore.effective_decisions(c.id) == {}


# ---------------------------------------------------------------- eight imports at once


def _import_at_the_barrier(db: str, workbook: str, barrier, results) -> None:
    with Store(db) as store:
        cstore = CampaignStore(store)
        campaign = cstore.get(1)
        barrier.wait(timeout=60)
        results.put(import_workbook(Path(workbook), campaign, cstore).recorded)


@pytest.mark.parametrize("round_", range(3))
def test_eight_processes_importing_one_workbook_store_each_decision_once(tmp_path, round_):
    db, path = build_campaign(tmp_path)
    answer(path, GOOD)
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(8), ctx.Queue()
    workers = [
        ctx.Process(target=_import_at_the_barrier, args=(str(db), str(path), barrier, results))
        for _ in range(8)
    ]
    for w in workers:
        w.start()
    recorded = sorted(results.get(timeout=120) for _ in workers)
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    with Store(db) as store:
        stored = store.db.execute(
            "SELECT item_id, count(*) FROM campaign_decisions GROUP BY item_id"
        ).fetchall()
    assert dict(stored) == {"I0001": 1, "I0002": 1, "I0003": 1}
    assert recorded == [0] * 7 + [
        3
    ]  # one process recorded the three answers, the others found them


# ---------------------------------------------------------------- property: recorded exactly or rejected

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
TAMPER_VALUES = st.one_of(
    TEXT,
    st.sampled_from(
        ["=1+1", '＝HYPERLINK("http://x")', "@SUM(A1)", "Keep", "Revoke", "ß", "é/Ω", "x" * 40000]
    ),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
)
ANSWERS = st.sampled_from(["Keep", "Revoke", " keep ", "REVOKE", "", None])
OPS = st.one_of(
    st.tuples(
        st.just("answer"),
        st.sampled_from(["I0001", "I0002", "I0003", "I0004"]),
        ANSWERS,
        st.one_of(st.just(""), TEXT, st.just("y" * 2500)),
    ),
    st.tuples(st.just("cell"), st.integers(1, 6), st.integers(1, len(HEADERS)), TAMPER_VALUES),
    st.tuples(st.just("check"), st.integers(1, 6), st.integers(1, 5), TAMPER_VALUES),
    st.tuples(st.just("swap"), st.integers(2, 5), st.integers(2, 5)),
    st.tuples(st.just("blank_row"), st.integers(2, 5)),
)


def apply(wb, ops) -> None:
    ws, check = wb["Review"], wb["Check"]
    for op in ops:
        if op[0] == "answer":
            r = rows_by_item(ws).get(op[1])
            if r is not None:
                ws.cell(r, DECISION).value, ws.cell(r, JUSTIFICATION).value = op[2], op[3]
        elif op[0] == "cell":
            ws.cell(op[1], op[2]).value = op[3]
        elif op[0] == "check":
            check.cell(op[1], op[2]).value = op[3]
        elif op[0] == "swap":
            a = [c.value for c in ws[op[1]]]
            b = [c.value for c in ws[op[2]]]
            for col, (x, y) in enumerate(zip(a, b), 1):
                ws.cell(op[1], col).value, ws.cell(op[2], col).value = y, x
        else:
            for col in range(1, len(HEADERS) + 1):
                ws.cell(op[1], col).value = None


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def expected_decisions(
    path: Path, original: Path, items: dict[str, Item]
) -> dict[str, tuple[str, str]] | None:
    """What an accepted import must record, worked out independently from the workbook as
    saved and the one that was sent; None when it can only be rejected (the stamp, a check
    row, a key, the header or a read-only cell differs from what was sent, or an answer
    breaks a rule)."""
    try:
        wb = load_workbook(path)
    except Exception:  # noqa: BLE001 - what the oracle cannot read, the importer must refuse
        return None
    sent = load_workbook(original)
    ws, check, sent_check = wb["Review"], wb["Check"], sent["Check"]
    if [_text(check.cell(1, c).value) for c in range(1, 6)] != [
        _text(sent_check.cell(1, c).value) for c in range(1, 6)
    ]:
        return None
    sent_rows = {
        tuple(_text(sent_check.cell(r, c).value) for c in range(1, 4))
        for r in range(2, sent_check.max_row + 1)
    }
    signed = set()
    for r in range(2, check.max_row + 1):
        row = tuple(_text(check.cell(r, c).value) for c in range(1, 4))
        if row[0]:
            if row not in sent_rows:
                return None
            signed.add(row[0])
    if [_text(ws.cell(1, c).value).strip() for c in range(1, len(HEADERS) + 1)] != list(HEADERS):
        return None
    keys = {
        sent["Review"].cell(r, 2).value: sent["Review"].cell(r, 1).value
        for r in range(2, sent["Review"].max_row + 1)
    }
    out: dict[str, tuple[str, str]] = {}
    for r in range(2, ws.max_row + 1):
        cells = [_text(ws.cell(r, col).value) for col in range(1, len(HEADERS) + 1)]
        if not any(c.strip() for c in cells):
            continue
        item = items.get(cells[1])
        if (
            item is None
            or item.reviewer != "E1"
            or item.item_id in out
            or item.item_id not in signed
            or cells[0].strip() != keys.get(item.item_id)
            or cells[1 : len(READ_ONLY_COLUMNS) + 1] != row_values(item)
        ):
            return None
        decision, justification = (
            cells[DECISION - 1].strip().lower(),
            cells[JUSTIFICATION - 1].strip(),
        )
        if not decision:
            out[item.item_id] = ("", "")
            continue
        if (
            decision not in ("keep", "revoke")
            or len(justification) > 2000
            or (decision == "keep" and item.flagged and not justification)
        ):
            return None
        out[item.item_id] = (decision, justification)
    return {k: v for k, v in out.items() if v[0]}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_campaign(tmp_path_factory.mktemp("returns-template"))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, max_size=6))
@example(ops=[("answer", "I0001", "Keep", ""), ("answer", "I0002", "Revoke", "")])  # accepted
@example(ops=[("cell", 2, 1, "1/I0001/é" + "0" * 63)])  # non-ASCII key
@example(ops=[("check", 1, 5, "é" * 64)])  # non-ASCII stamp
@example(ops=[("check", 2, 3, "ß" * 64)])  # non-ASCII check row
@example(
    ops=[("cell", 3, HEADERS.index("Person") + 1, '＝HYPERLINK("http://evil")')]
)  # edited, formula
@example(ops=[("answer", "I0001", '="Keep"', "")])  # formula answer
@example(ops=[("cell", 2, DECISION, 1), ("cell", 3, DECISION, True)])  # wrong types
@example(ops=[("cell", 2, JUSTIFICATION, "x" * 40000), ("cell", 2, DECISION, "Keep")])  # huge cell
@example(ops=[("cell", 4, HEADERS.index("Person") + 1, "x" * 40000)])  # huge protected cell
@example(ops=[("cell", 1, 3, "Name")])  # header renamed
@example(ops=[("cell", 2, 1, "1/I0005/" + "0" * 64)])  # other's item
@example(ops=[("swap", 2, 5), ("blank_row", 3), ("answer", "I0004", "Keep", "")])  # flagged keep
def test_any_returned_workbook_is_recorded_exactly_or_rejected_in_one_line(template, ops):
    db_template, workbook = template
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "s.db"
        shutil.copy(db_template, db)
        wb = load_workbook(workbook)
        apply(wb, ops)
        path = folder / "returned.xlsx"
        wb.save(path)
        items = {i.item_id: i for i in ITEMS}
        expected = expected_decisions(path, workbook, items)
        before = dump(db)
        with Store(db) as store:
            cstore = CampaignStore(store)
            campaign = cstore.get(1)
            try:
                result = import_workbook(path, campaign, cstore)
            except InputError as exc:
                message = str(exc)
                assert message.startswith(str(path)) and "\n" not in message, message
                assert expected is None, f"a valid workbook was rejected: {message}"
                rejected = True
            else:
                rejected = False
                recorded = {
                    k: (d.decision, d.justification)
                    for k, d in cstore.effective_decisions(1).items()
                }
                assert expected is not None, f"a tampered workbook was accepted: {ops}"
                assert recorded == expected and result.answered == len(expected)
        if rejected:
            assert dump(db) == before
