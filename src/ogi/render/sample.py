"""Random but consistent reports (issue #2 tests, issue #3 round trips) and single-rule breakage.

``make_record`` fills every key of ``forms.keys(template)`` so that the table identities of spec §6
hold (T3-BALANCE, T3-TOTAL, T3-COLUMNS, T4-TOTAL) with the skewed figures real organs report: most
cells 0, small counts, now and then a large one. The narrative states figures that agree with the
tables, and 2021+ reports say in section 六 whether 信息处理费 was collected.
``inject`` then breaks exactly one rule, touching cells no other rule looks at where it can (``INJECTORS``,
a table by rule id); ``inject_pair`` gives a previous year that breaks exactly one cross-year rule.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from .. import forms
from ..forms import deadline, template_for  # noqa: F401 - part of this module's API
from ..model import Cell, Meta, Record, State, Template
from . import narrative

_APPLICANTS = forms.T3_APPLICANTS
_T3_COLS = tuple(c.key for c in forms.T3_COLUMNS)
# Relative frequency of each result row: most requests are granted or "not held" (spec §4 rows).
_RESULT_WEIGHTS = {
    "granted": 35,
    "partial": 8,
    "denied.state_secret": 0.3,
    "denied.law_forbidden": 0.6,
    "denied.three_safety": 0.3,
    "denied.third_party": 1.2,
    "denied.internal": 1.5,
    "denied.process": 1.5,
    "denied.enforcement_file": 0.5,
    "denied.query": 1.5,
    "unable.not_held": 20,
    "unable.needs_creation": 3,
    "unable.unclear": 3,
    "rejected.petition": 4,
    "rejected.duplicate": 3,
    "rejected.publication": 0.5,
    "rejected.excessive": 0.6,
    "rejected.confirm": 1,
    "other": 3,
    "other.no_correction": 2,
    "other.no_fee": 0.2,
    "other.misc": 2,
}


# Organ names for generated reports; every one survives s2t → t2s unchanged (tests check it).
PLACES = (
    "会宁县",
    "缙云县",
    "高港区",
    "江宁区",
    "武侯区",
    "余杭区",
    "钦州市",
    "兰溪市",
    "安吉县",
    "宁乡市",
    "临安区",
    "泾县",
    "长丰县",
    "广州市天河区",
)
DEPARTMENTS = (
    "人力资源和社会保障局",
    "工业和信息化局",
    "行政审批局",
    "财政局",
    "教育局",
    "卫生健康委员会",
    "自然资源局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "农业农村局",
    "水利局",
    "商务局",
    "文化和旅游局",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "应急管理局",
    "民政局",
    "司法局",
    "审计局",
    "发展和改革局",
    "退役军人事务局",
    "人民政府",
    "人民政府办公室",
)


def random_organ(rng: random.Random) -> str:
    return rng.choice(PLACES) + rng.choice(DEPARTMENTS)


def random_record(
    rng: random.Random, template: Template | None = None, year: int | None = None, blanks: float | None = None
) -> Record:
    """A consistent report of a random organ; the year fits the format unless both are given."""
    if year is None:
        year = (
            rng.randint(2019, 2020)
            if template == "2019"
            else rng.randint(2021, 2024)
            if template
            else rng.randint(2019, 2024)
        )
    template = template or template_for(year)
    share = rng.choice((0.0, 0.0, 0.05, 0.3)) if blanks is None else blanks
    return make_record(rng, template, year, random_organ(rng), blanks=share)


def make_record(
    rng: random.Random,
    template: Template,
    year: int,
    organ: str,
    consistent: bool = True,
    blanks: float = 0.0,
) -> Record:
    """A report whose cells satisfy every identity; ``consistent=False`` breaks one random rule."""
    values: dict[str, int | Decimal] = {}
    values.update(_table2(rng, template))
    values.update(_table3(rng, template))
    values.update(_table4(rng))
    cells = {k: Cell(key=k, value=values[k], state=State.number, raw=_raw(values[k])) for k in forms.keys(template)}
    if rng.random() < 0.08:  # a unit written in the money cell ("251000元", spec §5)
        key = "t2.procurement.amount" if template == "2019" else "t2.fees.amount"
        if cells[key].value:
            cells[key].unit = "元" if template == "2019" else "万元"
    government = organ.endswith("人民政府")
    published = _published(rng, year, government)
    prefix = rng.choice("ABCDEFGHKMNPQSTXYZ") + rng.choice("ABGJSXZ")
    index_no = f"{prefix}{rng.randint(1000, 9999)}/{year + 1}-{rng.randint(1, 99999):05d}"
    meta = Meta(
        organ=organ,
        year=year,
        template=template,
        published=published,
        index_no=index_no,
        title=f"{organ}{year}年政府信息公开工作年度报告",
        is_government=government,
        kind="text",
    )
    record = Record(meta=meta, cells=cells)
    record.sections = narrative.sections(record, rng)
    _blank(rng, record, blanks)
    if not consistent:
        record, _ = inject(record, rng.choice(INJECTABLE if year >= 2021 else INJECTABLE[:-2] + ("DEADLINE",)), rng)
    return record


def _raw(value: int | Decimal | None) -> str:
    return "" if value is None else str(value)


def _published(rng: random.Random, year: int, government: bool) -> dt.date:
    last = deadline(year, government)
    start = dt.date(year + 1, 1, 4)
    return start + dt.timedelta(days=rng.randint(0, (last - start).days))


def _count(rng: random.Random, zero: float, small: int, large: int = 0, tail: float = 0.05) -> int:
    """Skewed count: often 0, usually small, occasionally up to ``large``."""
    if rng.random() < zero:
        return 0
    if large and rng.random() < tail:
        return int(small * (large / small) ** rng.random())
    return rng.randint(1, small)


def _money(rng: random.Random, zero: float, low: float, high: float) -> int | Decimal:
    if rng.random() < zero:
        return 0
    amount = low * (high / low) ** rng.random()
    return Decimal(f"{amount:.2f}")


def _table2(rng: random.Random, template: Template) -> dict[str, int | Decimal]:
    v: dict[str, int | Decimal] = {}
    if template == "2019":
        for row, small in (("rules", 2), ("normative", 15)):
            made = _count(rng, 0.7 if row == "rules" else 0.4, small)
            v[f"t2.{row}.made"] = made
            v[f"t2.{row}.published"] = made if rng.random() < 0.8 else rng.randint(0, made)
            v[f"t2.{row}.total"] = v[f"t2.{row}.published"] + _count(rng, 0.4, 60)
        for row, prev, decisions in (
            ("licensing", 300, 250000),
            ("other_services", 150, 50000),
            ("penalty", 120, 5000),
            ("coercion", 20, 300),
        ):
            v[f"t2.{row}.prev"] = p = _count(rng, 0.35, prev // 3, prev)
            v[f"t2.{row}.change"] = 0 if rng.random() < 0.5 else rng.randint(-min(p, 40), 45)
            v[f"t2.{row}.decisions"] = _count(rng, 0.35, 40, decisions, 0.15)
        v["t2.fees.prev"] = p = _count(rng, 0.5, 12, 60)
        v["t2.fees.change"] = 0 if rng.random() < 0.6 else rng.randint(-min(p, 5), 5)
        v["t2.procurement.count"] = n = _count(rng, 0.45, 20, 300)
        v["t2.procurement.amount"] = _money(rng, 1.0, 1, 1) if n == 0 else _money(rng, 0.0, 3000, 8e7)
    else:
        for row, small in (("rules", 2), ("normative", 12)):
            v[f"t2.{row}.issued"] = issued = _count(rng, 0.7 if row == "rules" else 0.4, small)
            v[f"t2.{row}.repealed"] = _count(rng, 0.75, 4)
            v[f"t2.{row}.in_force"] = issued + _count(rng, 0.35, 80)
        for row, decisions in (("licensing", 250000), ("penalty", 5000), ("coercion", 300)):
            v[f"t2.{row}.decisions"] = _count(rng, 0.35, 40, decisions, 0.15)
        v["t2.fees.amount"] = _money(rng, 0.75, 0.5, 80000)
    return v


def _table3(rng: random.Random, template: Template) -> dict[str, int]:
    """Per applicant column: split handled = new + carried_in into results + carried_out."""
    scale = rng.random()
    if scale < 0.35:
        handled = 0
    else:
        low, high = (1, 10) if scale < 0.75 else (10, 120) if scale < 0.94 else (120, 3000)
        handled = rng.randint(low, high)
    shares = [rng.uniform(2, 10)] + [rng.uniform(0, 1.2) * (rng.random() < 0.5) for _ in _APPLICANTS[1:]]
    per_column = Counter(rng.choices(_APPLICANTS, weights=shares, k=handled)) if handled else Counter()
    result_rows = forms.T3_RESULT_ROWS[template]
    weights = [_RESULT_WEIGHTS[r] * rng.uniform(0.2, 2.0) * (rng.random() < 0.85) + 1e-3 for r in result_rows]
    v: dict[str, int] = {}
    for c in _APPLICANTS:
        h = per_column[c]
        carried_in = sum(rng.random() < 0.06 for _ in range(min(h, 200)))
        carried_out = sum(rng.random() < 0.06 for _ in range(min(h, 200)))
        results = Counter(rng.choices(result_rows, weights=weights, k=h - carried_out))
        v[f"t3.new.{c}"] = h - carried_in
        v[f"t3.carried_in.{c}"] = carried_in
        v[f"t3.carried_out.{c}"] = carried_out
        v[f"t3.total.{c}"] = h - carried_out
        for r in result_rows:
            v[f"t3.{r}.{c}"] = results[r]
    for r in forms.T3_ROWS[template]:
        v[f"t3.{r.key}.total"] = sum(v[f"t3.{r.key}.{c}"] for c in _APPLICANTS)
    return v


def _table4(rng: random.Random) -> dict[str, int]:
    v: dict[str, int] = {}
    for g in forms.T4_GROUPS:
        busy = rng.random() < (0.3 if g.key == "review" else 0.15)
        parts = [_count(rng, 0.4, m) if busy else 0 for m in (8, 3, 3, 3)]
        for col, n in zip(("upheld", "corrected", "other", "pending"), parts, strict=True):
            v[f"t4.{g.key}.{col}"] = n
        v[f"t4.{g.key}.total"] = sum(parts)
    return v


def _blank(rng: random.Random, record: Record, share: float) -> None:
    """Blank some zero cells (a reviewer reads them as 0) — never one the narrative cites."""
    if share <= 0:
        return
    cited = narrative.cited_keys(record)
    for key, cell in record.cells.items():
        if cell.value == 0 and key not in cited and rng.random() < share:
            cell.value, cell.state, cell.raw, cell.unit = None, State.blank, "", None


def _set(record: Record, key: str, value: int | Decimal) -> None:
    cell = record.cells[key]
    cell.value, cell.state, cell.raw = value, State.number, _raw(value)


def _unblank(record: Record, keys) -> None:
    """Identities skip blank operands (architecture.md), so an injection makes its operands numbers."""
    for k in keys:
        if record.cells[k].state is not State.number:
            _set(record, k, 0)


def inject(record: Record, rule_id: str, rng: random.Random) -> tuple[Record, list[str]]:
    """A copy of ``record`` that breaks exactly ``rule_id``; returns it and the keys changed."""
    if rule_id not in INJECTORS:
        raise ValueError(f"unknown or non-injectable rule {rule_id!r}")
    r = record.model_copy(deep=True)
    column, amount = rng.choice(_APPLICANTS), rng.randint(1, 9)  # drawn for every rule: runs stay reproducible
    return INJECTORS[rule_id](r, rng, column, amount)


def _break_balance(r: Record, rng: random.Random, c: str, d: int) -> tuple[Record, list[str]]:
    """carried_out is in no T3-TOTAL sum; the row total keeps T3-COLUMNS."""
    keys = [f"t3.{row}.{col}" for row in ("new", "carried_in", "total", "carried_out") for col in (c, "total")]
    _unblank(r, [f"t3.carried_out.{x}" for x in _T3_COLS] + keys)
    for col in (c, "total"):
        _set(r, f"t3.carried_out.{col}", r.value(f"t3.carried_out.{col}") + d)
    return r, [f"t3.carried_out.{c}", "t3.carried_out.total"]


def _break_total(r: Record, rng: random.Random, c: str, d: int) -> tuple[Record, list[str]]:
    """A result row and its total both grow: rows still add up, columns don't."""
    results = forms.t3_result_rows(r.meta.template, r.cells)
    row = rng.choice(results)
    _unblank(r, [f"t3.{x}.{col}" for x in results + ("total",) for col in (c, "total")])
    _unblank(r, [f"t3.{row}.{x}" for x in _T3_COLS])
    for col in (c, "total"):
        _set(r, f"t3.{row}.{col}", r.value(f"t3.{row}.{col}") + d)
    return r, [f"t3.{row}.{c}", f"t3.{row}.total"]


