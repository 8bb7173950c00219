"""Evidence by source: claims grouped by who made them, read together.

A source (an analyst firm, a lab's technical report, a newspaper) is reliable or wrong as
a whole. With probability ``r`` every claim it makes is a reading of the truth through
its noise (:mod:`estimator.model.likelihood`); otherwise every one is wrong, read through
the broad wrong-claim noise. The claims of a source with several also share a bias: each
reads the truth times ``exp(b)``, with ``b ~ Normal(0, bias)`` common to all of them on
top of each claim's own noise, so six figures out of one fleet model tell the overall
level about as well as one figure does, and their ratios as well as each figure's noise
allows. A claim alone keeps the likelihood it had as a claim.

The credibility classes' parameters are learned across the ledger: each class's noise
scale (multiplying the class's default noise, for claims that don't state their own) and
its reliability (the prior probability that a source of the class is reliable, for
sources that don't state their own), with the class defaults as their priors' centres.

These measurement parameters are not inputs of the cost model: the quick path draws them
beside the prior's draws from a generator of their own, and NUTS samples them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from estimator.model.claims import CREDIBILITY, WRONG_CLAIM_SIGMA, Claim
from estimator.model.distributions import Beta, Distribution, LogNormal, Normal
from estimator.model.likelihood import NUMPY_OPS, Ops, claim_ends, component, position

#: How far a wrong claim may be off when it says nothing at all: a factor of 1,000 either
#: way, evenly on the log scale (the robustness checks' flat wrong-claim component).
FLAT_WRONG_SPAN = 1000.0
#: Spread of a class's noise scale (log-scale sd): the class default may be off by a
#: factor of 1.6 either way (one sd) before the ledger says otherwise.
NOISE_SCALE_SD = 0.3
#: The classes whose noise is learned: outside guesses, whose precision is a matter of
#: calibration. A party's own figure is off by its rounding and scope, which the ledger
#: states claim by claim, so first-hand classes keep their default noise.
LEARNED_NOISE = ("analyst_estimate", "anonymous_press", "hearsay")
#: How many sources' worth of information the class's default reliability is worth: the
#: prior of a class's reliability is a beta with this sum of shape parameters.
RELIABILITY_WEIGHT = 20.0


@dataclass(frozen=True)
class SourceEntity:
    """Who makes claims: one analysis, publication or party, with its credibility.

    ``reliability`` is ``None`` when the source takes its class's (learned) reliability;
    ``bias`` (the log-scale sd of the bias its claims share) is ``None`` when it is its
    class's default noise. A source made for a claim that names none (``implicit``) has
    the claim's id.
    """

    id: str
    name: str
    credibility: str
    reliability: float | None = None
    bias: float | None = None
    url: str | None = None
    note: str | None = None
    implicit: bool = False

    @property
    def bias_sd(self) -> float:
        """The log-scale sd of the bias its claims share."""
        return self.bias if self.bias is not None else CREDIBILITY[self.credibility].noise

    def to_dict(self) -> dict[str, Any]:
        """The source as ``summary.json`` records it."""
        out = {
            "id": self.id,
            "name": self.name,
            "credibility": self.credibility,
            "prior_reliability": self.reliability,
            "bias": self.bias_sd,
            "url": self.url,
            "note": self.note,
        }
        return {k: v for k, v in out.items() if v is not None}


def noise_name(credibility: str) -> str:
    """The measurement parameter scaling a class's default noise."""
    return f"credibility.{credibility}.noise_scale"


def reliability_name(credibility: str) -> str:
    """The measurement parameter: a class's reliability."""
    return f"credibility.{credibility}.reliability"


def bias_name(source: str) -> str:
    """The measurement parameter: a source's shared bias (a standard normal)."""
    return f"source.{source}.bias"


