"""The six section texts of a generated report, stating figures that agree with its tables.

The narrative cites ``t3.new.total`` ("共收到政府信息公开申请N件") and the table-4 totals ("行政复议N起"),
and from 2021 on says in section 六 whether 信息处理费 was collected (FEES-STATED). Everything else is
the boilerplate real reports are made of (seeds 000–004), free of numbers a reviewer would compare.
"""

from __future__ import annotations

import random
import re

from ..forms import SECTIONS
from ..model import Record, Section

_NUMERALS = "一二三四五六"
_LEAD = (
    "{organ}高度重视政府信息公开工作，认真贯彻落实《中华人民共和国政府信息公开条例》，结合工作实际，扎实推进政务公开各项工作。",
    "{year}年，{organ}按照上级统一部署，加强组织领导，明确责任分工，全面推进政府信息公开工作。",
    "{year}年，我单位认真落实省、市关于政府信息公开工作的要求，紧扣本单位工作实际，不断提高政务公开工作水平。",
)
_ACTIVE = (
    "全年通过政府门户网站主动公开政府信息{m}条，通过政务新媒体发布信息{w}条。",
    "本年度在门户网站发布各类信息{m}条，其中工作动态{w}条。",
)
_MANAGE = (
    "严格执行“谁公开、谁审查、谁负责”的审查规定，落实公开前保密审查制度，及时更新主动公开目录。",
    "进一步规范信息公开和发布程序，对拟公开的文件逐件确定公开属性，确保公开内容准确及时。",
)
_PLATFORM = (
    "加强政府门户网站信息公开专栏建设，安排专人负责栏目内容保障和更新维护。",
    "依托政府门户网站和政务新媒体，拓宽公开渠道，方便群众查阅。",
)
_SUPERVISE = (
    "将政府信息公开工作纳入年度工作要点，明确分管领导和具体承办人员，定期开展自查整改。",
    "加强业务培训，提升工作人员的政策水平和业务能力，确保各项工作落到实处。",
)
_PROBLEMS = (
    "一是部分主动公开的信息内容还不够完善，更新还不够及时；二是政策解读的形式较为单一；三是工作人员多为兼职，业务能力有待提高。",
    "政府信息公开工作与上级要求和公众期望相比还存在一定差距，主要是公开内容不够全面，信息发布时效性有待加强。",
)
_IMPROVE = (
    "下一步，我们将进一步加强组织领导，完善工作机制，丰富公开内容，提高政府信息公开工作的质量和水平。",
    "针对存在的问题，我们将加强业务培训，规范公开流程，拓宽公开渠道，切实提升政务公开工作实效。",
)
_NO_OTHER = ("无其他需要报告的事项。", "无。", "暂无其他需要报告的事项。")
_FEE_NONE = (
    "本年度未收取信息处理费。",
    "{year}年度，本机关未收取政府信息公开信息处理费。",
    "本单位本年度未收取任何信息处理费。",
)
_FEE_SOME = ("依据《政府信息公开信息处理费管理办法》，本年度共收取信息处理费{fee}元。",)
# Accepted wordings of the headings (spec §2, forms.SECTIONS): still standard, so no FORMAT-COMPLETE.
_HEADING_VARIANTS = {
    4: ("因政府信息公开工作被申请行政复议和提起行政诉讼情况", "政府信息公开行政复议、诉讼情况"),
    5: ("政府信息公开工作存在的主要问题及改进情况",),
}
_FEE = re.compile(r"[^。\n]*信息处理费[^。\n]*。")
_APPLICATIONS = re.compile(r"(共收到政府信息公开申请)(\d+)(件)|本年度未收到政府信息公开申请。")


def cited_keys(record: Record) -> tuple[str, ...]:
    """The cells whose figures the narrative states (never blanked, changed by TEXT-TABLE)."""
    return ("t3.new.total", "t4.review.total", "t4.suit_direct.total", "t4.suit_after.total")


def _n(record: Record, key: str) -> int:
    return int(record.value(key) or 0)


