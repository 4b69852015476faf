"""GoGui analysis commands: the network's policy, visit counts, ownership, principal variation.

``gogui-analyze_commands`` lists ``type/label/command`` lines; each command
answers in its type's format: ``dboard`` (floats), ``sboard`` (strings) as a
newline and then rows from the top down; ``gfx`` as ``VAR b D4 w Q16`` lines
(plus a ``TEXT``); ``var`` as ``b D4 w Q16``; ``plist`` as vertices.
Visit counts and the principal variation come from a short analysis run of
the player (``analysis_seconds``); a player that reports nothing gives an
empty board / variation. Without a network, ownership falls back to the
area count of the position as it stands (stones and surrounded regions).
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from engine import scoring
from engine.player import AnalysisReport, AnalysisRequest
from gtp.server.args import vertex
from gtp.server.protocol import GtpFailure

log = logging.getLogger("zerogo.gtp")

ANALYZE_COMMANDS = [
    "dboard/Policy (sqrt, best = 1)/zerogo-policy",
    "gfx/Policy (percent)/zerogo-policy_labels",
    "sboard/Visit counts/zerogo-visits",
    "dboard/Ownership/zerogo-ownership",
    "gfx/Score lead/zerogo-score_lead",
    "gfx/Principal variation/zerogo-pv_gfx",
    "var/Play principal variation/zerogo-pv_var",
    "plist/Legal moves/all_legal %c",
    "string/Final score/final_score",
    "gfx/Dead stones and territory/zerogo-status",
]


def board_text(rows: list[list[str]]) -> str:
    """A GoGui board reply: newline, then one line per row from the top."""
    return "\n" + "\n".join(" ".join(r) for r in rows)


def _grid(engine, values, fmt) -> str:
    """Format a flat (area,) array as rows from the top."""
    w, h = engine.game.width, engine.game.height
    flat = np.asarray(values, dtype=float).reshape(-1)[: w * h]
    return board_text([[fmt(flat[r * w + c]) for c in range(w)] for r in range(h)])


def area_ownership(board) -> np.ndarray:
    """Ownership (+1 black) by area count as the board stands: stones and one-colour regions."""
    return scoring.area_ownership(board).astype(float)


def analysis_snapshot(engine, io, seconds: float) -> AnalysisReport | None:
    """The player's last report after ``seconds`` (earlier on input, once there is one), else None."""
    got: list[AnalysisReport] = []
    stop = threading.Event()
    game, color = engine.game.copy(), engine.game.to_play
    req = AnalysisRequest(interval=min(0.1, seconds))

    def run() -> None:
        try:
            engine.player.analyze(game, color, req, got.append, stop)
        except Exception:
            log.exception("analysis failed")

    worker = threading.Thread(target=run, name="gogui-analysis", daemon=True)
    worker.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and worker.is_alive():
        if got and io.stop.is_set():
            break  # interrupted (GoGui's "# interrupt"): answer with what there is
        io.stop.wait(0.02) if not io.stop.is_set() else time.sleep(0.02)
    stop.set()
    worker.join(timeout=10.0)
    return got[-1] if got else None


def _seconds(engine) -> float:
    return engine.options.time_per_move or 1.0


def cmd_analyze_commands(engine, args, io):
    """The analysis commands GoGui may offer, ``type/label/command``."""
    return "\n".join(ANALYZE_COMMANDS)


def cmd_policy(engine, args, io):
    """The network's move probabilities as a dboard, scaled sqrt(p / p_best) so small priors show.

    GoGui sizes a dboard square by its value: a 1% move next to a 50%
    favourite gets a square of 0.14 rather than an invisible 0.01.
    """
    policy = network_policy(engine)
    return _grid(engine, scaled_policy(policy, engine.game.width * engine.game.height), lambda x: f"{x:.4f}")


def scaled_policy(policy: np.ndarray, area: int) -> np.ndarray:
    """sqrt(p / p_best) over the board points (pass dropped): 1 for the favourite, small priors visible."""
    p = np.clip(np.asarray(policy, dtype=float)[:area], 0.0, None)
    best = p.max() if p.size else 0.0
    return np.sqrt(p / best) if best > 0 else p


