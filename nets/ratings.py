"""Elo from match results, the SPRT used by gating, and the ratings file of the generation loop.

Elo follows the logistic model: a score ``s`` (wins + draws / 2 over games)
is ``d = -400 log10(1 / s - 1)`` Elo. The SPRT is the match runner's
(``gtp.match.stats.sprt``: the GSPRT with the normal approximation fishtest
uses), wrapped for the gate.

The ratings file (JSON) holds one entry per rated network: its generation,
path, and per anchor the wins/losses/draws and the Elo that gives, plus an
overall Elo on one scale where the first net is 0 and the GNU Go anchors sit
at their own measured ratings (``anchor_elo``).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from gtp.match.stats import Tally, elo_from_score, sprt
from gtp.match.stats import score_from_elo as elo_to_score


def score_to_elo(score: float) -> float:
    """Elo difference for an expected score in (0, 1); clipped to +-800 at 0 and 1."""
    return elo_from_score(min(max(score, 1e-3), 1 - 1e-3))


def match_elo(wins: int, losses: int, draws: int = 0) -> tuple[float, float]:
    """(Elo difference, ~95% half-width) of the first player over the second."""
    n = wins + losses + draws
    if n == 0:
        return 0.0, float("inf")
    s = (wins + 0.5 * draws) / n
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


def fit_elo(results: dict, anchor_elo: dict) -> float:
    """Maximum-likelihood Elo from ``results[anchor] = (w, l, d)`` against anchors of known Elo.

    One virtual draw per anchor keeps the estimate finite after all wins or all losses.
    """
    grid = [x * 2.0 for x in range(-1500, 1501)]
    best, best_ll = 0.0, -math.inf
    for x in grid:
        ll = 0.0
        for a, (w, l, d) in results.items():
            p = min(max(elo_to_score(x - anchor_elo[a]), 1e-12), 1 - 1e-12)
            ll += (w + 0.5 * d + 0.5) * math.log(p) + (l + 0.5 * d + 0.5) * math.log(1 - p)
        if ll > best_ll:
            best, best_ll = x, ll
    return best


class RatingsFile:
    """A JSON list of rating entries, rewritten atomically after each change."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.entries: list[dict] = json.loads(self.path.read_text()) if self.path.exists() else []

    def add(self, generation: int, network: str, results: dict, anchor_elo: dict) -> dict:
        """Rate a network from ``results[anchor] = (wins, losses, draws)``; saves and returns the entry."""
        per = {}
        for anchor, (w, l, d) in results.items():
            diff, half = match_elo(w, l, d)
            per[anchor] = {"wins": w, "losses": l, "draws": d, "elo_diff": round(diff, 1),
                           "ci95": round(half, 1)}
        rated = {a: r for a, r in results.items() if a in anchor_elo}
        elo = fit_elo(rated, anchor_elo) if rated else None
        entry = {"generation": generation, "network": network, "anchors": per,
                 "elo": None if elo is None else round(elo, 1)}
        self.entries = [e for e in self.entries if e["generation"] != generation] + [entry]
        self.save()
        return entry

    def save(self) -> None:
        """Write the file atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.entries, indent=1))
        os.replace(tmp, self.path)
