"""ogi: read, audit, store, show and write 政府信息公开工作年度报告 (open-government-information annual reports)."""

from .model import Cell, Document, Finding, Meta, OgiError, Record, Severity, State
from .pipeline import PARSER_VERSION, check, parse

__all__ = sorted(
    ["Cell", "Document", "Finding", "Meta", "OgiError", "PARSER_VERSION", "Record", "Severity", "State", "check", "parse"]
)
__version__ = "0.1.0"


def __getattr__(name: str):
    # The corpus pulls in SQLAlchemy: imported only when asked for, so `ogi parse` starts fast.
    if name == "Corpus":
        from .store import Corpus

        return Corpus
    raise AttributeError(name)
