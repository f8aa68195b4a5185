"""Cross-year rules (spec §6, issue #4 item 4): each fires on a crafted pair with the right keys and values,
and none fires on a clean pair; in the corpus they are stored and refreshed when a neighbouring year arrives."""

from __future__ import annotations

import pytest

from ogi import crossyear
from ogi.forms import T3_COLUMNS
from tests.builders import record

PROBLEMS_2020 = (
    "一是政策解读形式较为单一，图表图解、音视频解读偏少；二是依申请公开答复的规范性有待提高，"
    "个别答复文书引用条款不够准确；三是信息公开专栏部分栏目更新不及时，栏目设置不够科学合理。"
    "下一步将加强培训，规范答复文书，完善专栏栏目设置，提升公开质量。"
)
PROBLEMS_2021 = (
    "今年发现的问题主要在于基层站所人员变动频繁，新进人员对条例理解不深；同时档案数字化进度落后，"
    "历史文件检索困难。对此，我局已制定年度培训计划，分批组织轮训，并与档案馆合作推进存量文件扫描入库，"
    "预计明年六月前完成主要业务档案的数字化。"
)
OVERVIEW = (
    "本局坚持以公开为常态、不公开为例外，围绕中心工作做好政府信息公开，主动公开机构职能、政策文件、"
    "财政预决算、重点领域信息，畅通依申请公开渠道，严格保密审查。"
)


def pair(**changes):
    """A clean 2021/2022 pair (2021 format): every cross-year identity holds, texts differ."""
    before = {f"t3.{row}.{c.key}": 0 for row in ("new", "total") for c in T3_COLUMNS}
    before |= {
        "t3.new.natural": 10,
        "t3.new.total": 10,
        "t3.granted.natural": 8,
        "t3.granted.total": 8,
        "t3.total.natural": 8,
        "t3.total.total": 8,
        "t3.carried_out.natural": 2,
        "t3.carried_out.total": 2,
        "t2.normative.issued": 3,
        "t2.normative.in_force": 40,
        "t2.rules.in_force": 0,
    }
    after = {
        "t3.carried_in.natural": 2,
        "t3.carried_in.total": 2,
        "t3.new.natural": 12,
        "t3.new.total": 12,
        "t3.granted.natural": 14,
        "t3.granted.total": 14,
        "t3.total.natural": 14,
        "t3.total.total": 14,
        "t2.normative.issued": 5,
        "t2.normative.repealed": 2,
        "t2.normative.in_force": 43,
    }
    after |= changes
    return (
        record("缙云县教育局", 2021, before, sections={1: OVERVIEW, 5: PROBLEMS_2020}),
        record("缙云县教育局", 2022, after, sections={1: "本年度工作平稳推进，无重大变化。" * 3, 5: PROBLEMS_2021}),
    )


def pair_2019(**changes):
    before = {"t2.licensing.prev": 120, "t2.licensing.change": 5, "t2.fees.prev": 6, "t2.fees.change": -1}
    after = {"t2.licensing.prev": 125, "t2.fees.prev": 5} | changes
    return record("高港区行政审批局", 2019, before), record("高港区行政审批局", 2020, after)


def flat(findings):
    return [(f.rule, f.keys, f.expected, f.found) for f in findings]


def test_clean_pairs_are_quiet():
    assert crossyear.cross_year(*reversed(pair())) == []
    assert crossyear.cross_year(*reversed(pair_2019())) == []


def test_carry():
    before, after = pair(**{"t3.carried_in.natural": 3, "t3.carried_in.total": 3})
    assert flat(crossyear.cross_year(after, before)) == [
        ("XYEAR-CARRY", ["t3.carried_in.natural"], "2", "3"),
        ("XYEAR-CARRY", ["t3.carried_in.total"], "2", "3"),
    ]


def test_carry_needs_consecutive_years():
    before, after = pair(**{"t3.carried_in.natural": 3, "t3.carried_in.total": 3})
    before.meta.year = 2020
    assert crossyear.cross_year(after, before) == []


def test_in_force():
    before, after = pair(**{"t2.normative.in_force": 60})
    assert flat(crossyear.cross_year(after, before)) == [
        ("XYEAR-IN-FORCE", ["t2.normative.in_force", "t2.normative.issued", "t2.normative.repealed"], "43", "60")
    ]


def test_in_force_tolerates_a_near_value():
    assert crossyear.cross_year(*reversed(pair(**{"t2.normative.in_force": 43}))) == []  # exact
    # 99 + 5 − 2 = 102 against 100: within 2% ("≈")
    before, after = pair(**{"t2.normative.in_force": 100})
    before.cells["t2.normative.in_force"].value = 99
    assert crossyear.check_in_force(crossyear.Light.of(after), crossyear.Light.of(before)) == []


def test_items():
    before, after = pair_2019(**{"t2.licensing.prev": 200})
    assert flat(crossyear.cross_year(after, before)) == [("XYEAR-ITEMS", ["t2.licensing.prev"], "125", "200")]


def test_copy_of_section_five():
    before, after = pair()
    after.section(5).text = PROBLEMS_2020.replace("2021", "2022") + "另外，信息公开工作人员均为兼职。"
    (f,) = crossyear.cross_year(after, before)
    assert (f.rule, f.keys, f.severity.value) == ("XYEAR-COPY", ["section.5"], "warning")
    assert int(f.found.rstrip("%")) > 80


