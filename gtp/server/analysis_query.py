"""Parsing KataGo's JSON analysis queries into positions to search (``zerogo analysis``).

``parse_query(obj, defaults)`` checks one query dict the way KataGo's
analysis engine does (cpp/command/analysis.cpp) and returns either the jobs
to run (one per analysed turn) or the error message to send back, plus any
warnings. Error and warning texts, fields and ``id`` echo KataGo's, so tools
written against KataGo recognise them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from engine import coords
from engine.board import BLACK, WHITE, IllegalMoveError
from engine.game import Game
from engine.rules import Rules
from gtp.server.kata_rules import KataRulesError, parse_kata_rules

_XY = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
KNOWN_FIELDS = {
    "id", "moves", "initialStones", "initialPlayer", "rules", "komi", "whiteHandicapBonus",
    "boardXSize", "boardYSize", "analyzeTurns", "maxVisits", "analysisPVLen", "rootFpuReductionMax",
    "includeOwnership", "includeMovesOwnership", "includePolicy", "includePVVisits",
    "avoidMoves", "allowMoves", "overrideSettings", "reportDuringSearchEvery",
    "firstReportDuringSearchAfter", "priority", "priorities",
}
# Accepted by KataGo but not something zerogo can honour: warned about, then ignored.
UNSUPPORTED_FIELDS = {"rootPolicyTemperature", "includeOwnershipStdev", "includeMovesOwnershipStdev",
                      "includeNoResultValue", "includeQValues", "humanProfile"}
OVERRIDES = {"reportAnalysisWinratesAs", "maxVisits", "maxTime", "analysisPVLen", "rootFpuReductionMax",
             "wideRootNoise", "staticScoreUtilityFactor", "dynamicScoreUtilityFactor"}
PERSPECTIVES = ("BLACK", "WHITE", "SIDETOMOVE")
PAIR_ERROR = "Must be an array of pairs of the form: [\"b\" or \"w\", GTP board vertex]"


class QueryError(Exception):
    """A query KataGo would refuse: ``field`` and message go back in the error reply."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass
class Defaults:
    """The engine-wide settings a query starts from (``zerogo analysis`` options)."""

    max_visits: int = 500
    pv_len: int = 15
    perspective: str = "BLACK"
    fpu_root: float | None = None
    max_time: float | None = None


@dataclass
class Job:
    """One position of one query to analyse (KataGo's AnalyzeRequest)."""

    id: str
    turn: int
    game: Game
    priority: int
    max_visits: int
    perspective: str
    pv_len: int
    include_ownership: bool = False
    include_moves_ownership: bool = False
    include_policy: bool = False
    include_pv_visits: bool = False
    avoid: dict = field(default_factory=dict)      # colour -> set of moves banned at the root
    allow: dict = field(default_factory=dict)      # colour -> set of the only moves allowed at the root
    report_every: float | None = None
    first_report_after: float | None = None
    max_time: float | None = None
    fpu_root: float | None = None
    static_utility: float = 0.0      # KataGo's staticScoreUtilityFactor (engine.mcts_node.ScoreUtility)
    dynamic_utility: float = 0.0     # dynamicScoreUtilityFactor
    order: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    status: str = "queued"                        # queued | running | done | terminated


