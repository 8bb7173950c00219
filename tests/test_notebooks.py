"""The notebooks run top to bottom on the public API, small, and print what they should."""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT = 600
#: What :func:`run` prints for a figure the notebook shows.
FIGURE = "[a figure]"


def run(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Execute a notebook in its own folder, small, and return everything it printed."""
    monkeypatch.setenv("ESTIMATOR_NOTEBOOK_DRAWS", str(2**16))
    monkeypatch.setenv("ESTIMATOR_NOTEBOOK_SOBOL", str(2**9))
    monkeypatch.setenv("ESTIMATOR_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(str(output.get("data", {}).get("text/plain", "")))
            if "image/png" in output.get("data", {}):
                texts.append(FIGURE)
    return "\n".join(texts)


def test_notebooks_are_committed_without_outputs() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        assert all(
            not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"
        ), path.name
    assert len(list(NOTEBOOKS.glob("*.ipynb"))) == 4


@pytest.mark.slow
def test_01_total_spend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = run("01-deepseek-total-spend", tmp_path, monkeypatch)
    found = re.search(r"P\(spend\.total > \$1B\) = ([0-9.]+) ± ([0-9.]+)", text)
    assert found is not None
    probability, mcse = float(found.group(1)), float(found.group(2))
    # The same question answered by the default run (`estimator run priors/deepseek`, seed
    # 0, 2^19 draws, quick path): a different seed and size, so the two agree within four
    # of their combined Monte Carlo errors.
    reference, reference_mcse = 0.5917, 0.0036
    assert abs(probability - reference) <= 4 * math.hypot(mcse, reference_mcse)
    assert "V3 final run at rental prices: $5." in text
    assert re.search(r"2023 \(part\): cash \$[0-9,]+M", text)
    assert re.search(r"2024: cash \$[0-9,]+M \(90%", text)
    assert text.count(FIGURE) == 2  # total spend, and spend year by year
    assert (tmp_path / "deepseek" / "report.html").is_file()


@pytest.mark.slow
def test_02_adding_new_reporting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = run("02-adding-new-reporting", tmp_path, monkeypatch)
    assert "new claims: ('wire_capex',)" in text
    assert "history ends at the full posterior: True" in text
    assert re.search(r"(consistent|in tension|contradicted): percentile", text)


@pytest.mark.slow
def test_03_what_drives_the_estimate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = run("03-what-drives-the-estimate", tmp_path, monkeypatch)
    assert "largest swing: fleet.h100.count" in text
    assert "Wang's 50k H100s" in text


@pytest.mark.slow
def test_04_another_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = run("04-another-lab", tmp_path, monkeypatch)
    assert "the $3B GPU figure is consistent" in text
    median = float(re.search(r"spend\.total median: \$([0-9.]+)B", text).group(1))
    assert 2.0 < median < 10.0
