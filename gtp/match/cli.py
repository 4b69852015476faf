"""``zerogo match`` (engine-vs-engine matches between two GTP engines, like gogui-twogtp), ``zerogo match-times``."""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import signal
import sys
import threading
from collections import Counter

import click

from gtp.match.referee import MatchConfig
from gtp.match.stop_signals import StopNow
from engine.timecontrol import TimeSettings, TimeSettingsError
from gtp.match.times import collect

_TIME = re.compile(r"^(?P<main>[\d.]+)(?P<mu>[sm]?)(?:\+(?P<per>[\d.]+)(?P<pu>[sm]?)(?P<kind>[/x])(?P<n>\d+))?$")


def parse_time(text: str | None) -> TimeSettings:
    """``MAIN`` absolute, ``MAIN+PERIOD/STONES`` Canadian, ``MAIN+PERIODxN`` byo-yomi (s or m units)."""
    if not text:
        return TimeSettings("none")
    m = _TIME.match(text.strip().lower())
    if not m:
        raise click.BadParameter(f"{text!r}: use MAIN, MAIN+PERIOD/STONES or MAIN+PERIODxPERIODS "
                                 "(seconds, or with m for minutes: 5m+30sx3)")
    scale = {"": 1.0, "s": 1.0, "m": 60.0}
    main = float(m["main"]) * scale[m["mu"]]
    try:
        if m["per"] is None:
            return TimeSettings("absolute", main)
        period, n = float(m["per"]) * scale[m["pu"]], int(m["n"])
        if m["kind"] == "/":
            return TimeSettings("canadian", main, period, 0, n)
        return TimeSettings("byoyomi", main, period, n)
    except TimeSettingsError as exc:
        raise click.BadParameter(str(exc)) from None


def parse_sprt(text: str | None) -> tuple[float, float] | None:
    """``elo0,elo1`` with elo0 < elo1."""
    if not text:
        return None
    try:
        elo0, elo1 = (float(x) for x in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r}: use ELO0,ELO1, e.g. 0,10") from None
    if not elo0 < elo1:
        raise click.BadParameter("elo0 must be below elo1")
    return elo0, elo1


def find_openings(directory: str | None) -> list[str]:
    """The SGF files of an openings directory, sorted."""
    if not directory:
        return []
    files = sorted(glob.glob(os.path.join(directory, "*.sgf")))
    if not files:
        raise click.BadParameter(f"no .sgf files in {directory}")
    return files


@contextlib.contextmanager
def first_ctrl_c_finishes_games(stop_request: threading.Event):
    """The first Ctrl-C (SIGINT) sets ``stop_request`` (no new games); the second, or SIGTERM, raises StopNow.

    A SIGINT the parent shell ignores (a background job) stays ignored.
    """
    log = logging.getLogger("zerogo.match")

    def at_once(signum, frame):
        raise StopNow(signum)

    def first(signum, frame):
        stop_request.set()
        log.warning("Ctrl-C: no new games; the games in progress are finished and journalled "
                    "(Ctrl-C again to stop at once: those games are played again on --resume)")
        signal.signal(signal.SIGINT, at_once)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {signal.SIGINT: first, signal.SIGTERM: at_once}
    previous = {sig: signal.getsignal(sig) for sig in handlers}
    installed = [sig for sig in handlers if previous[sig] is not signal.SIG_IGN]
    for sig in installed:
        signal.signal(sig, handlers[sig])
    try:
        yield
    finally:
        for sig in installed:
            signal.signal(sig, previous[sig])


_MATCH = MatchConfig(black="", white="")   # option defaults come from the settings dataclass


