"""Organ name → one identity across years and spellings, with region and type (issue #4 item 3).

``derive(name)`` is pure: the spelling key (simplified, NFKC, no spaces or punctuation), the region prefix
split into province / city / county, the organ's level, kind and sector. ``resolve`` and ``import_list`` use
the ``organs`` / ``organ_aliases`` tables: every spelling ever seen is an alias of one organ, a name
without its region prefix joins the single organ with the same core, and an imported organ list (CSV or
XLSX) overrides what was derived.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa

from ..divisions import clean_name, locate, region_prefix
from ..model import InvalidInput
from ..normalise import to_simplified
from .database import new_ids
from .schema import organ_aliases, organs, reports

# One spelling per organ: the forms the same organ's name takes in different years.
_ZONE = "开发区|高新区|投资区|园区|试验区|示范区|保税区|合作区|新区|景区|度假区|工业区"
_NAME_FORMS = (
    # A zone's 管理委员会 is its 管委会; a 城市管理委员会 stays what it is.
    (re.compile(f"({_ZONE})管理委员会"), r"\1管委会"),
    (re.compile(r"(?<!人民)政府(办公室|办公厅|办)?$"), r"人民政府\1"),
    (re.compile(r"人民政府办$"), "人民政府办公室"),
)

_KINDS = (  # (pattern on the core, kind); first match wins
    (re.compile(r"(?:镇|乡|街道)(?:人民政府|办事处)?$|街道办事处$"), "乡镇街道"),
    (re.compile(r"^人民政府$|^人民政府办公[室厅]$"), "人民政府"),
    (re.compile(r"(?:管委会|管理委员会|开发区|高新区|园区|投资区|试验区|示范区|保税区|合作区)$"), "管委会"),
    (re.compile(r"(?:局|厅|委员会|委|办公室|办公厅|办|署|部|政府)$"), "政府部门"),
    (re.compile(r"(?:中心|院|所|站|队|馆|社)$"), "事业单位"),
    (re.compile(r"(?:公司|集团)$"), "公共企事业单位"),
)
_SECTORS = (
    ("人民政府", "综合"),
    ("公安", "公安"),
    ("教育", "教育"),
    ("民政", "民政"),
    ("财政", "财政"),
    ("人力资源", "人社"),
    ("人社", "人社"),
    ("自然资源", "自然资源"),
    ("国土", "自然资源"),
    ("生态环境", "生态环境"),
    ("环境保护", "生态环境"),
    ("住房", "住建"),
    ("住建", "住建"),
    ("交通", "交通运输"),
    ("水利", "水利"),
    ("水务", "水利"),
    ("农业", "农业农村"),
    ("农村", "农业农村"),
    ("商务", "商务"),
    ("文化", "文化旅游"),
    ("旅游", "文化旅游"),
    ("卫生", "卫生健康"),
    ("卫健", "卫生健康"),
    ("应急", "应急管理"),
    ("市场监督", "市场监管"),
    ("市场监管", "市场监管"),
    ("审计", "审计"),
    ("统计", "统计"),
    ("医疗保障", "医疗保障"),
    ("医保", "医疗保障"),
    ("税务", "税务"),
    ("发展和改革", "发展改革"),
    ("发改", "发展改革"),
    ("司法", "司法"),
    ("行政审批", "行政审批"),
    ("信访", "信访"),
    ("退役军人", "退役军人"),
    ("林业", "林业"),
    ("体育", "体育"),
    ("科技", "科技"),
    ("工业和信息化", "工业信息化"),
    ("工信", "工业信息化"),
    ("城市管理", "城市管理"),
    ("城管", "城市管理"),
    ("质量安全", "住建"),
    ("质安", "住建"),
)
_TOWNSHIP_NAME = re.compile(r"^[^县区乡镇]{1,8}?(?:镇|乡|街道)(?:人民政府|办事处|街道办事处)?$")
_TITLE_TAIL = re.compile(r"(?:19|20)\d\d\s*年?度?.*$|关于.*$|政府信息公开.*$")


@dataclass(slots=True)
class OrganInfo:
    name: str
    key: str
    core: str
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    division_code: str | None = None  # 行政区划代码 of the deepest level found (divisions.py)
    region_note: str | None = None  # why the region is missing or partial: "“沐阳县”不在行政区划表中"
    level: str | None = None
    kind: str | None = None
    sector: str | None = None


def _standard_form(text: str) -> str:
    for pattern, form in _NAME_FORMS:
        text = pattern.sub(form, text)
    return text


def organ_key(name: str) -> str:
    """The spelling-independent identity of a name: NFKC, simplified, no spaces/punctuation/markdown marks,
    one form for 管理委员会/管委会, 政府办/人民政府办公室, 县政府/县人民政府."""
    return _standard_form(clean_name(name)).lower()


def derive(name: str, year: int | None = None) -> OrganInfo:
    """Everything the name itself tells about an organ; its region from the national divisions of ``year``.
    A region prefix the divisions table does not have is noted, never stored as a place."""
    clean = _standard_form(clean_name(name))
    place = locate(clean, year)
    core = place.rest
    level = place.level
    if level is None and _TOWNSHIP_NAME.match(core):
        level = "township"
    # The kind reads the name after any region-shaped words, found in the table or not ("示例市第3县人民政府").
    kind_core = core
    for _ in range(3):
        if (shaped := region_prefix(kind_core)) is None:
            break
        kind_core = kind_core[len(shaped) :]
    kind = next((k for p, k in _KINDS if p.search(kind_core)), "其他")
    sector = next((s for word, s in _SECTORS if word in core), None)
    return OrganInfo(
        clean,
        clean.lower(),
        core,
        place.province,
        place.city,
        place.county,
        place.township,
        place.code,
        place.problem,
        level,
        kind,
        sector,
    )


def name_from_title(title: str | None) -> str | None:
    """ "钦州市北部湾华侨投资区2022年政府信息公开工作年度报告" → the organ part, when meta has no organ."""
    if not title:
        return None
    name = _TITLE_TAIL.sub("", to_simplified(title)).strip()
    return name or None


def resolve(conn: sa.Connection, name: str, year: int | None = None) -> tuple[int, str]:
    """The organ id for a name as written (creating organ and alias when new) and the alias key; ``year``
    picks the divisions list the region is read against."""
    return resolve_many(conn, {name: year})[name]


def resolve_many(conn: sa.Connection, names: dict[str, int | None]) -> dict[str, tuple[int, str]]:
    """``resolve`` for the organ names of a batch (name → the year it was read for): the known aliases and
    the organs of the same cores are read in one query each, new aliases written in one statement. Names are
    decided in order, so a spelling with its region and one without in the same batch join one organ."""
    key_of = {name: organ_key(name) for name in names}
    known: dict[str, int] = {}
    keys = sorted(set(key_of.values()))
    for start in range(0, len(keys), 500):
        stmt = sa.select(organ_aliases.c.key, organ_aliases.c.organ_id)
        known.update(conn.execute(stmt.where(organ_aliases.c.key.in_(keys[start : start + 500]))).all())
    # Only a spelling not seen before is read against the divisions and weighed against organs of its core.
    infos = {name: derive(name, year) for name, year in names.items() if key_of[name] not in known}
    by_core: dict[str, list[_Known]] = {}
    cores = sorted({i.core for i in infos.values()})
    for start in range(0, len(cores), 500):
        stmt = sa.select(
            organs.c.core, organs.c.id, organs.c.province, organs.c.city, organs.c.county, organs.c.imported
        ).where(organs.c.core.in_(cores[start : start + 500]))
        for core, *row in conn.execute(stmt):
            by_core.setdefault(core, []).append(_Known(*row))
    out, aliases, created = {}, [], []
    for name in names:
        key = key_of[name]
        if key not in known:
            info = infos[name]
            organ_id = _same_core(conn, info, by_core.setdefault(info.core, []))
            if organ_id is None:  # a new organ: a placeholder id (negative) until the batch's ids are taken
                organ_id = -len(created) - 1
                created.append(_Known(organ_id, info.province, info.city, info.county, False, info))
                by_core[info.core].append(created[-1])
            known[key] = organ_id
            aliases.append({"key": key, "organ_id": organ_id, "name": name})
        out[name] = (known[key], key)
    ids = new_ids(conn, organs, len(created))
    if created:
        conn.execute(organs.insert(), [asdict(c.info) | {"id": i, "imported": False} for c, i in zip(created, ids)])
    for alias in aliases:
        if alias["organ_id"] < 0:
            alias["organ_id"] = ids[-alias["organ_id"] - 1]
    if aliases:
        conn.execute(organ_aliases.insert(), aliases)
    return {name: (ids[-i - 1] if i < 0 else i, key) for name, (i, key) in out.items()}


@dataclass(slots=True)
class _Known:
    """An organ as ``_same_core`` weighs it."""

    id: int  # negative: an organ of this batch, not written yet
    province: str | None
    city: str | None
    county: str | None
    imported: bool
    info: OrganInfo | None = None  # what a new one will be written as


def _same_core(conn: sa.Connection, info: OrganInfo, rows: list[_Known]) -> int | None:
    """A spelling with or without the region prefix joins the one organ that has the same core (``rows``)."""
    region = (info.province, info.city, info.county)
    if any(region):
        # Only an organ known without any region can be the same one; it then learns the region.
        blank = [r for r in rows if not any((r.province, r.city, r.county))]
        if len(blank) != 1 or len(rows) != 1:
            return None
        if blank[0].info is not None:  # new in this batch: it is written with the region
            blank[0].info = info
        elif not blank[0].imported:
            conn.execute(
                organs.update()
                .where(organs.c.id == blank[0].id)
                .values(
                    name=info.name,
                    key=info.key,
                    province=info.province,
                    city=info.city,
                    county=info.county,
                    township=info.township,
                    division_code=info.division_code,
                    region_note=info.region_note,
                    level=info.level,
                )
            )
            blank[0].province, blank[0].city, blank[0].county = region
        return blank[0].id
    return rows[0].id if len(rows) == 1 else None


_HEADERS = {
    "name": ("名称", "机关名称", "机构名称", "单位名称", "机关", "name"),
    "aliases": ("别名", "其他名称", "曾用名", "aliases", "alias"),
    "province": ("省", "省份", "省级", "province"),
    "city": ("市", "地市", "城市", "市级", "city"),
    "county": ("县", "区县", "县区", "县级", "county"),
    "township": ("乡镇", "乡镇街道", "乡镇(街道)", "街道", "township"),
    "division_code": ("行政区划代码", "区划代码", "division_code", "adcode"),
    "level": ("层级", "级别", "level"),
    "kind": ("类型", "机关类型", "kind", "type"),
    "sector": ("领域", "系统", "行业", "sector"),
    "code": ("代码", "统一社会信用代码", "机构代码", "code"),
}
_NOT_A_TABLE = "不是机关名录表格：应为 CSV（UTF-8 或 GB18030）或 XLSX，第一行为表头"
_LIST_FIELDS = ("province", "city", "county", "township", "division_code", "region_note", "level", "kind", "sector")
_HEADER_OF = {h.lower(): field for field, names in _HEADERS.items() for h in names}


def read_list(path: str | Path) -> list[dict[str, str]]:
    """Rows of an organ list (CSV in UTF-8 or GB18030, or XLSX first sheet), keyed by field name."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(str(path), f"无法读取机关名录 (cannot read: {exc.strerror or exc})") from None
    if data[:4] == b"PK\x03\x04":
        rows = _xlsx_rows(data, str(path))
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
        if "\x00" in text[:4096] or text.count("\ufffd") > len(text) // 100:
            raise InvalidInput(str(path), f"{_NOT_A_TABLE}（文件内容不是文本表格）")
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise InvalidInput(str(path), "机关名录为空 (empty organ list)")
    fields = [_HEADER_OF.get(str(h or "").strip().lower()) for h in rows[0]]
    if "name" not in fields:
        raise InvalidInput(str(path), "机关名录的第一行应为表头，且有“名称”（或 name）列")
    out = []
    for row in rows[1:]:
        item = {f: str(v).strip() for f, v in zip(fields, row) if f and v is not None and str(v).strip()}
        if item.get("name"):
            out.append(item)
    return out


