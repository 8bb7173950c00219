"""The report: self-contained HTML with every figure embedded, every claim and prior
listed, figures saved as PNG and SVG, and summary.json carrying verdicts and questions."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from estimator.report.document import ReportFiles, write_report
from estimator.report.summary_json import write_summary
from estimator.review.assessment import Assessment
from estimator.spec.lab import LabSpec

FIGURES = (
    "total_spend",
    "components",
    "claims",
    "predictive",
    "loo_pit",
    "years",
    "learning",
    "tornado",
    "sobol",
    "scenarios",
    "history",
)


@pytest.fixture(scope="module")
def written(
    deepseek_assessment: Assessment, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ReportFiles, Path]:
    folder = tmp_path_factory.mktemp("report")
    files = write_report(deepseek_assessment, folder)
    write_summary(deepseek_assessment, folder / "summary.json")
    return files, folder


class Collector(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> Collector:
    parser = Collector()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_html_parses_and_embeds_every_figure(written: tuple[ReportFiles, Path]) -> None:
    files, _ = written
    parsed = _parse(files.html)
    names = [tag for tag, _ in parsed.tags]
    assert names[0] == "html"
    assert names.count("svg") == len(FIGURES)
    assert names.count("figure") == len(FIGURES)
    assert "img" not in names  # figures are inline SVG, not files


def test_html_references_nothing_external(written: tuple[ReportFiles, Path]) -> None:
    files, _ = written
    html = files.html.read_text(encoding="utf-8")
    parsed = _parse(files.html)
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "link", "iframe", "img", "object", "embed"), tag
        for name, value in attrs.items():
            if name in ("src", "data", "xlink:href", "srcset") and value:
                assert value.startswith(("#", "data:")), (tag, name, value)
            if name == "href" and tag != "a" and value:
                assert value.startswith("#"), (tag, value)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "@import" not in html


def test_report_lists_every_claim_and_every_prior(
    deepseek: LabSpec, written: tuple[ReportFiles, Path]
) -> None:
    files, _ = written
    for path in (files.html, files.markdown):
        text = path.read_text(encoding="utf-8")
        for claim in deepseek.claims:
            assert claim.id in text, (path.name, claim.id)
        for name in deepseek.priors:
            assert name in text, (path.name, name)
        assert "Claims and verdicts" in text
        assert "Questions answered" in text
        assert "Provenance" in text


def test_report_answers_the_seed_question(written: tuple[ReportFiles, Path]) -> None:
    files, _ = written
    text = " ".join(_parse(files.html).text)
    assert "Did DeepSeek spend over $1 billion" in text
    assert "spend.total" in text
    assert "contradicted" in text  # the popular $6M reading


def test_figures_are_saved_as_png_and_svg(written: tuple[ReportFiles, Path]) -> None:
    files, folder = written
    for name in FIGURES:
        png = folder / "figures" / f"{name}.png"
        svg = folder / "figures" / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert svg.read_text(encoding="utf-8").startswith("<svg")
    markdown = files.markdown.read_text(encoding="utf-8")
    for name in FIGURES:
        assert f"figures/{name}.png" in markdown


def test_figures_are_deterministic(deepseek_assessment: Assessment, tmp_path: Path) -> None:
    a = write_report(deepseek_assessment, tmp_path / "a")
    b = write_report(deepseek_assessment, tmp_path / "b")
    for x, y in zip(a.figures, b.figures, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_summary_json_carries_verdicts_and_questions(
    deepseek: LabSpec, written: tuple[ReportFiles, Path]
) -> None:
    _, folder = written
    summary = json.loads((folder / "summary.json").read_text())
    claims = {c["id"]: c for c in summary["claims"]}
    assert set(claims) == {c.id for c in deepseek.claims}
    for claim in claims.values():
        assert {"percentile", "tail_probability", "verdict", "influence"} <= set(claim)
        assert claim["verdict"] in ("consistent", "in tension", "contradicted")
    assert claims["popular_6m"]["verdict"] == "contradicted"
    assert claims["ds_v3_cost"]["verdict"] == "consistent"
    assert claims["ds_v3_cost"]["influence"]["median_change"] is not None
    assert claims["popular_6m"]["influence"] is None  # check claims move nothing
    questions = {q["id"]: q for q in summary["questions"]}
    assert set(questions) == {q.id for q in deepseek.questions}
    for q in questions.values():
        assert {"id", "text", "probability", "mcse"} <= set(q)
