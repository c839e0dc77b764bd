"""A library user's ``mypy --strict`` sees Victor's types (issue 11: py.typed, explicit
re-exports): no missing-stub, untyped-import or implicit-re-export errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "typing_user" / "user_script.py"


def test_mypy_strict_on_a_user_script_importing_victor(tmp_path: Path):
    pytest.importorskip("mypy")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(SCRIPT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # outside the repository: victor is found as the installed package
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
