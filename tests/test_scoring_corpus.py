"""The group status against the scoring corpus's referee (a 12-game subset; `zerogo bench scoring` runs all 48)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from engine import coords
from engine.deadstones import find_status
from engine.sgf import load_sgf_file
from gtp.bench.scoring import load_corpus, normal_score, run_corpus, winner

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "scoring-corpus"
SUBSET = {9: 6, 13: 4, 19: 2}     # the first games of each size, in corpus order


@pytest.fixture(scope="module")
def games():
    if not (CORPUS / "scores.json").is_file():
        pytest.fail(f"the scoring corpus is missing: expected {CORPUS}/scores.json (the shared folder "
                    "beside the repository)")
    chosen = []
    for size, count in SUBSET.items():
        chosen += load_corpus(CORPUS, (size,), count)
    return chosen


def test_subset_names_every_winner_and_nearly_every_exact_score(games):
    exact = dead_ok = 0
    for cg in games:
        game = load_sgf_file(str(cg.sgf))
        game.set_rules(game.rules.with_komi(cg.komi))
        status = find_status(game.board)
        score = game.result_string(status.dead, status.seki)
        assert winner(score) == winner(cg.final_score), f"{cg.sgf.name}: {score}, referee {cg.final_score}"
        exact += normal_score(score) == normal_score(cg.final_score)
        dead = {coords.to_gtp(p, game.width, game.height) for p in status.dead}
        dead_ok += dead == cg.dead
    assert exact >= len(games) - 1 and dead_ok >= len(games) - 1, (exact, dead_ok)


def test_bench_drives_a_gtp_engine_over_corpus_games(games):
    command = shlex.join([sys.executable, "-c", "from gtp.cli import main; main()", "gtp", "--network", "none",
                          "--sgf-dir", str(CORPUS)])
    report = run_corpus(command, [games[0], games[-1]])
    assert [v.score_ok for v in report.verdicts] == [True, True]
    assert "2 games: winner 2/2" in report.summary()


def test_bench_scoring_command_prints_one_line_per_game_and_the_summary(games):
    from click.testing import CliRunner

    from gtp.bench.cli import bench_scoring_command
    engine = shlex.join([sys.executable, "-c", "from gtp.cli import main; main()", "gtp", "--network", "none",
                         "--sgf-dir", str(CORPUS)])
    result = CliRunner().invoke(bench_scoring_command, ["--engine", engine, "--corpus", str(CORPUS), "--size", "9",
                                                        "--limit", "1", "-v"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    assert lines[0].startswith("000-9x9.sgf ... engine B+4 referee B+4.0")
    assert lines[1].startswith("1 games: winner 1/1 (100%), exact score 1/1 (100%), dead stones 1/1 (100%)")


def test_a_strong_net_settles_what_the_play_outs_leave_undecided():
    """014 (an open fight), 023 (a race on the edge): with KataGo b15 as the status net, the referee's dead list."""
    from engine import status_net
    from engine.deadstones import DeadStoneConfig
    net = status_net.find_net("auto")
    if net is None:
        pytest.fail(f"no KataGo network in {status_net.nets_folder()}: set ZEROGO_KATAGO_NETS (see the README)")
    by_name = {cg.sgf.name: cg for cg in load_corpus(CORPUS)}
    for name in ("014-9x9.sgf", "023-19x19.sgf"):
        cg = by_name[name]
        game = load_sgf_file(str(cg.sgf))
        game.set_rules(game.rules.with_komi(cg.komi))
        status = find_status(game.board, cfg=DeadStoneConfig(), game=game)
        dead = {coords.to_gtp(p, game.width, game.height) for p in status.dead}
        assert dead == cg.dead, name
        assert winner(game.result_string(status.dead, status.seki)) == winner(cg.final_score), name


def test_more_play_outs_only_while_a_chain_is_unsettled():
    """024: the white stone G7 sits near the dead threshold; given the game, play-outs go on (not past the cap)."""
    from engine.deadstones import DeadStoneConfig
    cg = {c.sgf.name: c for c in load_corpus(CORPUS)}["024-9x9.sgf"]
    game = load_sgf_file(str(cg.sgf))
    cfg = DeadStoneConfig(playouts=64, min_playouts=64, max_seconds=60.0, unsettled_playouts=256,
                          unsettled_seconds=60.0, status_net="none")
    assert find_status(game.board, cfg=cfg).playouts == 64          # no game: the pass decision's budget
    more = find_status(game.board, cfg=cfg, game=game)
    assert 64 < more.playouts <= 256
    settled = load_sgf_file(str({c.sgf.name: c for c in load_corpus(CORPUS)}["000-9x9.sgf"].sgf))
    assert find_status(settled.board, cfg=cfg, game=settled).playouts == 64
