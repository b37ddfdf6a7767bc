"""boilerplate/ type-checks with the settings in pyproject.toml ([tool.mypy]: strict but warn_return_any)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

pytest.importorskip("mypy", reason="mypy comes with the test extra")


def test_mypy_is_clean_on_the_package():
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
