"""Run a whole match: games in parallel, progress, SPRT stop, summary table and JSON results."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from engine.atomic_files import write_text_atomic
from gtp.match.client import LiveEngines
from gtp.match.referee import GameResult, MatchConfig, play_game
from gtp.match.stats import Tally, elo_with_interval, fmt_elo, json_number, sprt, wilson_interval

log = logging.getLogger("zerogo.match")


@dataclasses.dataclass
class MatchSummary:
    """Totals of a match from engine A's side."""

    games: int
    tally: Tally
    a_wins_as_black: int
    a_wins_as_white: int
    b_wins_as_black: int
    b_wins_as_white: int
    no_result: int
    time_losses: dict
    errors: int
    disagreements: int
    sprt: dict | None
    machines: dict = dataclasses.field(default_factory=dict)   # machine -> games played on it
    stopped: bool = False       # stopped on request before all games were played (resumable)


def summarize(config: MatchConfig, results: list[GameResult]) -> MatchSummary:
    """Count wins by engine and colour, time losses, errors and score disagreements."""
    wins = {(e, c): 0 for e in "AB" for c in "BW"}
    draws = no_result = errors = disagreements = 0
    time_losses = {"A": 0, "B": 0}
    for r in results:
        engine = r.winner_engine()
        if engine is not None:
            wins[(engine, r.winner)] += 1
        elif r.result == "0":
            draws += 1
        else:
            no_result += 1
        if r.reason == "time" and engine is not None:
            time_losses["B" if engine == "A" else "A"] += 1
        if r.reason in ("error", "crash"):
            errors += 1
        if r.agreed is False:
            disagreements += 1
    a = wins[("A", "B")] + wins[("A", "W")]
    b = wins[("B", "B")] + wins[("B", "W")]
    tally = Tally(a, draws, b)
    test = None
    if config.sprt:
        s = sprt(tally, *config.sprt)
        test = {"elo0": config.sprt[0], "elo1": config.sprt[1], "llr": round(s.llr, 4),
                "lower": round(s.lower, 4), "upper": round(s.upper, 4), "decision": s.decision}
    machines = dict(Counter(r.machine or "not recorded" for r in results))
    return MatchSummary(len(results), tally, wins[("A", "B")], wins[("A", "W")], wins[("B", "B")],
                        wins[("B", "W")], no_result, time_losses, errors, disagreements, test, machines)


class JournalError(ValueError):
    """A match journal that cannot be resumed (another match's, or unreadable)."""


def _journal_key(config: MatchConfig) -> dict:
    """The settings a resumed match must share with the journal's (games may grow)."""
    cfg = dataclasses.asdict(config)
    for name in ("games", "parallel", "sgf_dir", "log_dir", "sprt", "replay_crashes", "startup_timeout"):
        cfg.pop(name)
    return json.loads(json.dumps(cfg))


def read_journal(path) -> tuple[dict, list[GameResult]]:
    """A match journal's header and its finished games, by index (FileNotFoundError when there is none)."""
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f if line.strip()]
    try:
        header = json.loads(lines[0]) if lines else {}
        games = {}
        for line in lines[1:]:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue   # a line cut by a kill while it was written: that game is played again
            row.pop("winner_engine", None)
            games[row["index"]] = GameResult(**row)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise JournalError(f"{path}: not a match journal ({exc})") from None
    return header, [games[i] for i in sorted(games)]


def load_journal(config: MatchConfig, path: str) -> list[GameResult]:
    """The finished games of an interrupted match (none when the journal does not exist yet)."""
    try:
        header, games = read_journal(path)
    except FileNotFoundError:
        return []
    if header.get("config") != _journal_key(config):
        raise JournalError(f"{path} belongs to a match with other settings; "
                           "use another --sgf-dir or the same engines and options")
    return games