def _break_columns(r: Record, rng: random.Random, c: str, d: int) -> tuple[Record, list[str]]:
    """new and carried_out grow together in one column: columns balance."""
    _unblank(r, [f"t3.{row}.{x}" for row in ("new", "carried_out") for x in _T3_COLS])
    for row in ("new", "carried_out"):
        _set(r, f"t3.{row}.{c}", r.value(f"t3.{row}.{c}") + d)
    _unblank(r, [f"t3.{row}.{c}" for row in ("carried_in", "total")])
    return r, [f"t3.new.{c}", f"t3.carried_out.{c}"]


def _break_t4(r: Record, rng: random.Random, c: str, d: int) -> tuple[Record, list[str]]:
    g = rng.choice(forms.T4_GROUPS).key
    _unblank(r, [f"t4.{g}.{x.key}" for x in forms.T4_COLUMNS])
    _set(r, f"t4.{g}.upheld", r.value(f"t4.{g}.upheld") + d)
    return r, [f"t4.{g}.upheld"]


def _break_cell_type(r: Record, rng: random.Random, c: str, d: int) -> tuple[Record, list[str]]:
    """A negative table-2 count: in no identity, so only the type rule can see it."""
    key = rng.choice(
        [k for k in forms.t2_keys(r.meta.template) if not forms.column_of(k).signed and not forms.column_of(k).money]
    )
    _set(r, key, -d)
    r.cells[key].unit = None
    return r, [key]


