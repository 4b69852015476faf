"""KataGo's GTP extensions beyond analysis: rules, search parameters, cache, position, search.

- ``kata-get-rules`` / ``kata-set-rules`` / ``kata-set-rule``: KataGo's JSON keys,
  shorthand names and meanings (``gtp.server.kata_rules``);
- ``kata-list-params`` / ``kata-get-param`` / ``kata-set-param`` / ``kata-get-params``:
  the search settings clients set (see ``PARAMS``); a value zerogo cannot honour
  is refused with ``?``;
- ``clear_cache``, ``get_komi``, ``set_position``;
- ``kata-search`` (genmove without playing), ``kata-search_analyze`` and
  ``kata-search_analyze_cancellable`` (kata-genmove_analyze without playing; the
  cancellable one stops on any new input line and then answers ``play cancelled``).
"""

from __future__ import annotations

import json

from engine import coords
from engine.board import BLACK, IllegalMoveError
from engine.rules import RulesError
from gtp.server.args import arg_count, parse_color, parse_float, parse_int, vertex
from gtp.server.kata_rules import (
    KataRulesError,
    kata_rules_dict,
    kata_rules_json,
    parse_kata_rules,
)
from gtp.server.protocol import GtpFailure


# ------------------------------------------------------------------- rules
def cmd_kata_get_rules(engine, args, io):
    """The rules in force as KataGo's JSON (no komi)."""
    return kata_rules_json(engine.game.rules)


def _set_rules(engine, rules) -> None:
    engine.set_rules(rules.with_komi(engine.komi))


def cmd_kata_set_rules(engine, args, io):
    """Rules by KataGo's shorthand (``chinese``, ``japanese``, ``tromp-taylor``...) or JSON."""
    if not args:
        raise GtpFailure("Expected one argument for kata-set-rules")
    text = " ".join(args)
    try:
        rules = parse_kata_rules(text, engine.game.rules)
    except (KataRulesError, RulesError) as exc:
        raise GtpFailure(f"Unknown rules '{text}': {exc}") from None
    if text.lstrip().startswith("{") and "komi" in json.loads(text):
        engine.komi = rules.komi
    _set_rules(engine, rules)
    return ""


def cmd_kata_set_rule(engine, args, io):
    """One field of the rules (``kata-set-rule ko SIMPLE``), the others kept."""
    arg_count(args, 2, usage="kata-set-rule RULE VALUE")
    key, value = args
    current = kata_rules_dict(engine.game.rules)
    if key not in current:
        raise GtpFailure(f"Unknown rules field '{key}'")
    if isinstance(current[key], bool):
        if value.lower() not in ("true", "false"):
            raise GtpFailure(f"{key} must be true or false")
        current[key] = value.lower() == "true"
    else:
        current[key] = value
    try:
        rules = parse_kata_rules(current, engine.game.rules)
    except (KataRulesError, RulesError) as exc:
        raise GtpFailure(str(exc)) from None
    _set_rules(engine, rules)
    return ""


# ------------------------------------------------------------------ params
def _search_config(engine):
    config = getattr(engine.player, "config", None)
    if config is None:
        raise GtpFailure("this move generator has no search parameters")
    return config


def _get(engine, name: str):
    """A parameter's current value (KataGo's name)."""
    opts = engine.options
    if name == "maxVisits":
        if opts.visits is not None:
            return opts.visits
        config = getattr(engine.player, "config", None)
        return config.visits if config is not None else None
    if name == "maxTime":
        return opts.max_time if opts.max_time is not None else 1e20
    if name in ("wideRootNoise", "analysisWideRootNoise", "playoutDoublingAdvantage"):
        return 0.0
    cfg = _search_config(engine)
    attr = CONFIG_PARAMS[name]
    return getattr(cfg, attr)


def _set(engine, name: str, text: str) -> None:
    """Set a parameter, or GtpFailure when zerogo cannot honour the value."""
    if name == "maxVisits":
        value = parse_int(text, name)
        if value < 1:
            raise GtpFailure("maxVisits must be at least 1")
        engine.options.visits = value
        return
    if name == "maxTime":
        value = parse_float(text, name)
        if value <= 0:
            raise GtpFailure("maxTime must be positive")
        engine.options.max_time = None if value >= 1e20 else value
        return
    if name in ("wideRootNoise", "analysisWideRootNoise", "playoutDoublingAdvantage"):
        if parse_float(text, name) != 0.0:
            raise GtpFailure(f"Could not set params: {name} other than 0 is not supported by zerogo")
        return
    cfg = _search_config(engine)
    attr = CONFIG_PARAMS[name]
    current = getattr(cfg, attr)
    if isinstance(current, bool):
        if text.lower() not in ("true", "false"):
            raise GtpFailure(f"{name} must be true or false")
        setattr(cfg, attr, text.lower() == "true")
    elif isinstance(current, int):
        value = parse_int(text, name)
        if value < 1:
            raise GtpFailure(f"{name} must be at least 1")
        setattr(cfg, attr, value)
    else:
        value = parse_float(text, name)
        if value < 0:
            raise GtpFailure(f"{name} must not be negative")
        setattr(cfg, attr, value)


