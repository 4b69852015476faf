"""``zerogo ladder-nets``: the Elo ladder of shipped nets from their match folders.

zerogo ladder-nets MANIFEST.json OUT_PREFIX

The manifest (JSON, kept in weights/ beside the matches it names) lists the
players and the matches played between them::

    {"title": "...", "fixed": "gnugo-10",
     "players": {"b6c64": {"label": "zerogo-9x9.onnx", "compute_core_hours": 2.3},
                 "gnugo-10": {"label": "GNU Go 3.8 level 10"}},
     "matches": [{"dir": "distil9/match-b6c64-gnugo10", "a": "b6c64", "b": "gnugo-10"},
                 {"a": "b6c64", "b": "gnugo-1", "wins": 20, "losses": 0, "source": "..."}]}

A match is a ``zerogo match`` folder (its results.json, or, while the match is
still being played or was stopped, the games its ``--sgf-dir`` journal
``games.jsonl`` holds so far; ``a`` is the engine the match runner calls A,
the first game's black) or a tally written out with its ``source``. Folders
are relative to the manifest. ``"settings"`` says how a match was played;
``"fit": false`` lists a match (played at other settings, say) without
fitting it. The other matches are fitted together
(Bradley-Terry, ``fixed`` at 0, ``gtp.match.stats.bradley_terry``);
OUT_PREFIX.json and .md hold each match and each player's Elo with its 95%
interval, OUT_PREFIX.png plots Elo against training compute (players without
``compute_core_hours``, such as GNU Go or a teacher trained elsewhere, are
drawn as horizontal lines).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from gtp.match.runner import JournalError, read_journal
from gtp.match.stats import Tally, bradley_terry, elo_with_interval, fmt_elo, json_number, wilson_interval


class ManifestError(ValueError):
    """The manifest or a match folder it names is missing or malformed."""


def _journal_tally(path: Path, folder: str) -> tuple[int, int, int, str]:
    """(wins of A, losses, draws, source) of the games an unfinished match's journal holds so far."""
    try:
        _, games = read_journal(path)
    except JournalError as exc:
        raise ManifestError(str(exc)) from None
    winners = [g.winner_engine() for g in games]
    draws = sum(g.result == "0" for g in games)
    return (winners.count("A"), winners.count("B"), draws,
            f"{folder} (journal: {len(games)} games so far, no results.json)")