def _break_fees_stated(r: Record, rng: random.Random, c: str, d: int) -> tuple[Record, list[str]]:
    if r.meta.year < 2021:
        raise ValueError(f"FEES-STATED applies to reports on 2021 onward, not {r.meta.year}")
    narrative.drop_fee_sentence(r)
    return r, []


def _break_deadline(r: Record, rng: random.Random, c: str, d: int) -> tuple[Record, list[str]]:
    # A 人民政府办公室 files a department report (1月31日), though some read it as the government's
    # own (3月31日): its late date is past both, so the finding does not hang on that reading.
    ambiguous = (r.meta.organ or "").endswith(("人民政府办公室", "人民政府办公厅"))
    last = deadline(r.meta.year, r.meta.is_government or ambiguous)
    r.meta.published = last + dt.timedelta(days=rng.randint(1, 120))
    return r, []


# Per single-report rule: breaks it, and it alone, on a copy of a consistent record (record, rng, one
# applicant column, an amount 1–9) → (the broken record, the keys changed). In the catalogue's order.
INJECTORS = {
    "T3-BALANCE": _break_balance,
    "T3-TOTAL": _break_total,
    "T3-COLUMNS": _break_columns,
    "T4-TOTAL": _break_t4,
    "CELL-TYPE": _break_cell_type,
    "FORMAT-YEAR": lambda r, rng, c, d: (_shift_year(r, rng), []),
    "FORMAT-COMPLETE": lambda r, rng, c, d: _incomplete(r, rng),
    "TEXT-TABLE": lambda r, rng, c, d: (narrative.misstate(r, rng), list(narrative.cited_keys(r))[:1]),
    "FEES-STATED": _break_fees_stated,
    "DEADLINE": _break_deadline,
}
INJECTABLE = tuple(INJECTORS)


