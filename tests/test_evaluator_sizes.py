"""Board-size changes: the evaluation cache tells sizes apart; nets that do not fit are refused at load."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from engine import features as F
from engine.board import Board
from engine.evaluation import Position
from engine.evaluator import (
    CachedEvaluator,
    EvaluatorConfig,
    ModelLoadError,
    ModelShapeError,
    OnnxEvaluator,
    load_evaluator,
)
from engine.game import Game
from engine.mcts_player import MctsPlayer
from engine.player import AnalysisRequest, MoveLimits
from engine.rules import Rules
from engine.search import SearchConfig
from nets.export import export_onnx, random_net

REPO = Path(__file__).resolve().parent.parent
CFG = EvaluatorConfig(threads=1)
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("nets") / "zerogo-9x9.onnx"
    export_onnx(random_net("b2c16", seed=5), path, {"provenance": "test"}, check_sizes=(9,))
    return path


def test_empty_boards_of_different_sizes_have_different_keys():
    rules = Rules()
    keys = {Position([Board(w, h)], rules).key() for w, h in [(9, 9), (13, 13), (19, 19), (9, 13)]}
    assert len(keys) == 4
    passed = Board(9)
    passed.play(passed.pass_move)
    fresh = Board(9)
    fresh.to_play = passed.to_play
    # The net sees "the last move was a pass" (globals[6]): another input, another key.
    assert Position([passed], rules).key() != Position([fresh], rules).key()
    assert Position([fresh], rules).key() != Position([fresh], Rules(suicide=True)).key()


def test_cache_serves_each_size_its_own_policy(net_file):
    ev = load_evaluator(net_file, CFG, 9, 9)
    assert isinstance(ev, CachedEvaluator)
    for w, h in [(9, 9), (19, 19), (13, 13), (9, 9), (7, 11)]:
        out = ev.evaluate([Position([Board(w, h)], Rules())])[0]
        assert out.policy.shape == (w * h + 1,)
        assert out.ownership.shape == (h, w)


@pytest.mark.parametrize("sizes", [(9, 19), (13, 9), (19, 9, 13)])
def test_player_genmove_after_size_changes(net_file, sizes):
    player = MctsPlayer(load_evaluator(net_file, CFG, sizes[0], sizes[0]),
                        SearchConfig(visits=16, batch_size=4, resign_threshold=0))
    for n in sizes:
        player.clear()
        player.check_board_size(n, n)
        game = Game(n, n)
        decision = player.genmove(game, game.to_play, MoveLimits(visits=16))
        assert 0 <= decision.move <= n * n and game.is_legal(decision.move, game.to_play)
        assert player.last_result.root_visits >= 16
        assert len(player.policy(game)) == n * n + 1


def test_analysis_after_9_to_19(net_file):
    player = MctsPlayer(load_evaluator(net_file, CFG, 9, 9), SearchConfig(batch_size=4))
    player.genmove(Game(9, 9), 1, MoveLimits(visits=8))
    player.clear()
    reports = []
    stop = threading.Event()

    def report(rep):
        reports.append(rep)
        if len(reports) >= 2:
            stop.set()

    threading.Timer(20, stop.set).start()
    player.analyze(Game(19, 19), 1, AnalysisRequest(interval=0.05), report, stop)
    assert reports and reports[-1].candidates
    assert all(0 <= c.move <= 361 for c in reports[-1].candidates)


class _FlatPolicy(torch.nn.Module):
    """Policy of a fixed 82 entries whatever the board: fits 9x9 only."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(F.NUM_GLOBALS, 82)

    def forward(self, x, g):
        return (self.lin(g) + x.mean(dim=(1, 2, 3))[:, None], g.sum(1), g.sum(1), x[:, 0])