@click.command("match", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--black", required=True, help="Command of engine A (black in the first game).")
@click.option("--white", required=True, help="Command of engine B (white in the first game).")
@click.option("--games", default=_MATCH.games, show_default=True, type=click.IntRange(1), help="Games to play.")
@click.option("--size", default=_MATCH.size, show_default=True, type=click.IntRange(2, 25), help="Board size.")
@click.option("--komi", type=float, default=_MATCH.komi,
              help="Komi (default: engine.rules.default_komi of the board size: 7 up to 9x9, else 7.5).")
@click.option("--rules", default=_MATCH.rules, show_default=True, help="Rules of the referee and engines.")
@click.option("--alternate", is_flag=True, help="Swap colours every game.")
@click.option("--time", "time_text", default=None,
              help="Clock: MAIN (absolute), MAIN+PERIOD/STONES (Canadian) or MAIN+PERIODxN "
                   "(byo-yomi); seconds, or m for minutes. Default: no clock.")
@click.option("--lag", default=_MATCH.lag, show_default=True, type=click.FloatRange(0),
              help="Seconds per move not charged to the clock (lag allowance).")
@click.option("--move-timeout", default=_MATCH.move_timeout, show_default=True, type=click.FloatRange(0.1),
              help="Seconds a move may take when there is no clock.")
@click.option("--setup-timeout", default=_MATCH.setup_timeout, show_default=True,
              type=click.FloatRange(0.1),
              help="Seconds an engine may take to answer any other command (setup, play, "
                   "final_score); a stuck engine loses on time and its process group is killed.")
@click.option("--startup-timeout", default=_MATCH.startup_timeout, show_default=True,
              type=click.FloatRange(0.1),
              help="Seconds an engine may take to answer its first command (loading a net, compiling "
                   "kernels on a first run); one that does not has not started: the game has no result.")
@click.option("--parallel", default=_MATCH.parallel, show_default=True, type=click.IntRange(1), help="Games at once.")
@click.option("--sgf-dir", type=click.Path(file_okay=False), default=_MATCH.sgf_dir,
              help="Write one SGF per game here.")
@click.option("--openings", type=click.Path(exists=True, file_okay=False), default=None,
              help="Directory of SGF openings, used in turn (each twice with --alternate).")
@click.option("--max-moves", default=_MATCH.max_moves, type=click.IntRange(0),
              help="Stop and score a game after this many moves (0: 4 x board area).")
@click.option("--sprt", "sprt_text", default=None, help="ELO0,ELO1: stop early when the SPRT decides.")
@click.option("--results", type=click.Path(dir_okay=False), default=None,
              help="JSON results file (default: SGF_DIR/results.json when --sgf-dir is given).")
@click.option("--engine-logs", type=click.Path(file_okay=False), default=None,
              help="Keep each engine's stderr here, one file per game and colour.")
@click.option("--resume", is_flag=True,
              help="Keep the games already played into SGF_DIR (its games.jsonl journal) and play the "
                   "rest (and any an engine error left without a result, such as an engine that did "
                   "not start); the engines and options must be the same (--games, --parallel and "
                   "--startup-timeout may change).")
@click.option("--replay-crashes", default=_MATCH.replay_crashes, show_default=True, type=click.IntRange(0),
              help="Play a game again, up to N times, when an engine dies in it (its SGF is kept as "
                   "gameNNNN-crashK.sgf); 0: the engine that died loses the game.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def match_command(black, white, games, size, komi, rules, alternate, time_text, lag, move_timeout,
                  setup_timeout, startup_timeout, parallel, sgf_dir, openings, max_moves, sprt_text, results,
                  engine_logs, resume, replay_crashes, quiet):
    """Play GTP engine A (--black) against B (--white); print wins, Elo and its interval.

    Ctrl-C once: the games in progress are finished, then the match stops (resume it
    with --resume); Ctrl-C twice, or SIGTERM: it stops at once (exit status 128 + the signal).
    """
    from engine.rules import RulesError, rules_by_name
    from gtp.match.referee import MatchConfig
    from gtp.match.runner import JournalError, results_json, run_match, table
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    try:
        rules_by_name(rules)
    except RulesError as exc:
        raise click.BadParameter(str(exc), param_hint="--rules") from None
    for folder in (sgf_dir, engine_logs):
        if folder:
            os.makedirs(folder, exist_ok=True)
    config = MatchConfig(black, white, games, size, komi, rules, alternate, parse_time(time_text), lag,
                         move_timeout, parallel, sgf_dir, find_openings(openings), max_moves,
                         parse_sprt(sprt_text), engine_logs, setup_timeout, replay_crashes,
                         startup_timeout=startup_timeout)
    if resume and not sgf_dir:
        raise click.UsageError("--resume needs --sgf-dir (the match's journal lives there)")
    journal = os.path.join(sgf_dir, "games.jsonl") if sgf_dir else None
    stop_request = threading.Event()
    try:
        with first_ctrl_c_finishes_games(stop_request):
            game_results, summary = run_match(config, progress=not quiet, journal=journal, resume=resume,
                                              stop_request=stop_request)
    except JournalError as exc:
        raise click.UsageError(str(exc)) from None
    except StopNow as stop:
        sys.exit(stop.exit_code)        # the runner has logged what it dropped; no click "Aborted!"
    click.echo(table(config, summary))
    path = results or (os.path.join(sgf_dir, "results.json") if sgf_dir else None)
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.write(results_json(config, game_results, summary))
        click.echo(f"results written to {path}")


@click.command("match-times")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
def match_times_command(dirs):
    """Move times and results of zerogo in the match SGFs of DIRS."""
    z_times, g_times, res = collect(list(dirs))
    w = sum(x[4] for x in res)
    draws = sum(1 for x in res if x[2] in ("0", "Draw"))
    click.echo(f"games {len(res)} zerogo wins {w} losses {len(res) - w - draws}"
               + (f" draws {draws}" if draws else ""))
    click.echo(f"zerogo wins as black {sum(1 for x in res if x[4] and x[1] == 'b')} "
               f"as white {sum(1 for x in res if x[4] and x[1] == 'w')}")
    click.echo(f"end reasons {Counter(x[3] for x in res)}")
    for name, t in (("zerogo", z_times), ("gnugo", g_times)):
        if not t:
            continue
        t.sort()
        click.echo(f"{name}: moves {len(t)} mean {sum(t) / len(t):.2f} s median {t[len(t) // 2]:.2f} "
                   f"max {t[-1]:.2f} >1.5s {sum(x > 1.5 for x in t)}")


def _game_line(game) -> str:
    """One journal game as a status row: number, A's colour, result, how it ended, length."""
    colour = "black" if game.black_engine == "A" else "white"
    won = {"A": "A won", "B": "B won"}.get(game.winner_engine(), "no winner")
    minutes = sum(game.seconds.values()) / 60 if game.seconds else 0.0
    return (f"game {game.index + 1:3d}  A {colour}  {game.result:<8} {game.reason:<9} {won:<9} "
            f"{game.moves:4d} moves  {minutes:5.1f} min thinking")


@click.command("match-status")
@click.argument("sgf_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--games/--no-games", "list_games", default=True, show_default=True,
              help="List every finished game before the table.")
def match_status_command(sgf_dir, list_games):
    """Standings of a match from its journal (SGF_DIR/games.jsonl), while it is played or after."""
    from gtp.match.referee import MatchConfig
    from gtp.match.runner import JournalError, read_journal, summarize, table
    path = os.path.join(sgf_dir, "games.jsonl")
    try:
        header, games = read_journal(path)
    except FileNotFoundError:
        raise click.ClickException(f"no match journal in {sgf_dir} (zerogo match --sgf-dir writes games.jsonl)")
    except JournalError as exc:
        raise click.ClickException(str(exc)) from None
    settings = header.get("config", {})
    config = MatchConfig(settings.get("black", "?"), settings.get("white", "?"), games=len(games))
    if list_games:
        for game in games:
            click.echo(_game_line(game))
    click.echo(table(config, summarize(config, games)))