# KataGo parameter -> zerogo SearchConfig field. numSearchThreads: zerogo searches
# on one thread but sends this many leaves (with virtual loss) per network batch,
# which is what KataGo's search threads amount to.
CONFIG_PARAMS = {
    "numSearchThreads": "batch_size",
    "cpuctExploration": "c_init",
    "fpuReductionMax": "fpu_reduction",
    "rootFpuReductionMax": "fpu_reduction_root",
    "lcbStdevs": "lcb_z",
    "minVisitPropForLCB": "lcb_min_visit_ratio",
    "useLcbForSelection": "lcb",
    "staticScoreUtilityFactor": "static_score_utility",
    "dynamicScoreUtilityFactor": "dynamic_score_utility",
}
PARAMS = ["maxVisits", "maxTime", "wideRootNoise", "analysisWideRootNoise", "playoutDoublingAdvantage",
          *CONFIG_PARAMS]


def cmd_kata_list_params(engine, args, io):
    """The parameters kata-get-param / kata-set-param know, space-separated."""
    return " ".join(PARAMS)


def cmd_kata_get_param(engine, args, io):
    """One parameter's value, as JSON."""
    if len(args) != 1:
        raise GtpFailure(f"Expected one arguments for kata-get-param but got '{' '.join(args)}'")
    if args[0] not in PARAMS:
        raise GtpFailure(f"Invalid parameter: {args[0]}")
    return json.dumps(_get(engine, args[0]))


def cmd_kata_get_params(engine, args, io):
    """Every parameter and its value, as a JSON object."""
    values = {}
    for name in PARAMS:
        try:
            values[name] = _get(engine, name)
        except GtpFailure:
            continue
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def cmd_kata_set_param(engine, args, io):
    """Set one parameter (``kata-set-param maxVisits 200``)."""
    if len(args) != 2:
        raise GtpFailure(f"Expected two arguments for kata-set-param but got '{' '.join(args)}'")
    if args[0] not in PARAMS:
        raise GtpFailure(f"Could not set params: Unrecognized or non-overridable parameter in "
                         f"kata-set-params: {args[0]}")
    _set(engine, args[0], args[1])
    return ""


# -------------------------------------------------------------- the others
def cmd_clear_cache(engine, args, io):
    """Forget the search tree and the network's evaluation cache."""
    engine.player.clear()
    evaluator = getattr(engine.player, "evaluator", None)
    clear = getattr(evaluator, "clear", None)
    if clear is not None:
        clear()
    return ""


def cmd_get_komi(engine, args, io):
    """The komi in force."""
    return f"{engine.game.komi:g}"


def cmd_set_position(engine, args, io):
    """``set_position b D4 w Q16 ...``: a fresh board with these stones, black to move."""
    if len(args) % 2:
        raise GtpFailure("Expected a space-separated sequence of <COLOR> <VERTEX> pairs but got "
                         f"'{' '.join(args)}'")
    stones = []
    for color_word, vertex_word in zip(args[0::2], args[1::2]):
        color = parse_color(color_word)
        try:
            point = coords.from_gtp(vertex_word, engine.game.width, engine.game.height)
        except coords.CoordinateError:
            raise GtpFailure(f"Invalid vertex: {vertex_word}") from None
        if point == engine.game.width * engine.game.height:
            raise GtpFailure("Illegal stone placements: pass")
        stones.append((color, point))
    if len({p for _, p in stones}) != len(stones):
        raise GtpFailure("Illegal stone placements: a point is given twice")
    game = engine.new_game(engine.game.width, engine.game.height)
    try:
        game.setup(stones, to_play=BLACK)
    except IllegalMoveError as exc:
        raise GtpFailure(f"Illegal stone placements: {exc}") from None
    engine.game = game
    engine.player.clear()
    return ""


def cmd_kata_search(engine, args, io):
    """Search for a move for COLOR and answer it without playing it."""
    arg_count(args, 1, usage="kata-search COLOR")
    return engine.genmove(parse_color(args[0]), play=False)


def _search_analyze(engine, args, io, cancellable: bool) -> str:
    from gtp.server.commands_analysis import format_kata, parse_analyze_args
    color, req = parse_analyze_args(engine, args)
    io.begin()

    def report(rep) -> None:
        line = format_kata(engine, rep, req)
        if line:
            io.line(line)

    decision = engine.choose_move(color, report=report, interval=req.interval,
                                  interrupt=io.stop if cancellable else None)
    if cancellable and io.stop.is_set():
        return "play cancelled"
    return "play resign" if decision.resign else f"play {vertex(engine, decision.move)}"


def cmd_kata_search_analyze(engine, args, io):
    """kata-genmove_analyze without playing the move."""
    return _search_analyze(engine, args, io, cancellable=False)


def cmd_kata_search_analyze_cancellable(engine, args, io):
    """kata-search_analyze that any new input line cancels (``play cancelled``)."""
    return _search_analyze(engine, args, io, cancellable=True)


COMMANDS = {
    "kata-get-rules": cmd_kata_get_rules,
    "kata-set-rules": cmd_kata_set_rules,
    "kata-set-rule": cmd_kata_set_rule,
    "kata-list-params": cmd_kata_list_params,
    "kata-get-param": cmd_kata_get_param,
    "kata-get-params": cmd_kata_get_params,
    "kata-set-param": cmd_kata_set_param,
    "clear_cache": cmd_clear_cache,
    "get_komi": cmd_get_komi,
    "set_position": cmd_set_position,
    "kata-search": cmd_kata_search,
    "kata-search_analyze": cmd_kata_search_analyze,
    "kata-search_analyze_cancellable": cmd_kata_search_analyze_cancellable,
}

