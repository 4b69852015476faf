"""Analysis streams for Sabaki, Lizzie and KaTrain: lz-analyze, kata-analyze, *genmove_analyze.

A stream begins with ``= `` alone on a line; then, each time the player
reports, ONE line holds every candidate (``info move D4 visits 836 winrate
4656 prior 839 lcb 4640 order 0 pv D4 Q16 info move ...``). The stream ends
when any input line arrives; the reply's empty line follows. Units: ``lz-``
integers 0-10000, ``kata-`` floats with a decimal point plus ``scoreLead``
and KataGo's other keys (``format_kata``), with the optional ones on request.
All values are from the side to move. A player that reports nothing gives
an empty (but legal) stream. With ``--verbose`` every line sent is logged
(``analysis line: ...``) on stderr and in ``--log``.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from engine.player import AnalysisReport, AnalysisRequest, CandidateInfo
from gtp.server.args import parse_int, parse_vertex, vertex
from gtp.server.kata_values import move_values, ownership_after, root_values
from gtp.server.protocol import GtpFailure

log = logging.getLogger("zerogo.gtp")

_COLOR_WORDS = ("b", "w", "black", "white")
_ONE_VALUE = ("interval", "minmoves", "maxmoves", "ownership", "ownershipstdev", "movesownershipstdev",
              "pvvisits", "rootinfo", "movesownership", "pvedgevisits")
# KataGo's optional outputs (key in lower case -> its name) and the ones zerogo cannot give.
_SHOW = {"pvvisits": "pvVisits", "pvedgevisits": "pvEdgeVisits", "movesownership": "movesOwnership",
         "rootinfo": "rootInfo"}
_UNSUPPORTED = {"ownershipstdev": "ownershipStdev", "movesownershipstdev": "movesOwnershipStdev"}


def _parse_moves(engine, spec: str) -> list[int]:
    """Comma-separated vertices (``D4,Q16``)."""
    return [parse_vertex(engine, v) for v in spec.split(",") if v]


def _parse_restriction(engine, words: list[str], color: int) -> tuple[list[int], int] | None:
    """``COLOR VERTICES UNTIL_DEPTH`` of avoid/allow: moves and depth, or None for the other colour."""
    from gtp.server.args import parse_color
    who = parse_color(words[0])
    moves = _parse_moves(engine, words[1])
    depth = parse_int(words[2], "untilDepth")
    if depth < 1:
        raise GtpFailure("syntax error: untilDepth must be at least 1")
    return (moves, depth) if who == color else None


def parse_analyze_args(engine, args: list[str]) -> tuple[int, AnalysisRequest]:
    """``[COLOR] [INTERVAL] [KEY VALUE...]`` into (colour, request); interval in centiseconds."""
    from gtp.server.args import parse_color
    color, req, i = engine.game.to_play, AnalysisRequest(), 0
    if i < len(args) and args[i].lower() in _COLOR_WORDS:
        color, i = parse_color(args[i]), i + 1
    if i < len(args) and args[i].isdigit():
        req.interval, i = parse_int(args[i], "interval") / 100.0, i + 1
    allow: set[int] = set()
    restricted = False
    while i < len(args):
        key = args[i].lower()
        if key in ("avoid", "allow"):
            if i + 3 >= len(args):
                raise GtpFailure(f"syntax error: {key} needs COLOR VERTICES UNTIL_DEPTH")
            parsed = _parse_restriction(engine, args[i + 1:i + 4], color)
            if parsed is not None and key == "avoid":
                req.avoid.update({m: parsed[1] for m in parsed[0]})
            elif parsed is not None:
                restricted = True
                allow.update(parsed[0])
            i += 4
        elif key in _ONE_VALUE:
            if i + 1 >= len(args):
                raise GtpFailure(f"syntax error: {key} needs a value")
            _set_key(req, key, args[i + 1])
            i += 2
        else:
            raise GtpFailure(f"syntax error: unknown analysis key {args[i]!r}")
    if restricted:
        req.allow = allow
    req.max_visits = engine.options.visits   # KataGo's maxVisits bounds analysis too
    return color, req


def _set_key(req: AnalysisRequest, key: str, value: str) -> None:
    """One ``KEY VALUE`` pair of an analysis command."""
    if key == "interval":
        req.interval = parse_int(value, "interval") / 100.0
    elif key == "minmoves":
        req.min_moves = parse_int(value, "minmoves")
    elif key == "maxmoves":
        req.max_moves = parse_int(value, "maxmoves")
    elif key == "ownership":
        if value.lower() not in ("true", "false"):
            raise GtpFailure("syntax error: ownership must be true or false")
        req.want_ownership = value.lower() == "true"
    elif key in _SHOW or key in _UNSUPPORTED:
        if value.lower() not in ("true", "false"):
            raise GtpFailure(f"syntax error: {key} must be true or false")
        if value.lower() == "true" and key in _UNSUPPORTED:
            raise GtpFailure(f"{_UNSUPPORTED[key]} is not supported: zerogo's search keeps no ownership variance")
        if value.lower() == "true":
            req.show.add(_SHOW[key])
        else:
            req.show.discard(_SHOW.get(key))


def _visible(cands: list[CandidateInfo], req: AnalysisRequest) -> list[CandidateInfo]:
    """Candidates the request allows, in order, at most max_moves of them."""
    out = [c for c in cands if c.move not in req.avoid and (req.allow is None or c.move in req.allow)]
    return out[:req.max_moves] if req.max_moves > 0 else out


def _pv(engine, pv: list[int], move: int) -> str:
    return " ".join(vertex(engine, m) for m in (pv or [move]))


def _info_blocks(engine, report: AnalysisReport, req: AnalysisRequest, stats) -> str:
    """One ``info move ...`` block per visible candidate; ``stats(c)`` gives the dialect's fields."""
    return " ".join(
        f"info move {vertex(engine, c.move)} visits {int(c.visits)} {stats(c)} "
        f"order {order} pv {_pv(engine, c.pv, c.move)}"
        for order, c in enumerate(_visible(report.candidates, req)))


