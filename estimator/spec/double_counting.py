"""No double counting: a prior built from a publication that the ledger also counts as
evidence would count that publication twice.

A prior whose ``url`` is the url of an evidence claim, or of the declared source of one,
is refused unless it names each such claim (or its source) in ``independent_of``,
stating in its ``note`` why it is independent of it (for instance: it takes a different
fact from the same report, one that the claim does not state).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from estimator.errors import Problems
from estimator.model.beliefs import Prior
from estimator.model.claims import Claim, counted_evidence
from estimator.model.evidence import SourceEntity


def same_publication(url: str) -> str:
    """A url reduced to what names the publication: host without ``www.``, and path
    without a trailing slash, a query or a fragment, in lower case."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}".lower()


def check_double_counting(
    problems: Problems,
    priors: Mapping[str, Prior],
    claims: tuple[Claim, ...],
    sources: Mapping[str, SourceEntity],
) -> None:
    """Record a problem for every prior that cites evidence it is not declared
    independent of, and for every ``independent_of`` that names no claim or source."""
    cited: dict[str, list[tuple[str, str | None]]] = {}
    for claim in counted_evidence(claims):
        urls = {claim.source.url}
        if claim.by is not None and claim.by in sources:
            urls.add(sources[claim.by].url)
        for url in urls - {None}:
            assert url is not None
            cited.setdefault(same_publication(url), []).append((claim.id, claim.by))
    known = {c.id for c in claims} | set(sources)
    for prior in priors.values():
        for name in prior.independent_of:
            if name not in known:
                problems.add(
                    prior.file,
                    f"{prior.key or prior.name}.independent_of",
                    "no claim or source of the ledger has this id",
                    name,
                    allowed="the id of a claim of claims.toml or a source of sources.toml",
                )
        if prior.source.url is None:
            continue
        overlapping = cited.get(same_publication(prior.source.url), [])
        undeclared = list(
            dict.fromkeys(
                by or claim_id
                for claim_id, by in overlapping
                if claim_id not in prior.independent_of and by not in prior.independent_of
            )
        )
        if undeclared:
            problems.add(
                prior.file,
                f"{prior.key or prior.name}.url",
                "this prior cites a publication the ledger counts as evidence "
                f"({', '.join(undeclared)}): it would be counted twice",
                prior.source.url,
                allowed="a prior from another source, or independent_of = "
                f"{undeclared!r} with the reason in note",
            )
