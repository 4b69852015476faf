"""The evaluator runs KataGo networks: encoder chosen by metadata, outputs mapped to Evaluation."""

import gzip

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from engine.evaluation import Position
from engine.evaluator import (
    EvaluatorConfig,
    ModelLoadError,
    OnnxEvaluator,
    load_evaluator,
    softmax_legal,
)
from engine.game import Game
from engine.katago import features as KF
from engine.katago.cache import converted_path
from engine.rules import rules_by_name
from tests.katago_tiny import dump_model, random_model
from tests.test_katago_parity import NETS, _network, _position, _reference, compare


@pytest.fixture
def tiny_net(tmp_path, monkeypatch):
    monkeypatch.setenv("ZEROGO_ONNX_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "tiny.bin.gz"
    path.write_bytes(gzip.compress(dump_model(random_model(14, seed=2))))
    return path


def _game():
    game = Game(7)
    game.set_rules(rules_by_name("japanese", 6.5))
    for move in (10, 24, 16, 30, 32):
        game.play(move)
    game.play(game.width * game.height)   # a pass
    return game


def test_katago_model_file_loads_and_maps_outputs(tiny_net):
    evaluator = load_evaluator(tiny_net, EvaluatorConfig(threads=1, cache_size=0))
    assert isinstance(evaluator, OnnxEvaluator) and evaluator.feature_set == "katago-v7"
    assert evaluator.encode_batch is KF.encode_batch
    game = _game()
    pos = Position.from_game(game)
    [ev] = evaluator.evaluate([pos])

    sess = ort.InferenceSession(str(converted_path(tiny_net)), providers=["CPUExecutionProvider"])
    planes, glob = KF.encode(pos)
    names = [o.name for o in sess.get_outputs()]
    out = dict(zip(names, sess.run(None, {"planes": planes[None], "globals": glob[None]})))
    legal = pos.board.legal_mask()[None]
    np.testing.assert_allclose(ev.policy, softmax_legal(out["policy_logits"], legal)[0],
                               atol=1e-6)
    assert ev.policy[~pos.board.legal_mask()].sum() == 0 and abs(ev.policy.sum() - 1) < 1e-5
    win, loss, _ = out["wdl"][0]
    assert ev.value == pytest.approx(win - loss, abs=1e-6)
    assert ev.score_lead == pytest.approx(float(out["score_lead"][0]), abs=1e-5)
    np.testing.assert_allclose(ev.ownership, out["ownership"][0], atol=1e-6)
    raw = evaluator.run_all(planes[None], glob[None])
    assert {"wdl", "score_mean", "score_stdev", "policy_optimistic_logits"} <= set(raw)


def test_refuses_unknown_or_incomplete_katago_metadata(tiny_net, tmp_path):
    for key, value, message in (("feature_set", "leela-v2", "does not compute"),
                                ("katago_model_version", None, "lacks KataGo metadata")):
        proto = onnx.load(str(converted_path(tiny_net)))
        kept = [(p.key, p.value) for p in proto.metadata_props if p.key != key]
        del proto.metadata_props[:]
        for k, v in kept + ([(key, value)] if value else []):
            entry = proto.metadata_props.add()
            entry.key, entry.value = k, v
        path = tmp_path / f"{key}.onnx"
        onnx.save(proto, str(path))
        with pytest.raises(ModelLoadError, match=message):
            OnnxEvaluator(path, EvaluatorConfig(threads=1))


def test_bad_katago_file_is_a_model_load_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ZEROGO_ONNX_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "broken.bin.gz"
    bad.write_bytes(gzip.compress(b"kata1-b18 15 22 19\n"))
    with pytest.raises(ModelLoadError, match="broken.bin.gz.*version 15 is not supported"):
        load_evaluator(bad)


def test_real_net_through_the_evaluator_matches_katago(tmp_path, monkeypatch):
    """The b15 net via load_evaluator(.bin.gz) gives KataGo's numbers (positions without passes)."""
    monkeypatch.setenv("ZEROGO_ONNX_CACHE", str(tmp_path / "cache"))
    evaluator = load_evaluator(_network(NETS["g170e-b15c192"][0]),
                               EvaluatorConfig(threads=2, cache_size=0))
    entries = [e for e in _reference("g170e-b15c192")["positions"]
               if "9x9" in e["sgf"] and "[tt]" not in (
                   _reference_sgf(e["sgf"]))][:6]
    assert len(entries) == 6
    for entry in entries:
        pos = _position(entry)
        [ev] = evaluator.evaluate([pos])
        white = entry["to_move"] == "w"
        sign = 1 if white else -1
        assert ev.value == pytest.approx(sign * (entry["whiteWin"] - entry["whiteLoss"]),
                                         abs=4e-3)
        assert ev.score_lead == pytest.approx(sign * entry["whiteLead"], abs=0.05)
        own = np.array(entry["whiteOwnership"], float)
        assert np.abs(sign * ev.ownership - own).max() <= 0.01
        ref = np.append(np.array([[x or 0.0 for x in row] for row in entry["policy"]]).ravel(),
                        entry["policyPass"])
        assert np.abs(ev.policy - ref).max() <= 1e-3
        raw = evaluator.run_all(*[x[None] for x in KF.encode(pos)])
        assert compare(entry, {k: v for k, v in raw.items()}, 0)["whiteWin"] <= 2e-3


def _reference_sgf(name: str) -> str:
    from tests.test_katago_parity import REFERENCE
    return (REFERENCE / "positions" / name).read_text()


def test_bench_search_takes_a_katago_network(tiny_net):
    from click.testing import CliRunner

    from nets.cli import bench_search_command
    result = CliRunner().invoke(bench_search_command, ["--nets", "", "--leelaz", "", "--sizes", "5",
                                                       "--visits", "16", "--network", str(tiny_net),
                                                       "--tree", "compiled"])
    assert result.exit_code == 0, result.output
    row = result.output.strip().splitlines()[-1].split()
    assert row[:5] == ["zerogo", "tiny.bin", "5", "onnxruntime", "fp32"]   # runtime and precision columns
    assert int(row[5]) >= 15 and float(row[7]) > 0
    assert len(row) == 15 and float(row[12]) > 0        # the search's own microseconds per visit
    assert row[13] == "no"                               # ONNX Runtime's runs do not overlap the search
    assert row[14] == "python"                           # KataGo's features: the compiled tree cannot run


def test_bench_search_pipelined_and_not_side_by_side(tiny_net):
    from click.testing import CliRunner

    from nets.cli import bench_search_command
    result = CliRunner().invoke(bench_search_command, ["--nets", "", "--leelaz", "", "--sizes", "5", "--visits", "32",
                                                       "--network", str(tiny_net), "--settings", "openvino:fp32",
                                                       "--pipeline", "both"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.strip().splitlines()[-2:]]
    assert [r[3] for r in rows] == ["openvino", "openvino"] and [r[13] for r in rows] == ["no", "yes"]
    assert float(rows[0][12]) > 0 and rows[1][12] == "-"     # overlapped: no time of its own to split off
    assert all(int(r[5]) >= 31 and float(r[7]) > 0 for r in rows)


def test_bench_search_from_an_sgf_position(tiny_net, tmp_path):
    from click.testing import CliRunner

    from nets.cli import bench_search_command
    from nets.cli.bench import _bench_position
    sgf = tmp_path / "game.sgf"
    sgf.write_text("(;GM[1]FF[4]SZ[5]KM[0.5];B[cc];W[bb];B[dd];W[cb])")
    assert len(_bench_position(sgf, None).moves) == 4 and len(_bench_position(sgf, 2).moves) == 2
    args = ["--nets", "", "--leelaz", "", "--sizes", "9", "--visits", "16", "--network", str(tiny_net),
            "--position", str(sgf), "--moves", "3"]
    result = CliRunner().invoke(bench_search_command, args)
    assert result.exit_code == 0, result.output
    row = result.output.strip().splitlines()[-1].split()
    assert row[:3] == ["zerogo", "tiny.bin", "5"] and int(row[5]) >= 15   # the SGF's size, not --sizes
    (tmp_path / "rect.sgf").write_text("(;GM[1]FF[4]SZ[5:4];B[cc])")
    bad = CliRunner().invoke(bench_search_command, args[:-4] + ["--position", str(tmp_path / "rect.sgf")])
    assert bad.exit_code != 0 and "square boards" in bad.output


def test_bench_nn_takes_a_katago_network(tiny_net):
    from click.testing import CliRunner

    from nets.cli import bench_nn_command
    result = CliRunner().invoke(bench_nn_command, [
        "--configs", "", "--sizes", "5", "--batches", "1,4", "--threads", "1", "--peak-n", "256",
        "--min-seconds", "0.05", "--network", str(tiny_net), "--settings", "onnxruntime:fp32,openvino:bf16"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "evals/s" in line]
    assert len(rows) == 4 and all("GFLOP/s" in r and "nan" not in r for r in rows), rows
    assert sum("openvino cpu bf16" in r for r in rows) == 2      # each --settings pair gets its rows


def test_bench_accuracy_takes_a_katago_network(tiny_net, tmp_path):
    """bench accuracy runs a KataGo .bin.gz through its cached conversion (it used to refuse it)."""
    from click.testing import CliRunner

    from gtp.bench.accuracy import bench_accuracy_command
    games = tmp_path / "games"
    games.mkdir()
    for i, moves in enumerate(["B[cc];W[bb];B[dc];W[cb];B[db];W[bd]", "B[bc];W[cc];B[cb];W[dc];B[db];W[cd]"]):
        (games / f"g{i}.sgf").write_text(f"(;GM[1]FF[4]SZ[5]KM[0.5];{moves})")
    result = CliRunner().invoke(bench_accuracy_command, [
        "--network", str(tiny_net), "--games", str(games), "--size", "5", "--per-game", "4",
        "--positions", "8", "--settings", "openvino:fp32", "--threads", "1", "--batch", "4",
        "--seconds", "0.1"])
    assert result.exit_code == 0, result.output
    rows = {" ".join(line.split()[:2]): line.split() for line in result.output.splitlines()
            if line.startswith(("onnxruntime fp32", "openvino fp32"))}
    assert set(rows) == {"onnxruntime fp32", "openvino fp32"}
    assert float(rows["openvino fp32"][2]) >= 0.99      # fp32 through OpenVINO picks the same moves