def _requests(record: Record, rng: random.Random) -> str:
    n = _n(record, "t3.new.total")
    if n == 0 and rng.random() < 0.5:
        return "本年度未收到政府信息公开申请。"
    return f"本年度共收到政府信息公开申请{n}件，均已按照法定时限和程序予以答复。"


def _reviews(record: Record) -> str:
    review = _n(record, "t4.review.total")
    suits = _n(record, "t4.suit_direct.total") + _n(record, "t4.suit_after.total")
    if review == suits == 0:
        return "全年未发生因政府信息公开被申请行政复议或提起行政诉讼的情况。"
    return f"全年因政府信息公开被申请行政复议{review}起，被提起行政诉讼{suits}起。"


def _fee(record: Record, rng: random.Random) -> str:
    year = record.meta.year
    if rng.random() < 0.85:
        return rng.choice(_FEE_NONE).format(year=year)
    return rng.choice(_FEE_SOME).format(fee=rng.randint(1, 40) * 50)


def _overview(record: Record, rng: random.Random) -> str:
    organ, year = record.meta.organ, record.meta.year
    m = rng.randint(5, 900)
    fill = {"organ": organ, "year": year, "m": m, "w": rng.randint(1, m)}
    lead = rng.choice(_LEAD).format(**fill)
    active = rng.choice(_ACTIVE).format(**fill)
    if record.meta.template == "2021":
        parts = [
            lead,
            "(一)主动公开",
            active,
            "(二)依申请公开",
            _requests(record, rng) + _reviews(record),
            "(三)政府信息管理",
            rng.choice(_MANAGE),
            "(四)平台建设",
            rng.choice(_PLATFORM),
            "(五)监督保障",
            rng.choice(_SUPERVISE),
        ]
    else:
        parts = [
            lead,
            "(一)主动公开情况。" + active,
            "(二)依申请公开情况。" + _requests(record, rng),
            "(三)行政复议和诉讼情况。" + _reviews(record),
            "(四)制度建设情况。" + rng.choice(_MANAGE),
        ]
    return "\n".join(parts)


def sections(record: Record, rng: random.Random) -> list[Section]:
    year = record.meta.year
    texts = {
        1: _overview(record, rng),
        2: "",
        3: "",
        4: "",
        5: "\n".join([rng.choice(_PROBLEMS), rng.choice(_IMPROVE)]),
        6: rng.choice(_NO_OTHER),
    }
    if year >= 2021:
        texts[6] = _fee(record, rng) + ("" if rng.random() < 0.5 else rng.choice(_NO_OTHER))
    titles = {d.number: d.title for d in SECTIONS}
    for number, variants in _HEADING_VARIANTS.items():
        if rng.random() < 0.2:
            titles[number] = rng.choice(variants)
    return [Section(number=n, heading=f"{_NUMERALS[n - 1]}、{titles[n]}", text=texts[n]) for n in range(1, 7)]


def misstate(record: Record, rng: random.Random) -> Record:
    """TEXT-TABLE: the application count in the narrative no longer matches t3.new.total."""
    # Reports may cite new + carried_in ("共受理…") as well, so the wrong figure exceeds both.
    wrong = _n(record, "t3.new.total") + _n(record, "t3.carried_in.total") + rng.randint(1, 20)
    section = record.section(1)
    section.text, n = _APPLICATIONS.subn(
        lambda m: f"{m[1]}{wrong}{m[3]}" if m[1] else f"本年度共收到政府信息公开申请{wrong}件。", section.text, count=1
    )
    if n == 0:
        raise ValueError("the narrative states no application count to misstate")
    return record


def drop_fee_sentence(record: Record) -> None:
    section = record.section(6)
    section.text = _FEE.sub("", section.text) or _NO_OTHER[0]


def ensure_fee_sentence(record: Record, rng: random.Random) -> None:
    section = record.section(6)
    if "信息处理费" not in section.text:
        section.text = _fee(record, rng) + section.text