def previous_year(record: Record) -> Record:
    """The same organ's report a year earlier, which every cross-year rule finds in agreement with ``record``.

    Only ``record`` is audited against it, so its own tables need not add up: it carries out what
    ``record`` carries in, its counts lead to ``record``'s, and it has no narrative to be copied."""
    previous = record.model_copy(deep=True)
    previous.meta.year -= 1
    for c in _T3_COLS:
        _set(previous, f"t3.carried_out.{c}", record.value(f"t3.carried_in.{c}") or 0)
    for row in ("rules", "normative"):
        if f"t2.{row}.in_force" in record.cells:
            in_force = (record.value(f"t2.{row}.in_force") or 0) - (record.value(f"t2.{row}.issued") or 0)
            _set(previous, f"t2.{row}.in_force", in_force + (record.value(f"t2.{row}.repealed") or 0))
    for row in ITEM_ROWS:
        if f"t2.{row}.prev" in record.cells:
            _set(previous, f"t2.{row}.prev", record.value(f"t2.{row}.prev") or 0)
            _set(previous, f"t2.{row}.change", 0)
    previous.sections = [s for s in previous.sections if s.number in (2, 3, 4)]
    return previous


ITEM_ROWS = ("licensing", "other_services", "penalty", "coercion", "fees")  # 2019 table-2 rows with 上一年项目数量


def _break_carry(record: Record, previous: Record, rng: random.Random) -> list[str]:
    column = rng.choice(_T3_COLS)
    _set(previous, f"t3.carried_out.{column}", previous.value(f"t3.carried_out.{column}") + rng.randint(1, 9))
    return [f"t3.carried_in.{column}"]