def class_latents() -> dict[str, Distribution]:
    """Every credibility class's noise scale and reliability, with their priors."""
    out: dict[str, Distribution] = {}
    for name, defaults in CREDIBILITY.items():
        if name in LEARNED_NOISE:
            out[noise_name(name)] = LogNormal(0.0, NOISE_SCALE_SD)
        m = defaults.reliability
        out[reliability_name(name)] = Beta(RELIABILITY_WEIGHT * m, RELIABILITY_WEIGHT * (1 - m))
    return out


def measurement_latents(sources: Mapping[str, SourceEntity]) -> dict[str, Distribution]:
    """Every measurement parameter a claim of this lab could use: each class's, and the
    bias of each declared source (what the quick path draws beside the prior)."""
    out = class_latents()
    for source_id in sorted(sources):
        out[bias_name(source_id)] = Normal(0.0, 1.0)
    return out


@dataclass(frozen=True)
class Evidence:
    """Evidence claims grouped by source, and the likelihood of each source's claims.

    Attributes
    ----------
    claims : tuple of Claim
        The claims, in the order of every per-claim array.
    sources : tuple of SourceEntity
        One per group, in the order of every per-source array.
    members : tuple of tuple of int
        For each source, the positions of its claims in ``claims``.
    """

    claims: tuple[Claim, ...]
    sources: tuple[SourceEntity, ...]
    members: tuple[tuple[int, ...], ...]
    #: The log-scale noise of a wrong claim; ``None``: a wrong claim says nothing (flat
    #: over a factor of :data:`FLAT_WRONG_SPAN` either way). Only the robustness checks
    #: change it (numpy path).
    wrong_sigma: float | None = WRONG_CLAIM_SIGMA

    @classmethod
    def of(cls, claims: tuple[Claim, ...], declared: Mapping[str, SourceEntity]) -> Evidence:
        """Group ``claims`` by source: a claim's ``by`` names a declared source; a claim
        naming none is a source of its own."""
        order: dict[str, list[int]] = {}
        entities: dict[str, SourceEntity] = {}
        for index, claim in enumerate(claims):
            entity = declared[claim.by] if claim.by is not None else implicit_source(claim)
            order.setdefault(entity.id, []).append(index)
            entities[entity.id] = entity
        return cls(
            claims,
            tuple(entities[s] for s in order),
            tuple(tuple(m) for m in order.values()),
        )

    @cached_property
    def source_index(self) -> tuple[int, ...]:
        """For each claim, the position of its source."""
        index = [0] * len(self.claims)
        for s, members in enumerate(self.members):
            for i in members:
                index[i] = s
        return tuple(index)

    def source_of(self, claim_id: str) -> int:
        """The position of a claim's source."""
        for i, claim in enumerate(self.claims):
            if claim.id == claim_id:
                return self.source_index[i]
        raise KeyError(claim_id)

    def biased(self, s: int) -> bool:
        """Whether source ``s`` has a shared bias: several claims, and a bias above 0."""
        return len(self.members[s]) > 1 and self.sources[s].bias_sd > 0.0

    def integrated(self, s: int) -> bool:
        """Whether source ``s``'s bias is integrated out exactly
        (:func:`shared_bias_loglik`): at most one of its claims is not a point. A source
        with more bounds or ranges has a bias drawn with the other parameters."""
        return self.biased(s) and sum(self.claims[i].kind != "point" for i in self.members[s]) <= 1

    def latents(self) -> dict[str, Distribution]:
        """The measurement parameters these claims use, with their priors."""
        classes = class_latents()
        out: dict[str, Distribution] = {}
        for s, source in enumerate(self.sources):
            for i in self.members[s]:
                claim = self.claims[i]
                if learns_noise(claim):
                    out[noise_name(claim.credibility)] = classes[noise_name(claim.credibility)]
            if source.reliability is None:
                name = reliability_name(source.credibility)
                out[name] = classes[name]
            if self.biased(s) and not self.integrated(s):
                out[bias_name(source.id)] = Normal(0.0, 1.0)
        return out

    def reading(self, i: int, s: int, values: Mapping[str, Any], ops: Ops) -> tuple[Any, Any]:
        """Where claim ``i`` (of source ``s``) reads its quantity, and with what noise:
        its position (shifted by its source's drawn bias, if it has one) and its noise."""
        claim = self.claims[i]
        at = position(claim, values[claim.quantity], ops)
        sigma: Any = claim.noise
        if learns_noise(claim):
            sigma = sigma * values[noise_name(claim.credibility)]
        if not self.biased(s) or self.integrated(s):
            return at, sigma
        return at + self.sources[s].bias_sd * values[bias_name(self.sources[s].id)], sigma

    def reliability(self, s: int, values: Mapping[str, Any]) -> Any:
        """Source ``s``'s probability of being reliable (stated, or its class's)."""
        stated = self.sources[s].reliability
        return (
            stated if stated is not None else values[reliability_name(self.sources[s].credibility)]
        )

    def claim_parts(self, values: Mapping[str, Any]) -> Parts:
        """What the likelihood needs of each claim at each draw (numpy)."""
        size = len(next(iter(values.values())))
        parts = Parts(np.empty((len(self.claims), size)), np.empty((len(self.claims), size)))
        for s, members in enumerate(self.members):
            for i in members:
                claim = self.claims[i]
                at, sigma = self.reading(i, s, values, NUMPY_OPS)
                ends = claim_ends(claim)
                if self.integrated(s):
                    parts.readings[i] = (at, sigma)
                else:
                    parts.reliable[i] = component(claim.kind, at, ends, sigma, NUMPY_OPS)
                parts.wrong[i] = self._wrong_of(i, values)
        return parts

    def with_wrong_of(self, parts: Parts, values: Mapping[str, Any]) -> Parts:
        """``parts`` (of these claims, read with any wrong-claim component) with each
        claim's log-likelihood if wrong read by this evidence's :attr:`wrong_sigma`."""
        wrong = np.empty_like(parts.wrong)
        for i in range(len(self.claims)):
            wrong[i] = self._wrong_of(i, values)
        return Parts(parts.reliable, wrong, parts.readings, parts.whole_sources)

    def _wrong_of(self, i: int, values: Mapping[str, Any]) -> np.ndarray:
        claim = self.claims[i]
        plain = position(claim, np.asarray(values[claim.quantity]), NUMPY_OPS)
        return self._wrong(claim, plain, claim_ends(claim))

    def _wrong(self, claim: Claim, plain: Any, ends: tuple[float, float]) -> np.ndarray:
        """A claim's log-likelihood if it is wrong."""
        if self.wrong_sigma is not None:
            return np.asarray(component(claim.kind, plain, ends, self.wrong_sigma, NUMPY_OPS))
        width = 2.0 * math.log(FLAT_WRONG_SPAN)
        if claim.kind == "point":
            value = -math.log(width)
        elif claim.kind == "range":
            value = math.log(min(1.0, (ends[1] - ends[0]) / width))
        else:
            value = math.log(0.5)
        return np.full(np.shape(plain), value)

    def source_reliable(self, parts: Parts, s: int, used: list[int]) -> np.ndarray:
        """Source ``s``'s log-likelihood over its claims ``used`` if it is reliable (kept
        in ``parts`` for reuse when ``used`` is every claim of the source: it depends on
        neither the reliability nor the wrong-claim component)."""
        whole = tuple(used) == self.members[s]
        if whole and s in parts.whole_sources:
            return parts.whole_sources[s]
        if not self.integrated(s):
            found = np.asarray(parts.reliable[used].sum(0))
        else:
            members = [
                (self.claims[i], *parts.readings[i], 1.0, claim_ends(self.claims[i])) for i in used
            ]
            found = np.asarray(shared_bias_loglik(members, self.sources[s].bias_sd, NUMPY_OPS))
        if whole:
            parts.whole_sources[s] = found
        return found

    def source_terms(
        self, parts: Parts, values: Mapping[str, Any], active: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each source's log-likelihood over its ``active`` claims at each draw, and the
        log of its probability of being reliable and matching them, ``(sources, draws)``.
        A source none of whose claims is active contributes nothing."""
        on = np.ones(len(self.claims), bool) if active is None else np.asarray(active, bool)
        total = np.zeros((len(self.sources), parts.wrong.shape[1]))
        matched = np.zeros_like(total)
        for s, members in enumerate(self.members):
            used = [i for i in members if on[i]]
            if used:
                total[s], matched[s] = self.source_loglik(parts, values, s, used)
        return total, matched

    def source_loglik(
        self, parts: Parts, values: Mapping[str, Any], s: int, used: list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Source ``s``'s log-likelihood over its claims ``used`` at each draw, and the
        log of its probability of being reliable and matching them."""
        r = self.reliability(s, values)
        rel = self.source_reliable(parts, s, used)
        if np.all(np.asarray(r) >= 1.0):
            return rel, rel
        matched = np.log(r) + rel
        wrong = parts.wrong[used].sum(0)
        return NUMPY_OPS.logaddexp(matched, np.log1p(-r) + wrong), matched

    def loglik(self, values: Mapping[str, Any], active: np.ndarray | None = None) -> np.ndarray:
        """The log-likelihood of the ``active`` claims at each draw (numpy)."""
        total, _ = self.source_terms(self.claim_parts(values), values, active)
        return np.asarray(total.sum(0))

    def contributions(
        self, values: Mapping[str, Any], active: np.ndarray | None = None
    ) -> np.ndarray:
        """What each claim adds to the log-likelihood of the ``active`` claims at each
        draw: the whole less the whole without it, ``(claims, draws)``. A claim that is
        its source's only one adds its own log-likelihood; an inactive claim adds what
        switching it on would."""
        parts = self.claim_parts(values)
        on = np.ones(len(self.claims), bool) if active is None else np.asarray(active, bool)
        out = np.zeros_like(parts.wrong)
        for s, members in enumerate(self.members):
            used = [i for i in members if on[i]]
            base = self.source_loglik(parts, values, s, used)[0] if used else 0.0
            for i in members:
                flipped = [j for j in members if on[j] != (j == i)]
                other = self.source_loglik(parts, values, s, flipped)[0] if flipped else 0.0
                out[i] = base - other if on[i] else other - base
        return out

    def predictive_reading(
        self, i: int, values: Mapping[str, Any], active: np.ndarray
    ) -> tuple[np.ndarray, Any]:
        """What a reliable source would report for claim ``i`` at each draw, before the
        claim's own noise, and that noise (numpy): its quantity, shifted by its source's
        bias (drawn; or, integrated out, the bias its ``active`` sibling points imply,
        whose spread joins the noise). On the claim's scale: the log, or the value over
        the claim's scale for a linear claim."""
        s = self.source_index[i]
        at, sigma = self.reading(i, s, values, NUMPY_OPS)
        if not self.integrated(s):
            return np.asarray(at), sigma
        siblings = [
            (
                self.claims[j],
                *self.reading(j, s, values, NUMPY_OPS),
                1.0,
                claim_ends(self.claims[j]),
            )
            for j in self.members[s]
            if j != i and active[j] and self.claims[j].kind == "point"
        ]
        sums = _point_sums(siblings, NUMPY_OPS)
        shift, variance = sums.implied_bias(self.sources[s].bias_sd ** 2)
        return np.asarray(at + shift), (sigma * sigma + variance) ** 0.5


@dataclass
class Parts:
    """Each claim's pieces of the likelihood at each draw: its log-likelihood if its
    source is reliable (``reliable``; for a source whose bias is integrated out, its
    position and noise in ``readings`` instead) and if it is wrong (``wrong``)."""

    reliable: np.ndarray
    wrong: np.ndarray
    readings: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    #: Each source's log-likelihood over all its claims if reliable, once computed
    #: (:meth:`Evidence.source_reliable`).
    whole_sources: dict[int, np.ndarray] = field(default_factory=dict)


def shared_bias_loglik(
    members: list[tuple[Claim, Any, Any, Any, tuple[Any, Any]]], tau: float, ops: Ops
) -> Any:
    """The log-likelihood of one source's claims if it is reliable, its shared bias
    ``b ~ Normal(0, tau)`` integrated out exactly.

    Each member is ``(claim, position, noise, on, ends)``: ``on`` 1 or 0 (a number or a
    tensor) switches the claim on or off, and ``ends`` are its ends on its scale
    (:func:`~estimator.model.likelihood.claim_ends`, or tensors holding them). The
    points' readings ``position + b + e_i`` are jointly normal, with covariance
    ``diag(noise^2) + tau^2`` (inverted by Sherman-Morrison); the one bound or range there
    may be is judged at the bias the points imply, ``b | points ~ Normal(m, v)``, with
    noise ``sqrt(noise^2 + v)``. Constants are dropped as in
    :func:`~estimator.model.likelihood.component`: one point alone gives its own
    log-likelihood with noise ``sqrt(noise^2 + tau^2)``.
    """
    tau2 = tau * tau
    sums = _point_sums(members, ops)
    spread = 1.0 + tau2 * sums.precision
    quadratic = sums.square - tau2 * sums.pulled * sums.pulled / spread
    total = -0.5 * quadratic - 0.5 * (sums.log_det + ops.log(spread))
    for claim, at, sigma, on, ends in members:
        if claim.kind != "point":  # the one bound or range, judged at the implied bias
            shift, variance = sums.implied_bias(tau2)
            noise = (sigma * sigma + variance) ** 0.5
            total = total + on * component(claim.kind, at + shift, ends, noise, ops)
    return total


@dataclass(frozen=True)
class _PointSums:
    """The sums over a source's switched-on points that their joint likelihood and the
    bias they imply need: ``sum w``, ``sum w d``, ``sum w d^2`` and ``sum log noise^2``,
    with ``w = 1 / noise^2`` and ``d`` the claimed value less the position."""

    precision: Any
    pulled: Any
    square: Any
    log_det: Any

    def implied_bias(self, tau2: float) -> tuple[Any, Any]:
        """The bias the points imply, ``b | points ~ Normal(mean, variance)``."""
        spread = 1.0 + tau2 * self.precision
        return tau2 * self.pulled / spread, tau2 / spread


def _point_sums(
    members: list[tuple[Claim, Any, Any, Any, tuple[Any, Any]]], ops: Ops
) -> _PointSums:
    precision: Any = 0.0
    pulled: Any = 0.0
    square: Any = 0.0
    log_det: Any = 0.0
    for claim, at, sigma, on, ends in members:
        if claim.kind != "point":
            continue
        gap = ends[0] - at
        weight = on / (sigma * sigma)
        precision = precision + weight
        pulled = pulled + weight * gap
        square = square + weight * gap * gap
        log_det = log_det + on * 2.0 * ops.log(sigma)
    return _PointSums(precision, pulled, square, log_det)


def learns_noise(claim: Claim) -> bool:
    """Whether a claim's noise is its class's learned one (it states none, and its class
    learns its noise: :data:`LEARNED_NOISE`)."""
    return not claim.noise_given and claim.credibility in LEARNED_NOISE


def implicit_source(claim: Claim) -> SourceEntity:
    """The source of a claim that names none: the claim alone, with its class."""
    return SourceEntity(
        id=claim.id,
        name=claim.source.text,
        credibility=claim.credibility,
        reliability=claim.reliability if claim.reliability_given else None,
        bias=0.0,
        url=claim.source.url,
        implicit=True,
    )
