"""The README's Python example runs as written, in the order written, in a fresh
interpreter (on a copy of the shipped labs, so that adding a claim leaves them alone)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def readme_api_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## In Python and notebooks") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's API section has no Python example"
    return match.group(1)


def test_the_example_names_every_step_of_the_api() -> None:
    code = readme_api_example()
    for name in ("load_lab", "fit", "assess", "check_claim", "add_claims", "sensitivity"):
        assert f"est.{name}(" in code


@pytest.mark.slow
def test_the_readme_api_example_runs_in_order(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "priors", tmp_path / "priors")
    checks = (
        "\nimport types\n"
        "from estimator.drivers.collect import Drivers\n"
        "from estimator.review.verdicts import Verdict\n"
        "assert isinstance(est.check_claim(post, {**news, 'id': 'again'}), Verdict)\n"
        "assert isinstance(est.sensitivity(post), Drivers)\n"
        "assert not any(isinstance(getattr(est, n), types.ModuleType) for n in est.__all__)\n"
        "assert est.load_lab('priors/deepseek').claim('example_capex').value == 2.5e9\n"
        "print('ran')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", readme_api_example() + checks],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("ran")
    assert (tmp_path / "reports" / "deepseek" / "report.html").is_file()
    assert (ROOT / "priors" / "deepseek" / "claims.toml").read_bytes() != (
        tmp_path / "priors" / "deepseek" / "claims.toml"
    ).read_bytes()