def _int(q: dict, name: str, low: int, high: int, message: str) -> int:
    value = q[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise QueryError(name, message)
    return value


def _float(q: dict, name: str, low: float, high: float, message: str) -> float:
    value = q[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise QueryError(name, message)
    return float(value)


def _bool(q: dict, name: str) -> bool:
    if not isinstance(q[name], bool):
        raise QueryError(name, "Must be a boolean")
    return q[name]


def _player(word, name: str) -> int:
    if isinstance(word, str) and word.strip().lower() in ("b", "black"):
        return BLACK
    if isinstance(word, str) and word.strip().lower() in ("w", "white"):
        return WHITE
    raise QueryError(name, "Must be \"b\" or \"w\"")


def parse_location(text: str, width: int, height: int) -> int:
    """A GTP vertex, ``pass``, or KataGo's ``(x,y)`` (x from the left, y from the top)."""
    m = _XY.match(text.strip())
    if m:
        x, y = int(m.group(1)), int(m.group(2))
        if x >= width or y >= height:
            raise coords.CoordinateError(text)
        return coords.to_flat(y, x, width)
    return coords.from_gtp(text, width, height)


def _moves(q: dict, name: str, width: int, height: int, allow_pass: bool) -> list[tuple[int, int]]:
    """``[["B","Q4"], ...]`` as (colour, move) pairs."""
    if not isinstance(q[name], list):
        raise QueryError(name, PAIR_ERROR)
    out = []
    for item in q[name]:
        if not isinstance(item, list) or len(item) != 2 or not all(isinstance(x, str) for x in item):
            raise QueryError(name, PAIR_ERROR)
        try:
            color = _player(item[0], name)
        except QueryError:
            raise QueryError(name, f"Could not parse player: {item[0]}") from None
        try:
            move = parse_location(item[1], width, height)
        except coords.CoordinateError:
            move = None
        if move is None or (not allow_pass and move == width * height):
            raise QueryError(name, f"Could not parse board location: {item[1]}")
        out.append((color, move))
    return out


def _restrictions(q: dict, name: str, width: int, height: int) -> dict:
    """avoidMoves / allowMoves: colour -> set of root moves."""
    entries = q[name]
    shape = "Must be a list of dicts with subfields 'player', 'moves', 'untilDepth'"
    if not isinstance(entries, list):
        raise QueryError(name, shape)
    if name == "allowMoves" and len(entries) > 1:
        raise QueryError(name, "Currently allowMoves only allows one entry")
    out: dict = {}
    for entry in entries:
        if not isinstance(entry, dict) or not {"player", "moves", "untilDepth"} <= set(entry):
            raise QueryError(name, shape)
        color = _player(entry["player"], "player")
        _int(entry, "untilDepth", 1, 1_000_000_000, "Must be a positive integer")
        if not isinstance(entry["moves"], list):
            raise QueryError("moves", "Must be an array of GTP board vertices")
        moves = set()
        for word in entry["moves"]:
            try:
                moves.add(parse_location(str(word), width, height))
            except coords.CoordinateError:
                raise QueryError("moves", f"Could not parse board location: {word}") from None
        out.setdefault(color, set()).update(moves)
    return out


def _overrides(q: dict, defaults: Defaults, warnings: list) -> dict:
    """The overrideSettings this engine understands; the rest warned about."""
    settings = q["overrideSettings"]
    if not isinstance(settings, dict):
        raise QueryError("overrideSettings", "Must be an object")
    unknown = [k for k in settings if k not in OVERRIDES or (k == "wideRootNoise" and settings[k] not in (0, 0.0))]
    if unknown:
        warnings.append(("overrideSettings", "Unknown config params: " + ",".join(sorted(unknown))))
    out = {}
    if "reportAnalysisWinratesAs" in settings:
        value = str(settings["reportAnalysisWinratesAs"]).upper()
        if value not in PERSPECTIVES:
            raise QueryError("overrideSettings", "Could not set settings: reportAnalysisWinratesAs must be "
                             "BLACK, WHITE or SIDETOMOVE")
        out["perspective"] = value
    for key, name, low, high in (("maxVisits", "max_visits", 1, 1 << 50), ("analysisPVLen", "pv_len", 1, 1000)):
        if key in settings:
            out[name] = _int(settings, key, low, high, f"Could not set settings: {key} out of range")
    for key, name, low, high in (("maxTime", "max_time", 0.0, 1e20), ("rootFpuReductionMax", "fpu_root", 0.0, 2.0),
                                 ("staticScoreUtilityFactor", "static_utility", 0.0, 10.0),
                                 ("dynamicScoreUtilityFactor", "dynamic_utility", 0.0, 10.0)):
        if key in settings:
            out[name] = _float(settings, key, low, high, f"Could not set settings: {key} out of range")
    return out


def _board_size(q: dict) -> tuple[int, int]:
    msg = "Must provide an integer from 2 to 25"
    for name in ("boardXSize", "boardYSize"):
        if name not in q:
            raise QueryError(name, msg)
    return _int(q, "boardXSize", 2, 25, msg), _int(q, "boardYSize", 2, 25, msg)


def _rules(q: dict) -> Rules:
    """The query's rules, komi and handicap bonus."""
    text = ("Must specify rules string, such as \"chinese\" or \"tromp-taylor\", or a JSON object with "
            "detailed rules parameters.")
    if "rules" not in q or not isinstance(q["rules"], (str, dict)):
        raise QueryError("rules", text)
    try:
        rules = parse_kata_rules(q["rules"])
    except KataRulesError as exc:
        shown = q["rules"] if isinstance(q["rules"], str) else _dump(q["rules"])
        raise QueryError("rules", f"Could not parse rules: {shown} ({exc})") from None
    if "komi" in q:
        msg = "Must be a integer or half-integer from -150.0 to 150.0"
        komi = _float(q, "komi", -150.0, 150.0, msg)
        if komi * 2 != int(komi * 2):
            raise QueryError("rules", msg)
        rules = rules.with_komi(komi)
    else:
        rules = rules.with_komi(6.5 if rules.scoring == "territory" else 7.5)
    if "whiteHandicapBonus" in q:
        if not isinstance(q["whiteHandicapBonus"], str):
            raise QueryError("whiteHandicapBonus", "Must be a string")
        try:
            rules = parse_kata_rules({"whiteHandicapBonus": q["whiteHandicapBonus"]}, rules)
        except KataRulesError as exc:
            raise QueryError("whiteHandicapBonus", str(exc)) from None
    return rules


def _dump(obj) -> str:
    import json
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def _turns(q: dict, count: int) -> list[int]:
    if "analyzeTurns" not in q:
        return [count]
    turns = q["analyzeTurns"]
    if not isinstance(turns, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in turns):
        raise QueryError("analyzeTurns", "Must specify an array of integers indicating turns to analyze")
    for t in turns:
        if not 0 <= t <= count:
            raise QueryError("analyzeTurns", f"Invalid turn number: {t}")
    return sorted(set(turns))


def _priorities(q: dict, turns: list[int]) -> dict[int, int]:
    """turn -> priority from ``priority`` / ``priorities``."""
    limit = 0x3FFFFFFFFFFFFFFF
    if "priorities" in q:
        if "priority" in q:
            raise QueryError("priority", "Cannot specify both priority and priorities")
        values = q["priorities"]
        if not isinstance(values, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise QueryError("priorities", "Must specify an array of integers indicating priorities")
        if "analyzeTurns" not in q:
            raise QueryError("priorities", "Can only specify when also specifying analyzeTurns")
        if len(values) != len(q["analyzeTurns"]):
            raise QueryError("priorities", "Must be of matching length to analyzeTurns")
        return dict(zip(q["analyzeTurns"], values))
    base = _int(q, "priority", -limit, limit, "Must be a number between -2^62 and 2^62") if "priority" in q else 0
    return {t: base for t in turns}


def _build_game(q: dict, width: int, height: int, rules: Rules) -> tuple[Game, list[tuple[int, int]], int]:
    """The starting game (setup stones, player to move) and the moves to replay."""
    stones = _moves(q, "initialStones", width, height, False) if "initialStones" in q else []
    if "moves" not in q:
        raise QueryError("moves", "Must specify an array of [player,location] pairs")
    moves = _moves(q, "moves", width, height, True)
    black = sum(1 for c, _ in stones if c == BLACK)
    handicap = black if black >= 2 and black == len(stones) else 0
    if "initialPlayer" in q:
        first = _player(q["initialPlayer"], "initialPlayer")
    elif moves:
        first = moves[0][0]
    else:
        first = WHITE if handicap else BLACK
    game = Game(width, height, rules=rules)
    try:
        game.setup(stones, to_play=first)
    except IllegalMoveError as exc:
        raise QueryError("initialStones", f"Illegal initial stones: {exc}") from None
    game.handicap = handicap
    return game, moves, first


def parse_query(q: dict, defaults: Defaults, order: int) -> tuple[list[Job], list[tuple[str, str]]]:
    """The jobs of an analysis query and its warnings (field, message); raises QueryError."""
    warnings = [(k, "Unexpected or unused field") for k in q
                if k not in KNOWN_FIELDS and k != "action" and k not in UNSUPPORTED_FIELDS]
    warnings += [(k, "Field not supported by zerogo, ignored") for k in q if k in UNSUPPORTED_FIELDS]
    width, height = _board_size(q)
    rules = _rules(q)
    game, moves, _ = _build_game(q, width, height, rules)
    turns = _turns(q, len(moves))
    priorities = _priorities(q, turns)
    settings = {"max_visits": defaults.max_visits, "pv_len": defaults.pv_len, "perspective": defaults.perspective,
                    "max_time": defaults.max_time, "fpu_root": defaults.fpu_root}
    if "overrideSettings" in q:
        settings.update(_overrides(q, defaults, warnings))
    if "maxVisits" in q:
        settings["max_visits"] = _int(q, "maxVisits", 1, 1 << 50, "Must be an integer from 1 to 2^50")
    if "analysisPVLen" in q:
        settings["pv_len"] = _int(q, "analysisPVLen", 1, 1000, "Must be an integer from 1 to 1000")
    if "rootFpuReductionMax" in q:
        settings["fpu_root"] = _float(q, "rootFpuReductionMax", 0.0, 2.0, "Must be a number from 0.0 to 2.0")
    flags = {name: _bool(q, key) for key, name in (
        ("includeOwnership", "include_ownership"), ("includeMovesOwnership", "include_moves_ownership"),
        ("includePolicy", "include_policy"), ("includePVVisits", "include_pv_visits")) if key in q}
    report = {}
    for key, name in (("reportDuringSearchEvery", "report_every"),
                      ("firstReportDuringSearchAfter", "first_report_after")):
        if key in q:
            report[name] = _float(q, key, 0.001, 1_000_000.0, "Must be number of seconds from 0.001 to 1000000.0")
    if "report_every" in report and "first_report_after" not in report:
        report["first_report_after"] = report["report_every"]
    if "allowMoves" in q and "avoidMoves" in q:
        raise QueryError("allowMoves", "Cannot specify both allowMoves and avoidMoves")
    avoid = _restrictions(q, "avoidMoves", width, height) if "avoidMoves" in q else {}
    allow = _restrictions(q, "allowMoves", width, height) if "allowMoves" in q else {}
    return _jobs(q["id"], game, moves, turns, priorities, order,
                 dict(settings, **flags, **report, avoid=avoid, allow=allow)), warnings


def _jobs(qid: str, game: Game, moves, turns, priorities, order: int, settings: dict) -> list[Job]:
    """Replay the moves, snapshotting the game at each analysed turn."""
    wanted, jobs = set(turns), []
    for turn in range(len(moves) + 1):
        if turn in wanted:
            jobs.append(Job(qid, turn, game.copy(), priorities[turn], order=order + len(jobs), **settings))
        if turn == len(moves):
            break
        color, move = moves[turn]
        try:
            game.play(move, color)
        except IllegalMoveError:
            vertex = coords.to_gtp(move, game.width, game.height)
            raise QueryError("moves", f"Illegal move {turn}: {vertex}") from None
    return jobs
