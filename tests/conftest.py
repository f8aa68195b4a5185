"""Shared fixtures. The seeds live outside the project (../shared/seeds); tests that need them skip
cleanly when that folder is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT.parent / "shared" / "seeds"
SEEDS = ["000", "001", "002", "003", "004"]


def seed_path(prefix: str) -> Path:
    if not SEED_DIR.is_dir():
        pytest.skip("../shared/seeds is not present")
    matches = sorted(SEED_DIR.glob(f"{prefix}_*"))
    if not matches:
        pytest.skip(f"seed {prefix} is not present")
    return matches[0]
