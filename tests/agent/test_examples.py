"""Every seed example in examples/ runs, through the real SDK, against the local server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("[0-9][0-9]_*.py"))


def test_all_ten_examples_are_there():
    assert len(EXAMPLES) == 10


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(script: Path, llm, tmp_path: Path):
    env = {
        **os.environ,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": llm.url,
        "VICTOR_DATA_DIR": str(tmp_path),
    }
    env.pop("OPENAI_BASE_URL", None)
    proc = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if script.stem != "04_compaction":  # the seed's example 4 prints nothing
        assert proc.stdout.strip(), "an example should show what it did"
    expected_output = {
        "02_config_provider": "Loaded config: {'model'",  # the database provider won
        "03_prompt_contributor": "## Compliance Requirements",
        "10_error_handling": "Network error after retries",
    }
    if script.stem in expected_output:
        assert expected_output[script.stem] in proc.stdout
    else:
        assert llm.requests_to("/v1/messages"), "the example never reached the model"