def _export(module, path: Path, dynamic_hw: bool) -> Path:
    axes = {"planes": {0: "N", 2: "H", 3: "W"} if dynamic_hw else {0: "N"}, "globals": {0: "N"},
            "policy_logits": {0: "N"}, "value": {0: "N"}, "score_lead": {0: "N"},
            "ownership": {0: "N", 1: "H", 2: "W"} if dynamic_hw else {0: "N"}}
    torch.onnx.export(module, (torch.zeros(1, F.NUM_PLANES, 9, 9), torch.zeros(1, F.NUM_GLOBALS)),
                      str(path), input_names=["planes", "globals"],
                      output_names=["policy_logits", "value", "score_lead", "ownership"],
                      dynamic_axes=axes, dynamo=False)
    model = onnx.load(str(path))
    meta = {"feature_version": F.FEATURE_VERSION, "config": "x", "board_sizes": "9",
            "training_step": 0, "provenance": "test"}
    for k, v in meta.items():
        e = model.metadata_props.add()
        e.key, e.value = k, str(v)
    onnx.save(model, str(path))
    return path


@pytest.mark.filterwarnings("ignore")
def test_net_that_does_not_fit_the_board_is_refused_at_load(tmp_path):
    flat = _export(_FlatPolicy(), tmp_path / "flat.onnx", dynamic_hw=True)
    load_evaluator(flat, CFG, 9, 9)                       # fits 9x9
    with pytest.raises(ModelShapeError, match=r"policy_logits.*\[1, 82\].*expected \[1, 362\]"):
        load_evaluator(flat, CFG, 19, 19)
    ev = OnnxEvaluator(flat, CFG)
    with pytest.raises(ModelShapeError, match="does not fit"):
        ev.check_board_size(13, 13)
    static = _export(_FlatPolicy(), tmp_path / "static.onnx", dynamic_hw=False)
    with pytest.raises(ModelLoadError, match="cannot evaluate a 19x19 board"):
        load_evaluator(static, CFG, 19, 19)
    player = MctsPlayer(load_evaluator(flat, CFG, 9, 9))
    with pytest.raises(ModelLoadError):
        player.check_board_size(19, 19)


def test_gtp_size_changes_play_searched_moves():
    """The issue's command: 9 -> 19 -> 13 -> 9 with one net, no errors, no fallback moves."""
    script = "boardsize 9\ngenmove b\nboardsize 19\ngenmove b\nboardsize 13\ngenmove b\n" \
             "boardsize 9\ngenmove b\nboardsize 19\nkata-analyze b 10\n"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from gtp.cli import main; main()", "gtp", "--visits", "16",
         "--threads", "1", "--network", str(REPO / "weights" / "zerogo-9x9.onnx")],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdin.write(script)
    proc.stdin.flush()
    lines = []
    while len([x for x in lines if x.startswith("info")]) < 1:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        lines.append(line)
    proc.stdin.write("\nquit\n")
    proc.stdin.flush()
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and "fallback" not in err, err
    moves = [x[2:].strip() for x in lines if x.startswith("= ") and x[2:].strip()]
    assert len(moves) == 4
    assert np.all([m.upper() not in ("PASS", "RESIGN") for m in moves])
    assert lines[-1].startswith("info move ")


@pytest.mark.filterwarnings("ignore")
def test_every_unloadable_network_is_a_model_load_error(net_file, tmp_path):
    good = net_file.read_bytes()
    cases = {"missing": (None, "does not exist"), "empty": (b"", "empty"),
             "truncated": (good[: len(good) // 3], "truncated or corrupt"),
             "random": (np.random.default_rng(1).bytes(4096), "truncated or corrupt"),
             "directory": ("dir", "is a directory")}
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}.onnx"
        if content == "dir":
            path.mkdir()
        elif content is not None:
            path.write_bytes(content)
        with pytest.raises(ModelLoadError, match=message):
            load_evaluator(path, CFG, 9, 9)


class _WrongOwnership(_FlatPolicy):
    def forward(self, x, g):
        return self.lin(g), g.sum(1), g.sum(1), x[:, 0, :3, :3]


@pytest.mark.filterwarnings("ignore")
def test_wrong_output_shape_refused_at_load(tmp_path):
    bad = _export(_WrongOwnership(), tmp_path / "own.onnx", dynamic_hw=True)
    with pytest.raises(ModelShapeError, match="ownership"):
        load_evaluator(bad, CFG, 9, 9)
