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
  when LLR ≤ ln(β/(1-α)). ``Sprt`` wraps it for the generation loop's gate.
* Ratings: ``match_elo`` (Elo with a normal-approximation half-width, as the
  ratings file records it), ``fit_elo`` and ``profile_interval`` (maximum
  likelihood against anchors of known Elo, one virtual draw per anchor), and
  ``bradley_terry`` (a joint fit of many players by Newton steps).

The one statistics module of the project: ``nets`` (gate, ratings, ladder)
imports it from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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


# ------------------------------------------------------------------ ratings
def score_to_elo(score: float) -> float:
    """Elo difference for an expected score in (0, 1); clipped to +-800 at 0 and 1."""
    return elo_from_score(min(max(score, 1e-3), 1 - 1e-3))


def match_elo(wins: int, losses: int, draws: int = 0) -> tuple[float, float]:
    """(Elo difference, ~95% half-width) of the first player over the second."""
    n = wins + losses + draws
    if n == 0:
        return 0.0, float("inf")
    s = Tally(wins, draws, losses).score
    var = (wins * (1 - s) ** 2 + losses * s ** 2 + draws * (0.5 - s) ** 2) / n
    se = math.sqrt(var / n) if var > 0 else 0.5 / math.sqrt(n)
    lo, hi = score_to_elo(max(s - 1.96 * se, 1e-3)), score_to_elo(min(s + 1.96 * se, 1 - 1e-3))
    return score_to_elo(s), (hi - lo) / 2


@dataclass
class Sprt:
    """A sequential probability ratio test between Elo ``elo0`` (H0) and ``elo1`` (H1)."""

    elo0: float = 0.0
    elo1: float = 35.0
    alpha: float = 0.05
    beta: float = 0.05

    def _result(self, wins: int, losses: int, draws: int):
        return sprt(Tally(wins=wins, draws=draws, losses=losses), self.elo0, self.elo1,
                    self.alpha, self.beta)

    def bounds(self) -> tuple[float, float]:
        """(lower, upper) LLR bounds."""
        r = self._result(0, 0, 0)
        return r.lower, r.upper

    def llr(self, wins: int, losses: int, draws: int = 0) -> float:
        """The log-likelihood ratio of H1 over H0 after these results."""
        return self._result(wins, losses, draws).llr

    def decide(self, wins: int, losses: int, draws: int = 0) -> str:
        """"H1" (accept: stronger), "H0" (reject) or "" (keep playing)."""
        decision = self._result(wins, losses, draws).decision
        return "" if decision == "continue" else decision


def anchor_log_likelihood(elo: float, results: dict, anchor_elo: dict) -> float:
    """Log-likelihood of ``results[anchor] = (w, l, d)`` at ``elo``, with one virtual draw per anchor."""
    ll = 0.0
    for a, (w, l, d) in results.items():
        p = min(max(score_from_elo(elo - anchor_elo[a]), 1e-12), 1 - 1e-12)
        ll += (w + 0.5 * d + 0.5) * math.log(p) + (l + 0.5 * d + 0.5) * math.log(1 - p)
    return ll


def fit_elo(results: dict, anchor_elo: dict) -> float:
    """Maximum-likelihood Elo from ``results[anchor] = (w, l, d)`` against anchors of known Elo.

    One virtual draw per anchor keeps the estimate finite after all wins or all losses.
    """
    grid = [x * 2.0 for x in range(-1500, 1501)]
    best, best_ll = 0.0, -math.inf
    for x in grid:
        ll = anchor_log_likelihood(x, results, anchor_elo)
        if ll > best_ll:
            best, best_ll = x, ll
    return best


def profile_interval(results: dict, anchor_elo: dict) -> tuple[float, float, float]:
    """(best, low, high) Elo: the ratings' likelihood (one virtual draw per anchor), 1.92 drop."""
    grid = [x * 2.0 for x in range(-1000, 1001)]
    lls = [anchor_log_likelihood(x, results, anchor_elo) for x in grid]
    top = max(lls)
    inside = [x for x, ll in zip(grid, lls) if ll >= top - 1.92]
    return grid[lls.index(top)], min(inside), max(inside)


def bradley_terry(games: list[tuple[str, str, int, int, int]], fixed: str) -> dict:
    """Bradley-Terry (Elo) fit of ``games`` = (a, b, wins of a, losses of a, draws).

    ``fixed`` is held at 0; draws count half; a weak prior (one virtual draw
    against ``fixed``) keeps every estimate finite. Returns {player: (elo,
    half-width of the ~95% interval)} from the inverse Fisher information.
    """
    players = sorted({p for x in games for p in x[:2]} - {fixed})
    idx = {p: i for i, p in enumerate(players)}
    k = math.log(10) / 400
    theta = np.zeros(len(players))
    for _ in range(100):                         # Newton steps
        grad, hess = np.zeros(len(players)), np.zeros((len(players), len(players)))
        rows = games + [(p, fixed, 0, 0, 1) for p in players]
        for a, b, w, l, d in rows:
            ea = theta[idx[a]] if a in idx else 0.0
            eb = theta[idx[b]] if b in idx else 0.0
            p = 1 / (1 + math.exp(-k * (ea - eb)))
            n, sc = w + l + d, w + 0.5 * d
            gterm, hterm = k * (sc - n * p), k * k * n * p * (1 - p)
            for x, sign in ((a, 1), (b, -1)):
                if x in idx:
                    grad[idx[x]] += sign * gterm
            for x, sx in ((a, 1), (b, -1)):
                for y, sy in ((a, 1), (b, -1)):
                    if x in idx and y in idx:
                        hess[idx[x], idx[y]] += sx * sy * hterm
        step = np.linalg.solve(hess, grad)
        theta += step
        if np.abs(step).max() < 1e-6:
            break
    cov = np.linalg.inv(hess)
    out = {fixed: (0.0, 0.0)}
    for p, i in idx.items():
        out[p] = (round(float(theta[i]), 1), round(1.96 * math.sqrt(cov[i, i]), 1))
    return out


def anchor_elos(base_anchors: dict, first: str = "gen000") -> dict:
    """Anchor Elo on the first net's scale: ``first`` at 0, each anchor at minus the first net's Elo over it."""
    out = {first: 0.0}
    for a, r in base_anchors.items():
        out[a] = -match_elo(r["wins"], r["losses"], r["draws"])[0]
    return out
