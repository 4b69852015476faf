"""Match statistics: score fraction, its 95% interval, Elo difference, and an SPRT.

Scores are from engine A's side (the ``--black`` engine): win 1, draw 0.5,
loss 0.

* Interval: Wilson's score interval for the score fraction p over n games,
  ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``, z = 1.96.
* Elo: ``elo(p) = -400 · log10(1/p - 1)``; the Elo interval is the image of
  the score interval (elo is monotone).
* SPRT: the generalised SPRT with the normal approximation used by Fishtest
  (M. Van den Bergh, "A practical introduction to the GSPRT"):
  ``LLR ≈ n · (s1 - s0) · (2·x̄ - s0 - s1) / (2·σ²)`` where x̄ and σ² are the
  mean and variance of the per-game scores and s0, s1 the expected scores of
  Elo differences elo0 and elo1. Stop for H1 when LLR ≥ ln((1-β)/α), for H0
  when LLR ≤ ln(β/(1-α)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Tally:
    """Wins, draws and losses of engine A."""

    wins: int = 0
    draws: int = 0
    losses: int = 0

    @property
    def games(self) -> int:
        """Games with a decided result (wins + draws + losses)."""
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """Score fraction of engine A (nan without games)."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else math.nan


def wilson_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion p observed over n trials."""
    if n <= 0 or math.isnan(p):
        return 0.0, 1.0
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def elo_from_score(p: float) -> float:
    """Elo difference for an expected score p (±inf at 0 and 1)."""
    if math.isnan(p):
        return math.nan
    if p <= 0:
        return -math.inf
    if p >= 1:
        return math.inf
    return -400.0 * math.log10(1.0 / p - 1.0)


def score_from_elo(elo: float) -> float:
    """Expected score for an Elo difference."""
    return 1.0 / (1.0 + 10.0 ** (-elo / 400.0))


def elo_with_interval(tally: Tally) -> tuple[float, float, float]:
    """(Elo, low, high) of engine A over engine B at 95%."""
    p = tally.score
    lo, hi = wilson_interval(p, tally.games)
    return elo_from_score(p), elo_from_score(lo), elo_from_score(hi)


@dataclass(frozen=True)
class SprtResult:
    """Log-likelihood ratio, its bounds, and the decision so far."""

    llr: float
    lower: float
    upper: float
    decision: str   # "H0" (elo <= elo0), "H1" (elo >= elo1) or "continue"


def sprt(tally: Tally, elo0: float, elo1: float, alpha: float = 0.05, beta: float = 0.05) -> SprtResult:
    """GSPRT with the normal approximation (see the module docstring)."""
    lower, upper = math.log(beta / (1 - alpha)), math.log((1 - beta) / alpha)
    n = tally.games
    if n == 0:
        return SprtResult(0.0, lower, upper, "continue")
    mean = tally.score
    # The per-game variance, estimated with one pseudo-win and one pseudo-loss added:
    # a short run of identical results must neither divide by zero nor look certain
    # (with a bare empirical variance, two straight losses "decided" H0).
    wins, m = tally.wins + 1, n + 2
    reg_mean = (wins + 0.5 * tally.draws) / m
    var = (wins + 0.25 * tally.draws) / m - reg_mean * reg_mean
    s0, s1 = score_from_elo(elo0), score_from_elo(elo1)
    llr = n * (s1 - s0) * (2 * mean - s0 - s1) / (2 * var)
    decision = "H1" if llr >= upper else "H0" if llr <= lower else "continue"
    return SprtResult(llr, lower, upper, decision)


def fmt_elo(x: float) -> str:
    """An Elo value for a table: ``+35``, ``-inf``."""
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return f"{x:+.0f}"


def json_number(x: float) -> float | str | None:
    """A float for JSON: finite as is, infinities as strings, nan as null."""
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "+inf" if x > 0 else "-inf"
    return x
