"""The reviewer's web app and HTTP API (issue #5): ``create_app(db, settings)``; run with ``ogi serve``."""

from .app import create_app
from .session import Settings

__all__ = ["Settings", "create_app"]