def _tally(entry: dict, base: Path) -> tuple[int, int, int, str]:
    """(wins of a, losses of a, draws, source) of one manifest match."""
    if "dir" in entry:
        path = base / entry["dir"] / "results.json"
        journal = path.with_name("games.jsonl")
        if not path.is_file() and journal.is_file():
            return _journal_tally(journal, entry["dir"])
        if not path.is_file():
            raise ManifestError(f"{path}: no such file (a zerogo match folder holds results.json, "
                                "or games.jsonl while it is played)")
        try:
            match = json.loads(path.read_text())
            t = match["summary"]["tally"]
            source = entry["dir"] + (f" (stopped on request after {match['summary']['games']} of "
                                     f"{match['config']['games']} games)" if match["summary"].get("stopped") else "")
            return int(t["wins"]), int(t["losses"]), int(t["draws"]), source
        except (ValueError, KeyError, TypeError) as exc:
            raise ManifestError(f"{path}: not a zerogo match results file ({exc!r})") from None
    try:
        return int(entry["wins"]), int(entry["losses"]), int(entry.get("draws", 0)), str(entry["source"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError(f"match {entry!r}: give 'dir', or 'wins', 'losses' and 'source' ({exc!r})") from None


def load(manifest: Path) -> tuple[dict, list[dict]]:
    """The manifest and its matches as rows (a, b, wins, losses, draws, source, score and Elo intervals)."""
    try:
        spec = json.loads(Path(manifest).read_text())
        players, matches, fixed = spec["players"], spec["matches"], spec["fixed"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"{manifest}: cannot read the manifest ({exc!r})") from None
    if fixed not in players:
        raise ManifestError(f"{manifest}: the fixed player {fixed!r} is not among the players")
    rows = []
    for entry in matches:
        for side in ("a", "b"):
            if entry.get(side) not in players:
                raise ManifestError(f"{manifest}: match {entry!r}: player {entry.get(side)!r} is not listed")
        wins, losses, draws, source = _tally(entry, Path(manifest).parent)
        tally = Tally(wins, draws, losses)
        n = tally.games
        score = tally.score if n else 0.5
        elo, elo_low, elo_high = elo_with_interval(tally) if n else (0.0, -math.inf, math.inf)
        rows.append({"a": entry["a"], "b": entry["b"], "wins": wins, "losses": losses, "draws": draws,
                     "games": n, "score": score, "score_95": list(wilson_interval(score, n)), "elo": elo,
                     "elo_95": [elo_low, elo_high],
                     "source": source, "settings": entry.get("settings", ""),
                     "fit": bool(entry.get("fit", True))})
    return spec, rows


def fit(spec: dict, rows: list[dict]) -> dict:
    """{player: (Elo, 95% half-width)}, every match fitted together, ``spec['fixed']`` at 0."""
    games = [(r["a"], r["b"], r["wins"], r["losses"], r["draws"]) for r in rows if r["games"] and r["fit"]]
    if not games:
        raise ManifestError("the manifest's matches hold no games")
    return bradley_terry(games, fixed=spec["fixed"])


def table(spec: dict, rows: list[dict], elos: dict) -> str:
    """The ladder as Markdown: one table of players, one of matches."""
    players = spec["players"]
    out = [f"### {spec.get('title', 'Elo ladder')}", "",
           f"| player | training compute (core-hours) | games | Elo ({spec['fixed']} = 0), 95% |",
           "|---|---|---|---|"]
    ranked = sorted(elos, key=lambda p: -elos[p][0])
    for p in ranked:
        info = players[p]
        n = sum(r["games"] for r in rows if r["fit"] and p in (r["a"], r["b"]))
        compute = info.get("compute_core_hours")
        elo, half = elos[p]
        cell = "0 (fixed)" if p == spec["fixed"] else f"{elo:+.0f} ± {half:.0f}"
        out.append(f"| {info.get('label', p)} | {'-' if compute is None else f'{compute:g}'} | {n} | {cell} |")
    out += ["", "Games fitted together: the matches below not marked *not fitted*."]
    out += ["", "| A | B | settings | A's W-L(-D) | A's score, 95% (Wilson) "
            "| Elo A - B (from the score's interval) | source |",
            "|---|---|---|---|---|---|---|"]
    for r in rows:
        wld = f"{r['wins']}-{r['losses']}" + (f"-{r['draws']}" if r["draws"] else "")
        lo, hi = r["score_95"]
        settings = r["settings"] + ("" if r["fit"] else " (*not fitted*)")
        out.append(f"| {r['a']} | {r['b']} | {settings} | {wld} | {r['score']:.1%} ({lo:.1%}-{hi:.1%}) "
                   f"| {fmt_elo(r['elo'])} ({fmt_elo(r['elo_95'][0])}..{fmt_elo(r['elo_95'][1])}) | {r['source']} |")
    return "\n".join(out)


def plot(spec: dict, elos: dict, out: Path) -> None:
    """Elo against training compute with 95% error bars; players without compute as lines."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    players = spec["players"]
    fig, ax = plt.subplots(figsize=(8, 5))
    placed = [p for p in elos if players[p].get("compute_core_hours") is not None]
    for p in placed:
        x = players[p]["compute_core_hours"]
        ax.errorbar([x], [elos[p][0]], yerr=[elos[p][1]], fmt="o", capsize=4)
        ax.annotate(p, (x, elos[p][0]), textcoords="offset points",
                    xytext=(6, 4), fontsize=8)
    for p in elos:
        if p in placed:
            continue
        v, h = elos[p]
        ax.axhline(v, ls="--", color="grey", lw=1)
        if h:
            ax.axhspan(v - h, v + h, color="grey", alpha=0.08)
        ax.text(0.01, v + 5, players[p].get("label", p), color="grey", fontsize=8,
                transform=ax.get_yaxis_transform())
    if placed:
        ax.set_xlim(0, max(players[p]["compute_core_hours"] for p in placed) * 1.3)
    ax.set_xlabel("training compute (core-hours: teacher data or self-play + training)")
    ax.set_ylabel(f"Elo ({players[spec['fixed']].get('label', spec['fixed'])} = 0), 95% interval")
    ax.set_title(spec.get("title", "Elo ladder"), fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def write(manifest: Path, out_prefix: Path) -> str:
    """Fit the manifest's matches and write OUT_PREFIX.json, .md and .png; returns the Markdown."""
    spec, rows = load(manifest)
    elos = fit(spec, rows)
    text = table(spec, rows, elos)
    out_prefix = Path(out_prefix)
    out_prefix.with_suffix(".json").write_text(json.dumps(
        {"fixed": spec["fixed"], "elo": {p: {"elo": e, "half_95": h} for p, (e, h) in elos.items()},
         "matches": [dict(r, elo=json_number(r["elo"]), elo_95=[json_number(x) for x in r["elo_95"]])
                     for r in rows]}, indent=1) + "\n")
    out_prefix.with_suffix(".md").write_text(text + "\n")
    plot(spec, elos, out_prefix.with_suffix(".png"))
    return text
