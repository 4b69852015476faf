"""``zerogo ladder``: summarise a ``zerogo loop`` run into the ladder evidence kept in weights/.

zerogo ladder RUN_DIR OUT_PREFIX

Reads RUN_DIR/loop_state.json and RUN_DIR/ratings.json; writes OUT_PREFIX.json
(one row per generation: games, samples, stage wall seconds, gate result, Elo
with a 95% profile-likelihood interval), OUT_PREFIX.md (the same as a table)
and OUT_PREFIX.png (Elo against cumulative compute, with error bars).

Stage seconds: self-play from the loop's own record; training, gate and rating
from file times (last self-play SGF -> train checkpoint -> candidate.onnx ->
last gate SGF -> the generation's log END line, when RUN_DIR/logs has one).
Compute (core-seconds) = 2 x self-play wall (two self-play processes) +
1 x training wall (one torch thread); gating and rating are not counted.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path


from gtp.match.stats import anchor_elos, bradley_terry, profile_interval


def _mtime(p: Path) -> float | None:
    return p.stat().st_mtime if p.exists() else None


def _last(paths) -> float | None:
    times = [p.stat().st_mtime for p in paths]
    return max(times) if times else None


def _log_end(run: Path, g: int) -> float | None:
    log = run / "logs" / f"gen{g:03d}.log"
    if not log.exists():
        return None
    ends = re.findall(r"END (\S+Z)", log.read_text(errors="replace"))
    if not ends:
        return None
    return datetime.strptime(ends[-1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def cpu_seconds(run: Path, g: int) -> float | None:
    """User + system CPU seconds of the whole generation (``/usr/bin/time -v`` in its log)."""
    log = run / "logs" / f"gen{g:03d}.log"
    if not log.exists():
        return None
    text = log.read_text(errors="replace")
    user = re.findall(r"User time \(seconds\): ([0-9.]+)", text)
    sys_ = re.findall(r"System time \(seconds\): ([0-9.]+)", text)
    return round(sum(map(float, user)) + sum(map(float, sys_)), 1) if user else None


def stage_seconds(run: Path, g: int, rec: dict) -> dict:
    """Wall seconds of each stage of generation ``g`` (None where unknown)."""
    gd = run / f"gen{g:03d}"
    sp_end = _last((gd / "selfplay" / "sgf").glob("*.sgf"))
    tr_end = _mtime(gd / "train" / "checkpoint.pt")
    ex_end = _mtime(gd / "candidate.onnx")
    gate_end = _last((gd / "gate_sgf").rglob("*.sgf"))
    log_end = _log_end(run, g)
    def diff(a, b):
        return round(b - a, 1) if a is not None and b is not None else None

    return {"selfplay": round(rec.get("selfplay", {}).get("seconds", 0.0), 1),
            "train": diff(sp_end, tr_end), "gate": diff(ex_end, gate_end),
            "rate": diff(gate_end, log_end) if rec.get("promoted") else 0.0,
            "cpu_all_stages": cpu_seconds(run, g)}


def joint_fit(state: dict, ratings: dict) -> dict:
    """Bradley-Terry (Elo) fit of every game the run played: gates and anchor matches.

    Players: gen000, each generation's candidate ("genNNN"), gnugo-1, gnugo-10; gen000 is
    fixed at 0; draws count half; a weak prior (one virtual draw against gen000) keeps
    every estimate finite. Returns {player: (elo, half-width of the ~95% interval)}
    from the inverse Fisher information.
    """
    games = []                                   # (a, b, wins of a, losses of a, draws)
    best = "gen000"
    for rec in state["history"]:
        if "gate" not in rec:
            continue
        name = f"gen{rec['generation']:03d}"
        gt = rec["gate"]
        games.append((name, best, gt["wins"], gt["losses"], gt["draws"]))
        if rec["promoted"]:
            best = name
    for g, e in ratings.items():
        me = f"gen{g:03d}"
        for a, r in e["anchors"].items():
            games.append((me, a, r["wins"], r["losses"], r["draws"]))
    return bradley_terry(games, fixed="gen000")


def ladder(run: Path) -> list[dict]:
    """One row per generation (0 = the start net)."""
    state = json.loads((run / "loop_state.json").read_text())
    ratings = {e["generation"]: e for e in json.loads((run / "ratings.json").read_text())}
    base = ratings[0]
    anchor_elo = anchor_elos(base["anchors"])
    joint = joint_fit(state, ratings)
    rows = [{"generation": 0, "joint": joint["gen000"], "games": 0, "samples": 0, "seconds": {},
             "compute": 0.0, "promoted": True, "gate": None, "elo": 0.0, "elo_low": None, "elo_high": None,
             "anchors": base["anchors"]}]
    compute = 0.0
    for rec in state["history"]:
        g = rec["generation"]
        if "gate" not in rec:
            continue
        sec = stage_seconds(run, g, rec)
        compute += 2 * sec["selfplay"] + (sec["train"] or 0.0)
        row = {"generation": g, "joint": joint.get(f"gen{g:03d}"), "games": rec["selfplay"].get("games"),
               "samples": rec["selfplay"].get("samples"), "seconds": sec,
               "compute": round(compute, 1), "promoted": rec["promoted"],
               "gate": rec["gate"], "train_loss": rec.get("train", {}).get("loss"),
               "elo": None, "elo_low": None, "elo_high": None, "anchors": None}
        r = ratings.get(g)
        if rec["promoted"] and r is not None:
            res = {a: (v["wins"], v["losses"], v["draws"]) for a, v in r["anchors"].items()}
            best, lo, hi = profile_interval(res, anchor_elo)
            row.update(elo=r["elo"], elo_low=lo, elo_high=hi, anchors=r["anchors"])
        rows.append(row)
    return rows, anchor_elo, {a: v for a, v in joint.items() if a.startswith("gnugo")}


def _wld(anchors: dict, k: str) -> str:
    """W-L(-D) against anchor ``k``, or '-'."""
    if k not in anchors:
        return "-"
    a = anchors[k]
    return f"{a['wins']}-{a['losses']}" + (f"-{a['draws']}" if a["draws"] else "")


def table(rows: list[dict], anchor_elo: dict, joint_anchors: dict) -> str:
    """The ladder as a Markdown table."""
    out = ["| gen | self-play games (samples) | self-play / train / gate / rate wall s | CPU s (all stages) "
           "| cumulative compute (core-s) | gate W-L(-D) vs best (Elo ±95%) | promoted "
           "| Elo, joint fit (±95%) | Elo, anchors only (95%) | vs gen0 | vs GNU Go L1 | vs GNU Go L10 |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["seconds"]
        stages = ("selfplay", "train", "gate", "rate")
        secs = " / ".join("?" if s.get(k) is None else f"{s[k]:.0f}" for k in stages) if s else "-"
        cpu = s.get("cpu_all_stages") if s else None
        gt = r["gate"]
        gate = (f"{gt['wins']}-{gt['losses']}" + (f"-{gt['draws']}" if gt['draws'] else "")
                + f" ({gt['elo']:+.0f} ± {gt['ci95']:.0f})") if gt else "-"
        j = r["joint"]
        joint = f"{j[0]:+.0f} ± {j[1]:.0f}" if j and j[1] else ("0 (fixed)" if j else "-")
        interval = f" ({r['elo_low']:+.0f}..{r['elo_high']:+.0f})" if r["elo_low"] is not None else " (anchor)"
        elo = "-" if r["elo"] is None else f"{r['elo']:+.0f}" + interval
        cells = " | ".join(_wld(r["anchors"] or {}, k) for k in ("gen000", "gnugo-1", "gnugo-10"))
        out.append(f"| {r['generation']} | {r['games'] or '-'} ({r['samples'] or '-'}) | {secs} "
                   f"| {cpu if cpu else '?'} | {r['compute']:.0f} "
                   f"| {gate} | {'yes' if r['promoted'] else 'no'} | {joint} | {elo} | {cells} |")
    out.append("")
    out.append("Anchors-only scale (from gen 0's own anchor games): "
               + ", ".join(f"{k} {v:+.0f}" for k, v in anchor_elo.items()))
    out.append("Joint fit of all games: "
               + ", ".join(f"{k} {v[0]:+.0f} ± {v[1]:.0f}" for k, v in joint_anchors.items()))
    return "\n".join(out)


def plot(rows: list[dict], joint_anchors: dict, out: Path) -> None:
    """Joint-fit Elo against cumulative compute, with 95% error bars and the GNU Go anchors."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    for promoted, style, label in ((True, "o", "promoted (became the self-play net)"),
                                   (False, "s", "not promoted (candidate)")):
        pts = [r for r in rows if r["joint"] and r["promoted"] == promoted]
        if not pts:
            continue
        x = [r["compute"] / 3600 for r in pts]
        ax.errorbar(x, [r["joint"][0] for r in pts], yerr=[r["joint"][1] for r in pts], fmt=style,
                    capsize=4, label=label, mfc="none" if not promoted else None)
        for r, xi in zip(pts, x):
            ax.annotate(f"{r['generation']}", (xi, r["joint"][0]), textcoords="offset points",
                        xytext=(6, 4), fontsize=8)
    for k, (v, h) in joint_anchors.items():
        ax.axhline(v, ls="--", color="grey", lw=1)
        ax.axhspan(v - h, v + h, color="grey", alpha=0.08)
        ax.text(0, v + 5, f"GNU Go level {k[6:]} (32-visit matches)", color="grey", fontsize=8)
    ax.set_xlabel("cumulative self-play + training compute (core-hours, shared 2-core EPYC VM)")
    ax.set_ylabel("Elo (gen 0 = 0), joint fit, 95% interval")
    ax.set_title("zerogo 9x9 b4c32 self-play generations (labels: generation)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)
