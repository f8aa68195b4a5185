"""Issue 14: the codebook documents every key of both formats, docs/codebook.md is its current text, and the
JSON Schema in docs/record.schema.json validates what `ogi parse --format json` really prints."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import jsonschema
import pytest

from ogi import codebook, forms
from ogi.figures import FIGURES, MEASURES
from ogi.harmonise import HARMONISED
from ogi.render import RENDERERS, RenderOptions, make_record

from .conftest import ROOT, SEEDS, seed_path


def test_every_key_of_both_formats_is_documented():
    documented = {e.key: e for e in codebook.entries()}
    for template in forms.TEMPLATES:
        for key in forms.keys(template):
            entry = documented[key]
            assert template in entry.formats.split()
            assert entry.label and entry.unit and entry.table in ("表二", "表三", "表四")
    assert len(documented) == len(set(forms.keys("2019")) | set(forms.keys("2021")))
    # 收费金额 is in 万元 by the 2021 header; 采购总金额 has no unit in the 2019 header.
    assert documented["t2.fees.amount"].unit == "万元"
    assert "未注明" in documented["t2.procurement.amount"].unit


def test_codebook_doc_is_current():
    text = (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert text == codebook.markdown()
    for key in set(forms.keys("2019")) | set(forms.keys("2021")):
        assert f"| {key} |" in text
    for m in MEASURES:
        assert f"| {m.name} | {m.label} |" in text
    for name in FIGURES:
        assert f"| {name} |" in text
    assert all(f"| {h.name} |" in text for h in HARMONISED)


def _validator():
    schema = json.loads((ROOT / "docs" / "record.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _parse_json(path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "ogi", "parse", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert out.stdout, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("prefix", SEEDS)
def test_schema_validates_real_parse_output(prefix):
    data = _parse_json(seed_path(prefix))
    errors = sorted(_validator().iter_errors(data), key=str)
    assert not errors, errors[:3]


def test_schema_validates_a_generated_report_and_allows_later_additions(tmp_path):
    record = make_record(random.Random(9), "2019", 2020, "泾县财政局")
    path = tmp_path / "r.html"
    path.write_bytes(RENDERERS["html"].write(record, RenderOptions(seed=1)))
    data = _parse_json(path)
    validator = _validator()
    assert not list(validator.iter_errors(data))
    assert data["cells"]["t3.new.total"] == record.cells["t3.new.total"].value
    # A list of problems beside the findings, candidates in a cell's detail: still valid.
    data["problems"] = data["findings"][:1]
    next(iter(data["detail"].values()))["candidates"] = [12, 102]
    assert not list(validator.iter_errors(data))
    # What the schema is for: a cell that is not a number is refused.
    data["cells"]["t3.new.total"] = {"value": 3}
    assert list(validator.iter_errors(data))


def test_keys_command_speaks_json_and_csv():
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "ogi", "keys", "-f", "json"], capture_output=True, text=True, env=env)
    rows = json.loads(out.stdout)
    assert {r["key"] for r in rows} == set(forms.keys("2019")) | set(forms.keys("2021"))
    out = subprocess.run(
        [sys.executable, "-m", "ogi", "keys", "--harmonised", "-f", "csv"], capture_output=True, text=True, env=env
    )
    assert (
        "t2.rules.issued,表二·规章·本年制发件数（2019：本年新制作数量）,renamed,t2.rules.made,t2.rules.issued"
        in out.stdout
    )