def _break_in_force(record: Record, previous: Record, rng: random.Random) -> list[str]:
    if record.meta.template != "2021":
        raise ValueError("XYEAR-IN-FORCE compares reports in the 2021 format")
    row = rng.choice(("rules", "normative"))
    in_force = previous.value(f"t2.{row}.in_force")
    _set(previous, f"t2.{row}.in_force", in_force + in_force // 10 + rng.randint(1, 9))  # past the 2% of "≈"
    return [f"t2.{row}.in_force", f"t2.{row}.issued", f"t2.{row}.repealed"]


def _break_items(record: Record, previous: Record, rng: random.Random) -> list[str]:
    if record.meta.template != "2019":
        raise ValueError("XYEAR-ITEMS compares reports in the 2019 format")
    row = rng.choice(ITEM_ROWS)
    _set(previous, f"t2.{row}.change", rng.randint(1, 9) + previous.value(f"t2.{row}.prev") // 10)
    return [f"t2.{row}.prev"]


def _break_copy(record: Record, previous: Record, rng: random.Random) -> list[str]:
    previous.sections.append(record.section(5).model_copy())
    return ["section.5"]


def _break_outlier(record: Record, previous: Record, rng: random.Random) -> list[str]:
    key = "t4.review.total"  # last year's count an order of magnitude above this year's
    _set(previous, key, 10 * max(record.value(key) or 0, 10) + rng.randint(0, 9))
    return [key]


# Per cross-year rule: breaks it, and it alone, on a pair from ``previous_year`` by changing the previous
# report (record, previous, rng) → the keys of ``record`` the finding names.
PAIR_INJECTORS = {
    "XYEAR-CARRY": _break_carry,
    "XYEAR-IN-FORCE": _break_in_force,
    "XYEAR-ITEMS": _break_items,
    "XYEAR-COPY": _break_copy,
    "OUTLIER": _break_outlier,
}


def inject_pair(record: Record, rule_id: str, rng: random.Random) -> tuple[Record, list[str]]:
    """A previous year for ``record`` that breaks exactly the cross-year rule ``rule_id``, and the keys it names."""
    previous = previous_year(record)
    return previous, PAIR_INJECTORS[rule_id](record, previous, rng)


def _shift_year(r: Record, rng: random.Random) -> Record:
    """Keep the format, move the year to one the other format belongs to (seed 000's mistake)."""
    old = r.meta.year
    new = rng.randint(2021, 2024) if r.meta.template == "2019" else rng.randint(2019, 2020)
    r.meta.year = new
    r.meta.title = r.meta.title.replace(f"{old}年", f"{new}年") if r.meta.title else None
    r.meta.published = _published(rng, new, r.meta.is_government)
    for s in r.sections:
        s.text = s.text.replace(f"{old}年", f"{new}年")
    if r.meta.index_no:
        r.meta.index_no = r.meta.index_no.replace(f"/{old + 1}-", f"/{new + 1}-")
    if new >= 2021:
        narrative.ensure_fee_sentence(r, rng)
    else:
        narrative.drop_fee_sentence(r)
    return r


def _incomplete(r: Record, rng: random.Random) -> tuple[Record, list[str]]:
    """Drop section 五's heading (its text stays) or a whole table-2 row (no identity uses table 2)."""
    if rng.random() < 0.5:
        r.section(5).heading = ""
        return r, []
    block = rng.choice(forms.t2_blocks(r.meta.template))
    row = rng.choice(block.rows)
    keys = [f"t2.{row.key}.{col.key}" for col in block.columns]
    for k in keys:
        r.cells[k] = Cell(key=k, value=None, state=State.missing)
    return r, keys


def make_register(n: int, seed: int, template: Template = "2021", extended: float = 0.0) -> list[dict[str, object]]:
    """A generated case register (依申请公开台账) of ``n`` cases, as ``write.tally`` reads one: receipt dates
    from September 2024 over about 19 months, 92% answered within 25 days, every applicant type and result of
    ``template``; a share ``extended`` of the cases marked 是否延期."""
    from ..write.tally import APPLICANTS, result_names  # the writers' package: only when a register is made

    rng = random.Random(seed)
    names, applicants = list(result_names(template)), list(APPLICANTS)
    rows: list[dict[str, object]] = []
    for i in range(n):
        received = dt.date(2024, 9, 1) + dt.timedelta(days=rng.randint(0, 560))
        answered = received + dt.timedelta(days=rng.randint(0, 25)) if rng.random() < 0.92 else None
        rows.append(
            {
                "编号": f"YSQ-{i:05d}",
                "收到日期": received.isoformat(),
                "申请人类型": rng.choice(applicants),
                "答复日期": answered.isoformat() if answered else "",
                "办理结果": rng.choice(names) if answered else "",
                "是否延期": "是" if extended and rng.random() < extended else "",
                "收费金额": "",
                "备注": "",
            }
        )
    return rows
