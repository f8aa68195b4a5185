"""ogi: read, audit, store, show and write 政府信息公开工作年度报告 (open-government-information annual reports).

The public API: ``parse`` (a report file → its canonical ``Record``), ``check`` (a record → its audit
findings, with the organ's previous year for the cross-year rules), the model (``Record``, ``Cell``,
``Finding``…), the rule catalogue ``RULES``, and ``Corpus`` (the database of many reports).
"""

from .model import Cell, Document, Finding, Meta, OgiError, Record, Severity, State
from .pipeline import PARSER_VERSION, check, parse
from .rules import RULES

__all__ = [
    "PARSER_VERSION",
    "RULES",
    "Cell",
    "Corpus",
    "Document",
    "Finding",
    "Meta",
    "OgiError",
    "Record",
    "Severity",
    "State",
    "check",
    "parse",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    # Corpus pulls in SQLAlchemy (about 0.3 s): imported on first use, so `import ogi` and `ogi parse` stay fast.
    if name == "Corpus":
        from .corpus import Corpus  # SQLAlchemy, ~0.3 s: only when asked for

        return Corpus
    raise AttributeError(f"module 'ogi' has no attribute {name!r}")
