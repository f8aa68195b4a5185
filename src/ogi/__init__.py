"""ogi: read, audit, store, show and write 政府信息公开工作年度报告 (open-government-information annual reports)."""

from .model import Cell, Document, Finding, Meta, OgiError, Record, Severity, State
from .pipeline import PARSER_VERSION, check, parse

__all__ = sorted(
    ["Cell", "Document", "Finding", "Meta", "OgiError", "PARSER_VERSION", "Record", "Severity", "State", "check", "parse"]
)
__version__ = "0.1.0"