def network_policy(engine) -> np.ndarray:
    """The network's policy (area + 1,) for the position, or GtpFailure."""
    try:
        policy = engine.player.policy(engine.game.copy())
    except Exception as exc:  # noqa: BLE001 - a broken net must give a GTP error, not a crash
        raise GtpFailure(f"cannot compute policy: {exc}") from None
    if policy is None:
        raise GtpFailure("no network loaded: policy unavailable")
    return np.asarray(policy, dtype=float)


def cmd_ownership(engine, args, io):
    """Expected ownership, +1 black, as a dboard (area count without a network)."""
    own = None
    try:
        own = engine.player.ownership(engine.game.copy())
    except Exception:
        log.exception("ownership failed; using the area count")
    if own is None:
        own = area_ownership(engine.game.board)
    return _grid(engine, np.clip(own, -1.0, 1.0), lambda x: f"{x:.3f}")


def cmd_visits(engine, args, io):
    """Visits per candidate move after a short search, as an sboard."""
    report = analysis_snapshot(engine, io, _seconds(engine))
    counts = np.zeros(engine.game.width * engine.game.height)
    for c in (report.candidates if report else []):
        if c.move < counts.size:
            counts[c.move] = c.visits
    return _grid(engine, counts, lambda x: str(int(x)) if x else '""')


def _pv_pairs(engine, report) -> list[str]:
    """``b D4 w Q16 ...`` words of the best candidate's variation."""
    if report is None or not report.candidates:
        return []
    best = report.candidates[0]
    color, words = engine.game.to_play, []
    for move in best.pv or [best.move]:
        words += ["b" if color == 1 else "w", vertex(engine, move)]
        color = -color
    return words


def cmd_pv_gfx(engine, args, io):
    """The principal variation as GoGui graphics (``VAR`` and ``TEXT``)."""
    report = analysis_snapshot(engine, io, _seconds(engine))
    words = _pv_pairs(engine, report)
    if not words:
        return "TEXT no analysis available"
    best = report.candidates[0]
    return f"VAR {' '.join(words)}\nTEXT visits {best.visits} winrate {best.winrate:.3f}"


def cmd_pv_var(engine, args, io):
    """The principal variation as a GoGui ``var`` reply."""
    return " ".join(_pv_pairs(engine, analysis_snapshot(engine, io, _seconds(engine))))


def cmd_status(engine, args, io):
    """Dead stones (``MARK``), seki (``TRIANGLE``) and each side's area (``BLACK``/``WHITE``) as GoGui graphics.

    The same group status as final_score and final_status_list (the player's
    ``final_status``: engine.deadstones.find_status), so what GoGui shows is
    what zerogo will say.
    """
    game = engine.game
    try:
        dead, seki = engine.player.final_status(game.copy())
    except Exception as exc:
        log.exception("final_status failed")
        raise GtpFailure(f"cannot compute the status: {exc}") from None
    own = scoring.area_ownership(game.board, dead).reshape(-1)
    stones = game.board.stones
    black = [vertex(engine, p) for p in range(own.size) if own[p] == 1 and stones[p] != 1]
    white = [vertex(engine, p) for p in range(own.size) if own[p] == -1 and stones[p] != -1]
    lines = [f"BLACK {' '.join(black)}" if black else "", f"WHITE {' '.join(white)}" if white else "",
             f"MARK {' '.join(vertex(engine, p) for p in sorted(dead))}" if dead else "",
             f"TRIANGLE {' '.join(vertex(engine, p) for p in sorted(seki))}" if seki else "",
             f"TEXT {scoring.result_string(game.score(dead, seki))}: {len(dead)} dead, {len(seki)} in seki"]
    return "\n".join(line for line in lines if line)


COMMANDS = {
    "gogui-analyze_commands": cmd_analyze_commands,
    "zerogo-status": cmd_status,
    "zerogo-policy": cmd_policy,
    "zerogo-visits": cmd_visits,
    "zerogo-ownership": cmd_ownership,
    "zerogo-pv_gfx": cmd_pv_gfx,
    "zerogo-pv_var": cmd_pv_var,
}
