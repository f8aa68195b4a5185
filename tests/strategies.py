"""Hypothesis strategies for generated reports (src/ogi/render): records of both formats, any layout.

Strategies draw a ``Spec`` (format, year, organ, seed, share of blank cells) rather than the record
itself, so a failing example prints one short line that rebuilds the record with ``spec.build()``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import strategies as st

from ogi.model import Record
from ogi.render.sample import DEPARTMENTS, PLACES, make_record
from ogi.render.text import LAYOUTS

TEMPLATES = ("2019", "2021")
YEARS = {"2019": (2019, 2020), "2021": (2021, 2022, 2023, 2024)}


@dataclass(frozen=True)
class Spec:
    template: str
    year: int
    organ: str
    seed: int
    blanks: float

    def build(self) -> Record:
        return make_record(random.Random(self.seed), self.template, self.year, self.organ, blanks=self.blanks)


@dataclass(frozen=True)
class TextCase:
    spec: Spec
    layout: str
    traditional: bool
    pinyin: bool
    seed: int  # render_text's choices among equivalent spellings


organs = st.builds(lambda p, d: p + d, st.sampled_from(PLACES), st.sampled_from(DEPARTMENTS))
layouts = st.sampled_from(LAYOUTS)
blank_shares = st.sampled_from((0.0, 0.0, 0.05, 0.3, 1.0))
seeds = st.integers(0, 2**32 - 1)


@st.composite
def specs(draw, template: str | None = None, blanks=blank_shares) -> Spec:
    """A consistent report: every key of its format, identities hold, meta and six sections."""
    template = template or draw(st.sampled_from(TEMPLATES))
    return Spec(template, draw(st.sampled_from(YEARS[template])), draw(organs), draw(seeds), draw(blanks))


def records(template: str | None = None):
    return specs(template).map(Spec.build)


@st.composite
def text_cases(draw, template: str | None = None) -> TextCase:
    variant = draw(st.sampled_from(((False, False), (True, False), (True, True), (False, True))))
    return TextCase(draw(specs(template)), draw(layouts), variant[0], variant[1], draw(seeds))