def format_lz(engine, report: AnalysisReport, req: AnalysisRequest) -> str:
    """Leela Zero's dialect: winrate, prior and lcb as integers 0-10000."""
    return _info_blocks(engine, report, req, lambda c: (
        f"winrate {round(c.winrate * 10000)} prior {round(c.prior * 10000)} "
        f"lcb {round(max(c.lcb, 0.0) * 10000)}"))


def kata_number(x: float) -> str:
    """A float as KataGo prints it (six significant digits), always with a decimal point."""
    text = f"{x:.6g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _board_numbers(values) -> str:
    return " ".join(kata_number(float(v)) for v in np.asarray(values, dtype=float).reshape(-1))


def _kata_block(engine, c: CandidateInfo, order: int, req: AnalysisRequest, own_after) -> str:
    """One candidate in KataGo's key order (gtp.cpp): values, order, pv, then the optional keys."""
    v = move_values(c, flip=False)
    pv = c.pv or [c.move]
    words = [f"info move {vertex(engine, c.move)} visits {v['visits']} edgeVisits {v['edgeVisits']}"]
    for key in ("utility", "winrate", "scoreMean", "scoreStdev", "scoreLead", "scoreSelfplay", "prior", "lcb",
                "utilityLcb", "weight"):
        words.append(f"{key} {kata_number(v[key])}")
    words.append(f"order {order} pv {' '.join(vertex(engine, m) for m in pv)}")
    visits = [str(n) for n in (c.pv_visits or [c.visits])[:len(pv)]]
    if "pvVisits" in req.show:
        words.append("pvVisits " + " ".join(visits))
    if "pvEdgeVisits" in req.show:
        words.append("pvEdgeVisits " + " ".join(visits))
    if own_after is not None:
        words.append("movesOwnership " + _board_numbers(own_after))
    return " ".join(words)


def _moves_ownership(engine, cands: list[CandidateInfo], color: int) -> list:
    """The network's ownership after each move, for the player who plays it (None where unknown)."""
    evaluator = getattr(engine.player, "evaluator", None)
    if evaluator is None:
        return [None] * len(cands)
    return ownership_after(engine.game, [c.move for c in cands], color, evaluator)


