"""The ratings file of the generation loop (Elo, SPRT and fits: ``gtp.match.stats``).

The ratings file (JSON) holds one entry per rated network: its generation,
path, and per anchor the wins/losses/draws and the Elo that gives, plus an
overall Elo on one scale where the first net is 0 and the GNU Go anchors sit
at their own measured ratings (``anchor_elo``).
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.atomic_files import write_text_atomic
from gtp.match.stats import fit_elo, match_elo


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
        write_text_atomic(self.path, json.dumps(self.entries, indent=1))