class _Journal:
    """Appends each finished game to a JSON-lines file as soon as it ends."""

    def __init__(self, config: MatchConfig, path: str | None, kept: list[GameResult]) -> None:
        self.path = path
        self.lock = threading.Lock()
        if path:   # written afresh (header and the games kept), so a line cut by a kill is dropped
            rows = [json.dumps({"config": _journal_key(config)})] + [self._row(r) for r in kept]
            write_text_atomic(path, "".join(row + "\n" for row in rows))

    @staticmethod
    def _row(result: GameResult) -> str:
        return json.dumps({**dataclasses.asdict(result), "winner_engine": result.winner_engine()})

    def add(self, result: GameResult) -> None:
        """Append one finished game (flushed to disk before the next game counts)."""
        if not self.path:
            return
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(self._row(result) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _no_result(result: GameResult) -> bool:
    """A game an engine error left without a winner (an engine that did not start): --resume plays it again."""
    return result.winner is None and result.reason == "error"


def run_match(config: MatchConfig, progress: bool = True, journal: str | None = None,
              resume: bool = False, stop_request: threading.Event | None = None,
              ) -> tuple[list[GameResult], MatchSummary]:
    """Play up to ``config.games`` games, ``config.parallel`` at a time; stop early on SPRT.

    With ``journal`` every finished game is appended to that file at once; with
    ``resume`` the games already in it are kept and only the others are played
    (a game an engine error left without a result is played again).
    Once ``stop_request`` is set no new game starts: the games in progress are
    finished (and journalled), then the match ends with ``summary.stopped``.
    """
    results: list[GameResult] = load_journal(config, journal) if (journal and resume) else []
    results = [r for r in results if r.index < config.games]
    unplayed = [r.index + 1 for r in results if _no_result(r)]
    results = [r for r in results if not _no_result(r)]
    if unplayed:
        log.warning("resuming: game%s %s had no result (an engine error): played again",
                    "" if len(unplayed) == 1 else "s", ", ".join(map(str, unplayed)))
    finished = {r.index for r in results}
    log_file = _Journal(config, journal, results)
    todo = [i for i in range(config.games) if i not in finished]
    if finished:
        log.warning("resuming: %d games already played, %d to play", len(finished), len(todo))
    stop = threading.Event()
    stop_request = stop_request or threading.Event()
    if config.sprt and results and summarize(config, results).sprt["decision"] != "continue":
        stop.set()
    bar = _progress(len(todo), progress)
    replays: dict[int, int] = {}
    live = LiveEngines()
    with ThreadPoolExecutor(max_workers=max(1, config.parallel)) as pool:
        pending: set = set()
        try:
            while todo or pending:
                while todo and len(pending) < config.parallel and not (stop.is_set() or stop_request.is_set()):
                    pending.add(pool.submit(play_game, config, todo.pop(0), live))
                if not pending:
                    break
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    if result.reason == "crash" and replays.get(result.index, 0) < config.replay_crashes:
                        replays[result.index] = replays.get(result.index, 0) + 1
                        _set_aside(result, replays[result.index])
                        todo.insert(0, result.index)
                        continue
                    results.append(result)
                    log_file.add(result)
                    bar.update(1)
                    _postfix(bar, config, results)
                if config.sprt and summarize(config, results).sprt["decision"] != "continue":
                    stop.set()
        except KeyboardInterrupt:     # stop at once: the games in progress are played again on --resume
            live.kill_all()
            bar.close()
            log.warning("stopped at once: %d game%s in progress dropped (--resume plays them again)",
                        len(pending), "" if len(pending) == 1 else "s")
            _drop_unfinished(pending)
            raise
    bar.close()
    results.sort(key=lambda r: r.index)
    summary = summarize(config, results)
    summary.stopped = bool(todo) and stop_request.is_set() and not stop.is_set()
    return results, summary


def _drop_unfinished(futures) -> None:
    """Remove the SGFs of games whose engines were killed mid-game (they are not in the journal)."""
    done, _ = wait(futures, timeout=30)
    for future in done:
        result = future.result() if future.exception() is None else None
        if result and result.sgf and os.path.exists(result.sgf):
            os.remove(result.sgf)


def _set_aside(result: GameResult, replay: int) -> None:
    """A game an engine died in, to be played again: its SGF kept as ``gameNNNN-crashK.sgf``, a warning."""
    kept = ""
    if result.sgf and os.path.exists(result.sgf):
        kept = result.sgf[:-len(".sgf")] + f"-crash{replay}.sgf"
        os.replace(result.sgf, kept)
    log.warning("game %d: %s at move %d; playing it again (replay %d)%s", result.index + 1, result.detail,
                result.moves + 1, replay, f", the crashed game kept in {kept}" if kept else "")


class _NoBar:
    def update(self, n): pass
    def set_postfix_str(self, s): pass
    def close(self): pass


def _progress(total: int, enabled: bool):
    """A tqdm bar on stderr (or nothing)."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="game", desc="match", dynamic_ncols=True)


def _postfix(bar, config: MatchConfig, results: list[GameResult]) -> None:
    s = summarize(config, results)
    bar.set_postfix_str(f"A {s.tally.wins}-{s.tally.losses} B" + (f", draws {s.tally.draws}" if s.tally.draws else ""))


def table(config: MatchConfig, s: MatchSummary) -> str:
    """The end-of-match table as text."""
    elo, lo, hi = elo_with_interval(s.tally)
    p_lo, p_hi = wilson_interval(s.tally.score, s.tally.games)
    score = s.tally.score
    rows = [
        f"A = {config.black}",
        f"B = {config.white}",
        f"{'engine':<8}{'wins':>6}{'as black':>10}{'as white':>10}{'time losses':>13}",
        f"{'A':<8}{s.tally.wins:>6}{s.a_wins_as_black:>10}{s.a_wins_as_white:>10}{s.time_losses['A']:>13}",
        f"{'B':<8}{s.tally.losses:>6}{s.b_wins_as_black:>10}{s.b_wins_as_white:>10}{s.time_losses['B']:>13}",
        f"games {s.games}, draws {s.tally.draws}, no result {s.no_result}, errors {s.errors}, "
        f"score disagreements {s.disagreements}",
    ]
    if s.tally.games:
        rows.append(f"A score {100 * score:.1f}% (95%: {100 * p_lo:.1f}%..{100 * p_hi:.1f}%), "
                    f"Elo A-B {fmt_elo(elo)} (95%: {fmt_elo(lo)}..{fmt_elo(hi)})")
    if s.sprt:
        rows.append(f"SPRT elo0={s.sprt['elo0']:g} elo1={s.sprt['elo1']:g}: LLR {s.sprt['llr']:.2f} "
                    f"[{s.sprt['lower']:.2f}, {s.sprt['upper']:.2f}] -> {s.sprt['decision']}")
    if s.stopped:
        rows.append(f"stopped on request after {s.games} of {config.games} games: "
                    "--resume with the same --sgf-dir plays the rest")
    if len(s.machines) > 1:     # a match resumed elsewhere: its games are not all alike
        rows += [f"played on {name}: {n} game{'' if n == 1 else 's'}" for name, n in s.machines.items()]
    return "\n".join(rows)


def results_json(config: MatchConfig, results: list[GameResult], s: MatchSummary) -> str:
    """Machine-readable results: config, every game, the summary."""
    elo, lo, hi = elo_with_interval(s.tally)
    p_lo, p_hi = wilson_interval(s.tally.score, s.tally.games)
    cfg = dataclasses.asdict(config)
    cfg["time"] = {k: json_number(v) if isinstance(v, float) else v for k, v in cfg["time"].items()}
    summary = dataclasses.asdict(s)
    summary.update({"score": json_number(s.tally.score), "score_95": [p_lo, p_hi],
                    "elo": json_number(elo), "elo_95": [json_number(lo), json_number(hi)]})
    games = [{**dataclasses.asdict(r), "winner_engine": r.winner_engine()} for r in results]
    return json.dumps({"config": cfg, "summary": summary, "games": games}, indent=2)