def test_copy_of_the_narrative():
    before, after = pair()
    after.section(1).text, after.section(5).text = OVERVIEW, "无。"
    (f,) = crossyear.cross_year(after, before)
    assert (f.rule, f.keys) == ("XYEAR-COPY", ["narrative"])


def test_outlier_jump_and_amount():
    before, after = pair(
        **{
            "t3.new.natural": 1200,
            "t3.new.total": 1200,
            "t3.granted.natural": 1202,
            "t3.granted.total": 1202,
            "t3.total.natural": 1202,
            "t3.total.total": 1202,
            "t2.fees.amount": 250000,
        }
    )
    found = flat(crossyear.cross_year(after, before))
    assert ("OUTLIER", ["t2.fees.amount"], "≤100000", "250000") in found
    assert ("OUTLIER", ["t3.new.total"], "10", "1200") in found
    assert ("OUTLIER", ["t3.total.total"], "8", "1202") in found
    assert {f[0] for f in found} == {"OUTLIER"}


def test_audit_calls_the_cross_year_rules():
    from ogi.pipeline import check

    before, after = pair(**{"t3.carried_in.natural": 3, "t3.carried_in.total": 3})
    assert [f.rule for f in check(after, before) if f.rule.startswith("XYEAR")] == ["XYEAR-CARRY", "XYEAR-CARRY"]


def corpus_rules(corpus, report_id):
    return sorted((f.rule, tuple(f.keys)) for f in corpus.findings(report_id) if f.origin == "corpus")


def test_refreshed_when_the_previous_year_arrives_later(corpus):
    before, after = pair(**{"t3.carried_in.natural": 3, "t3.carried_in.total": 3})
    later = corpus.add(after).id
    assert corpus_rules(corpus, later) == []  # nothing to compare with yet
    earlier = corpus.add(before).id
    assert corpus_rules(corpus, later) == [
        ("XYEAR-CARRY", ("t3.carried_in.natural",)),
        ("XYEAR-CARRY", ("t3.carried_in.total",)),
    ]
    assert corpus_rules(corpus, earlier) == []
    (f, _) = [f for f in corpus.findings(later) if f.rule == "XYEAR-CARRY"]
    assert f.other_report_id == earlier
    # A reviewer corrects last year's carried-out: this year's findings are refreshed.
    corpus.set_cell(earlier, "t3.carried_out.natural", "3", who="王五")
    corpus.set_cell(earlier, "t3.carried_out.total", "3", who="王五")
    assert corpus_rules(corpus, later) == []
    assert corpus.count(rule="XYEAR-CARRY") == 0


def test_near_duplicates_across_organs(corpus):
    text = {1: OVERVIEW + PROBLEMS_2020, 5: PROBLEMS_2021}
    a = corpus.add(record("泾县教育局", 2022, sections=text)).id
    b = corpus.add(record("安吉县交通运输局", 2022, sections=text)).id
    c = corpus.add(record("长丰县财政局", 2022, sections={1: "本年度工作平稳推进。" * 5, 5: PROBLEMS_2020})).id
    assert corpus_rules(corpus, a) == corpus_rules(corpus, b) == [("XYEAR-COPY", ("narrative.peer",))]
    assert corpus_rules(corpus, c) == []
    (fa,) = corpus.findings(a)[-1:]
    assert fa.other_report_id == b


@pytest.mark.parametrize("rule", ["XYEAR-CARRY", "XYEAR-IN-FORCE", "XYEAR-COPY", "OUTLIER"])
def test_each_rule_is_stored_and_counted(corpus, rule):
    changes = {
        "XYEAR-CARRY": {"t3.carried_in.natural": 3, "t3.carried_in.total": 3},
        "XYEAR-IN-FORCE": {"t2.normative.in_force": 60},
        "XYEAR-COPY": {},
        "OUTLIER": {"t2.fees.amount": 250000},
    }[rule]
    before, after = pair(**changes)
    if rule == "XYEAR-COPY":
        after.section(5).text = PROBLEMS_2020
    corpus.add(before)
    corpus.add(after)
    assert {(r["rule"], r["reports"]) for r in corpus.findings_by_rule() if r["rule"] == rule} == {(rule, 1)}


def test_items_in_the_corpus(corpus):
    before, after = pair_2019(**{"t2.licensing.prev": 200})
    corpus.add(before)
    rid = corpus.add(after).id
    assert corpus_rules(corpus, rid) == [("XYEAR-ITEMS", ("t2.licensing.prev",))]


def test_merging_organs_by_an_organ_list_brings_the_cross_year_check(corpus, tmp_path):
    before, after = pair(**{"t3.carried_in.natural": 3, "t3.carried_in.total": 3})
    before.meta.organ = "缙云县教育局"
    after.meta.organ = "浙江省丽水市缙云县教育局"
    corpus.add(before)
    rid = corpus.add(after).id
    assert len(corpus.organs()) == 2 and corpus_rules(corpus, rid) == []
    listing = tmp_path / "organs.csv"
    listing.write_text("名称,别名\n浙江省丽水市缙云县教育局,缙云县教育局\n", encoding="utf-8")
    corpus.import_organs(listing)
    assert len(corpus.organs()) == 1
    assert corpus_rules(corpus, rid) == [
        ("XYEAR-CARRY", ("t3.carried_in.natural",)),
        ("XYEAR-CARRY", ("t3.carried_in.total",)),
    ]