def _xlsx_rows(data: bytes, name: str) -> list[list]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise InvalidInput(name, f"{_NOT_A_TABLE}（无法作为 Excel 文件打开：{exc.__class__.__name__}）") from None
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    return [r for r in rows if any(v not in (None, "") for v in r)]


def import_list(conn: sa.Connection, items: list[dict[str, str]]) -> tuple[int, set[int]]:
    """Apply an organ list; returns (organs touched, ids of organs whose reports moved or changed)."""
    touched: set[int] = set()
    for item in items:
        info = derive(item["name"])
        organ_id = conn.execute(sa.select(organ_aliases.c.organ_id).where(organ_aliases.c.key == info.key)).scalar()
        fields = {k: item.get(k) or getattr(info, k) for k in _LIST_FIELDS}
        listed = {k: item.get(k) for k in ("province", "city", "county", "township")}
        if any(listed.values()) and any(v and v != getattr(info, k) for k, v in listed.items()):
            # The list places the organ elsewhere than its name does: the list's region, whole.
            fields.update(listed, region_note=None, division_code=item.get("division_code"))
        values = dict(fields, name=info.name, core=info.core, code=item.get("code"), imported=True)
        if organ_id is None:
            organ_id = conn.execute(sa.select(organs.c.id).where(organs.c.key == info.key)).scalar()
        if organ_id is None:
            organ_id = conn.execute(organs.insert().values(key=info.key, **values)).inserted_primary_key[0]
            conn.execute(organ_aliases.insert().values(key=info.key, organ_id=organ_id, name=item["name"]))
        else:
            conn.execute(organs.update().where(organs.c.id == organ_id).values(**values))
        touched.add(organ_id)
        aliases = re.split(r"[;；|、\n]+", item.get("aliases", ""))
        for alias in filter(None, (a.strip() for a in aliases)):
            touched |= _point_alias(conn, alias, organ_id)
    _drop_orphans(conn)
    if touched:  # a merged organ has new neighbouring years: its cross-year findings need a refresh
        conn.execute(reports.update().where(reports.c.organ_id.in_(touched)).values(stale=True))
    return len(items), touched


def _point_alias(conn: sa.Connection, alias: str, organ_id: int) -> set[int]:
    key = organ_key(alias)
    old = conn.execute(sa.select(organ_aliases.c.organ_id).where(organ_aliases.c.key == key)).scalar()
    if old == organ_id:
        return set()
    if old is None:
        conn.execute(organ_aliases.insert().values(key=key, organ_id=organ_id, name=alias))
    else:
        conn.execute(organ_aliases.update().where(organ_aliases.c.key == key).values(organ_id=organ_id))
    conn.execute(reports.update().where(reports.c.organ_key == key).values(organ_id=organ_id, stale=True))
    return {organ_id} | ({old} if old else set())


def _drop_orphans(conn: sa.Connection) -> None:
    """Organs left with no alias pointing at them were merged into another one."""
    used = sa.select(organ_aliases.c.organ_id)
    orphan = sa.select(organs.c.id).where(organs.c.id.not_in(used), organs.c.imported.is_(False))
    ids = list(conn.execute(orphan).scalars())
    if ids:
        conn.execute(reports.update().where(reports.c.organ_id.in_(ids)).values(organ_id=None))
        conn.execute(organs.delete().where(organs.c.id.in_(ids)))
