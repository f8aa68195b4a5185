"""Record → report documents: the generator of test reports and the authoring side of ogi.

``sample.make_record`` invents a consistent report (every cell of a format, meta, six sections),
``sample.inject`` breaks exactly one audit rule, and the renderers write a record the ways real
reports are published (spec §7): text layouts (``text``), Word-pasted or clean HTML (``html``),
DOCX with merged cells (``docx``), PDF and scanned PDF (``pdf``).
"""

from __future__ import annotations

from .sample import INJECTABLE, inject, make_record, random_record
from .text import LAYOUTS, render_text

__all__ = ["INJECTABLE", "LAYOUTS", "inject", "make_record", "random_record", "render_text"]
