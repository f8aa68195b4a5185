"""The ``ogi`` command (entry point ``ogi.cli:app``): a thin face over the library.

``app.py`` holds the Typer app, the consoles and the exit codes; each command module registers its
commands on that app when imported here: parse (parse, check, rules, schema), corpus (ingest, stats,
export, organs), cluster (ingest --cluster, load), codebook (keys), render, serve (serve, user) and demo.
"""

from . import parse, demo, render, write, corpus, cluster, codebook, serve  # noqa: F401, I001  each registers its commands, in the order `ogi --help` lists them
from .app import app

__all__ = ["app"]