def format_kata(engine, report: AnalysisReport, req: AnalysisRequest, color: int | None = None) -> str:
    """KataGo's dialect: every key KataGo prints, in its order, from the side to move's view.

    Optional parts as asked: pvVisits, pvEdgeVisits, movesOwnership (per move),
    rootInfo, ownership (W*H floats, row-major from the top left).
    """
    cands = _visible(report.candidates, req)
    if not cands:
        return ""
    color = engine.game.to_play if color is None else color
    owns = _moves_ownership(engine, cands, color) if "movesOwnership" in req.show else [None] * len(cands)
    line = " ".join(_kata_block(engine, c, order, req, own) for order, (c, own) in enumerate(zip(cands, owns)))
    if "rootInfo" in req.show and report.root is not None:
        r = root_values(report.root, flip=False)
        line += " rootInfo " + " ".join(
            f"{k} {r[k] if k == 'visits' else kata_number(r[k])}"
            for k in ("visits", "utility", "winrate", "scoreMean", "scoreStdev", "scoreLead", "scoreSelfplay",
                      "weight"))
    own = report.ownership
    if req.want_ownership and own is not None and own.size == engine.game.width * engine.game.height:
        line += " ownership " + _board_numbers(own)
    return line


def chat_line(engine, decision, channel: str) -> str:
    """A gtp2ogs chat line (``MALKOVICH:`` or ``DISCUSSION:``) on a decision, or ``""``.

    gtp2ogs turns stderr lines that begin with these words into chat on OGS.
    """
    if not decision.info:
        return ""
    best = decision.info[0]
    move = "resign" if decision.resign else vertex(engine, decision.move)
    pv = _pv(engine, best.pv, best.move)
    return (f"{channel.upper()}: {move}, win rate {100 * best.winrate:.1f}%, "
            f"score lead {best.score_lead:+.1f}, {sum(c.visits for c in decision.info)} visits, "
            f"variation {pv}")


def _line_writer(engine, io, req: AnalysisRequest, formatter, stop: threading.Event | None = None):
    """A report callback that formats each report and writes it as one line of the reply."""

    def report(rep: AnalysisReport) -> None:
        if stop is not None and stop.is_set():
            return
        try:
            line = formatter(engine, rep, req)
        except Exception:
            log.exception("cannot format an analysis report")
            return
        if line and io.line(line):
            log.debug("analysis line: %s", line)

    return report


def stream_analysis(engine, io, color: int, req: AnalysisRequest, formatter) -> str:
    """Run the player's analysis, one line per report, until any input line arrives."""
    io.begin()
    stop = threading.Event()
    game = engine.game.copy()

    report = _line_writer(engine, io, req, formatter, stop)

    def run() -> None:
        try:
            engine.player.analyze(game, color, req, report, stop)
        except Exception:
            log.exception("analysis failed")

    worker = threading.Thread(target=run, name="analysis", daemon=True)
    worker.start()
    io.stop.wait()
    stop.set()
    io.close()
    worker.join(timeout=10.0)
    if worker.is_alive():
        log.error("the player's analysis did not stop within 10 s")
    return ""


def cmd_lz_analyze(engine, args, io):
    """``lz-analyze [COLOR] [INTERVAL] [KEY VALUE...]``: integer stream."""
    color, req = parse_analyze_args(engine, args)
    return stream_analysis(engine, io, color, req, format_lz)


def cmd_kata_analyze(engine, args, io):
    """``kata-analyze [COLOR] [INTERVAL] [KEY VALUE...]``: float stream."""
    color, req = parse_analyze_args(engine, args)
    return stream_analysis(engine, io, color, req, lambda e, rep, r: format_kata(e, rep, r, color))


def _genmove_analyze(engine, args, io, formatter) -> str:
    """Search while streaming info lines every interval, play, end with ``play X``."""
    color, req = parse_analyze_args(engine, args)
    io.begin()
    report = _line_writer(engine, io, req, formatter)
    decision = engine.choose_move(color, report=report, interval=req.interval, interrupt=io.interrupt)
    if decision.resign:
        return "play resign"
    engine.game.play(decision.move, color)
    engine.start_pondering()
    return f"play {vertex(engine, decision.move)}"


def cmd_lz_genmove_analyze(engine, args, io):
    """Genmove with an lz-analyze style info line, then ``play MOVE``."""
    return _genmove_analyze(engine, args, io, format_lz)


def cmd_kata_genmove_analyze(engine, args, io):
    """Genmove with a kata-analyze style info line, then ``play MOVE``."""
    return _genmove_analyze(engine, args, io, format_kata)


COMMANDS = {
    "lz-analyze": cmd_lz_analyze,
    "kata-analyze": cmd_kata_analyze,
    "lz-genmove_analyze": cmd_lz_genmove_analyze,
    "kata-genmove_analyze": cmd_kata_genmove_analyze,
}
