"""Shared fixtures: small lab folders written on the fly, and the shipped labs loaded once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from estimator.review.assessment import Assessment, assess
from estimator.spec.lab import LabSpec
from estimator.spec.parse import load_lab

ROOT = Path(__file__).resolve().parent.parent
DEEPSEEK = ROOT / "priors" / "deepseek"

TOY_LAB = {
    "lab.toml": """
        [lab]
        name = "toy"
        title = "Toy lab"

        [window]
        start = 2024-01-01
        end = 2024-12-31

        [currency]
        basis = "USD"

        [currency.rates.CNY]
        value = 7.0
        unit = "CNY/USD"
        source = "test"

        [share.attributable]
        between = [0.5, 0.9]
        unit = "fraction"
        source = "test"
    """,
    "fleet.toml": """
        [fleet.gpu_a]
        groups = ["fast"]
        count = { between = [1000, 4000], unit = "GPU", source = "test" }
        unit_price = { between = ["20k", "40k"], unit = "USD/GPU", source = "test" }
        power = { value = 1000, unit = "W/GPU", source = "test" }

        [fleet.gpu_b]
        groups = ["fast"]
        count = { dist = "gamma", alpha = 4, beta = 0.002, unit = "GPU", source = "test" }
        unit_price = { dist = "triangular", lower = 70, mode = 90, upper = 140, unit = "thousand CNY/GPU", source = "test" }
        power = { between = [600, 800], unit = "W/GPU", source = "test" }
        in_service = { dist = "uniform", lower = 0.2, upper = 0.6, unit = "fraction", source = "test" }
    """,
    "costs.toml": """
        server.overhead = { between = [1.3, 2.1], unit = "ratio", source = "test" }
        network.share = { between = [0.07, 0.24], unit = "fraction", source = "test" }
        energy.load = { dist = "beta", alpha = 8, beta = 2, unit = "fraction", source = "test" }
        energy.pue = { dist = "normal", mu = 1.3, sigma = 0.05, unit = "ratio", source = "test" }
        energy.price = { between = [0.06, 0.12], unit = "USD/kWh", source = "test" }
        staff.headcount = { mixture = [{ weight = 0.5, between = [50, 80] }, { weight = 0.5, value = 200 }], unit = "person", source = "test" }
        staff.pay = { between = [20, 80], unit = "thousand CNY/person/month", source = "test" }
        staff.overhead = { value = 1.3, unit = "ratio", source = "test" }
        maintenance.rate = { between = [2, 8], unit = "%/year", source = "test" }
        facilities.cost = { value = 0, unit = "USD/year", source = "test" }
        other.cost = { between = ["1M", "5M"], unit = "USD/year", source = "test" }
        hardware.useful_life = { between = [4, 6], unit = "year", source = "test" }
    """,
    "runs.toml": """
        [runs.big]
        accelerator = "gpu_a"
        gpu_hours = { between = ["1M", "3M"], unit = "GPU-hours", source = "test" }
        rental_price = { between = [1.5, 4], unit = "USD/GPU-hour", source = "test" }
    """,
}


def write_lab(folder: Path, files: dict[str, str]) -> Path:
    """Write a lab folder from a mapping of file name to (indented) TOML text."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    """A fresh copy of the toy lab, safe to modify."""
    return write_lab(tmp_path / "toy", TOY_LAB)


@pytest.fixture(scope="session")
def toy_spec(tmp_path_factory: pytest.TempPathFactory) -> LabSpec:
    """The toy lab, loaded once."""
    return load_lab(write_lab(tmp_path_factory.mktemp("labs") / "toy", TOY_LAB))


@pytest.fixture(scope="session")
def deepseek() -> LabSpec:
    """The shipped DeepSeek lab, loaded once."""
    return load_lab(DEEPSEEK)


@pytest.fixture(scope="session")
def deepseek_assessment(deepseek: LabSpec) -> Assessment:
    """The full assessment of the shipped lab (quick path), computed once."""
    return assess(deepseek, "is", seed=0)


def claims_toml(*claims: dict[str, object]) -> str:
    """A claims.toml text from claim dictionaries (values written as TOML literals)."""

    def literal(value: object) -> str:
        if isinstance(value, str):
            return '"' + value.replace('"', '\\"') + '"'
        return repr(value)

    blocks = []
    for claim in claims:
        fields = {
            "source": "test",
            "date": "2024-06-01",
            "use": "evidence",
            "credibility": "analyst_estimate",
            "unit": "USD",
            "kind": "point",
            **claim,
        }
        blocks.append("[[claims]]\n" + "\n".join(f"{k} = {literal(v)}" for k, v in fields.items()))
    return "\n\n".join(blocks) + "\n"


#: A lab with two uncertain inputs (a GPU count and its price) and everything else fixed:
#: small enough for calibration checks and closed-form posteriors.
REDUCED_LAB = {
    "lab.toml": """
        [lab]
        name = "reduced"
        title = "Reduced lab"
        [window]
        start = 2024-01-01
        end = 2024-12-31
        [currency]
        basis = "USD"
        [share.attributable]
        value = 1
        unit = "fraction"
        source = "test"
    """,
    "fleet.toml": """
        [fleet.x]
        count = { between = [2000, 8000], unit = "GPU", source = "test" }
        unit_price = { between = ["20k", "40k"], unit = "USD/GPU", source = "test" }
        power = { value = 1, unit = "kW/GPU", source = "test" }
    """,
    "costs.toml": """
        server.overhead = { value = 1.5, unit = "ratio", source = "test" }
        network.share = { value = 0.1, unit = "fraction", source = "test" }
        energy.load = { value = 0.8, unit = "fraction", source = "test" }
        energy.pue = { value = 1.2, unit = "ratio", source = "test" }
        energy.price = { value = 0.1, unit = "USD/kWh", source = "test" }
        staff.headcount = { value = 100, unit = "person", source = "test" }
        staff.pay = { value = 200000, unit = "USD/person/year", source = "test" }
        staff.overhead = { value = 1.3, unit = "ratio", source = "test" }
        maintenance.rate = { value = 0.03, unit = "1/year", source = "test" }
        facilities.cost = { value = 1e6, unit = "USD/year", source = "test" }
        other.cost = { value = 1e6, unit = "USD/year", source = "test" }
        hardware.useful_life = { value = 5, unit = "year", source = "test" }
    """,
}
