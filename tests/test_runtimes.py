"""CPU runtimes and precisions (engine.runtimes): choice, int8 cache, accuracy against fp32, play, auto fallback.

The error bounds below are the ones measured by ``zerogo bench accuracy`` on
the shipped 9x9 net (1,000 held-out positions from the shipped games, see the
README), with a margin: on 128 fixed positions int8 agreed on the top move
~0.93 of the time (KL ~0.007, value error ~0.02), OpenVINO bf16 ~0.99
(value error ~0.005), OpenVINO fp32 exactly.
"""

import logging
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest

from engine import calibration, runtime_accuracy, runtimes
from engine import features as F
from engine.evaluation import Position
from engine.evaluator import (
    OUTPUT_NAMES,
    WEIGHTS_DIR,
    EvaluatorConfig,
    ModelLoadError,
    OnnxEvaluator,
    calibration_sizes,
    load_evaluator,
)
from engine.game import Game
from engine.player import MoveLimits
from engine.search import SearchConfig, Searcher

NET = WEIGHTS_DIR / "zerogo-9x9.onnx"
AVX512 = frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"})
AMX = AVX512 | {"amx_bf16", "amx_int8", "amx_tile"}

# (runtime, precision) -> (min top-1, max KL, max mean value error, max mean score error)
BOUNDS = {
    ("onnxruntime", "int8"): (0.85, 0.02, 0.04, 1.0),
    ("openvino", "fp32"): (0.99, 1e-5, 1e-4, 1e-3),
    ("openvino", "bf16"): (0.95, 0.002, 0.015, 0.3),
    ("openvino", "int8"): (0.85, 0.02, 0.04, 1.0),
}


@pytest.fixture(autouse=True)
def steady_speed(monkeypatch):
    """auto also times each candidate against fp32; timing is the benchmarks' job, so here every
    candidate is taken as twice as fast (one test below makes it slower)."""
    monkeypatch.setattr(runtimes, "measure_speedup", lambda *args, **kw: 2.0)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("converted")


def config(cache_dir, runtime, precision):
    return EvaluatorConfig(threads=1, cache_size=0, runtime=runtime, precision=precision,
                           convert_dir=str(cache_dir))


@pytest.fixture(scope="module")
def fixed_batches():
    """128 fixed positions from shipped games the calibration never sees (games 400 on)."""
    positions = calibration.game_positions(calibration.SHIPPED_GAMES, 128, seed=5, size=9,
                                           skip_games=400, max_games=10_000)
    return _batches(positions)


def _batches(positions, size: int = 32) -> list[tuple[dict, np.ndarray]]:
    """(feeds, legal masks) for ``positions``, ``size`` at a time."""
    out = []
    for i in range(0, len(positions), size):
        chunk = positions[i:i + size]
        planes, glob = F.encode_batch(chunk)
        out.append(({"planes": planes, "globals": glob},
                    np.stack([p.board.legal_mask() for p in chunk])))
    return out


# ----------------------------------------------------------------- choosing
def test_cpu_flags_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512_vnni\n")
    assert runtimes.cpu_flags(str(info)) == {"fpu", "sse", "avx2", "avx512_vnni"}
    assert runtimes.cpu_flags(str(tmp_path / "missing")) == frozenset()


def test_auto_order_follows_the_cpu():
    assert runtimes.auto_order(AMX, True)[0] == ("openvino", "bf16")
    assert runtimes.auto_order(AVX512, True) == [("onnxruntime", "int8"), ("openvino", "bf16"),
                                                 ("onnxruntime", "fp32")]
    assert runtimes.auto_order(frozenset({"avx2"}), True) == [("openvino", "int8"), ("onnxruntime", "int8"),
                                                              ("onnxruntime", "fp32")]
    assert runtimes.auto_order(frozenset({"avx2"}), False) == [("onnxruntime", "int8"), ("onnxruntime", "fp32")]
    assert runtimes.auto_order(frozenset({"sse4_2"}), True) == [("onnxruntime", "fp32")]
    for flags in (AMX, AVX512):   # without OpenVINO, never an OpenVINO setting
        assert all(rt == "onnxruntime" for rt, _ in runtimes.auto_order(flags, False))


def test_explicit_choices_and_clear_errors():
    assert runtimes.candidates("onnxruntime", "int8", frozenset(), False) == [("onnxruntime", "int8")]
    assert runtimes.candidates("auto", "bf16", AMX, True) == [("openvino", "bf16")]
    assert runtimes.candidates("openvino", "auto", AVX512, True)[0] == ("openvino", "bf16")
    with pytest.raises(runtimes.RuntimeChoiceError, match="needs OpenVINO"):
        runtimes.candidates("onnxruntime", "bf16", AMX, True)
    with pytest.raises(runtimes.RuntimeChoiceError, match="not installed"):
        runtimes.candidates("openvino", "fp32", AMX, False)
    with pytest.raises(runtimes.RuntimeChoiceError, match="unknown precision"):
        runtimes.candidates("auto", "fp8", AMX, True)
    with pytest.raises(runtimes.RuntimeChoiceError, match="unknown runtime"):
        runtimes.candidates("tensorflow", "fp32", AMX, True)


def test_evaluator_refuses_an_impossible_setting(cache_dir):
    with pytest.raises(ModelLoadError, match="needs OpenVINO"):
        OnnxEvaluator(NET, config(cache_dir, "onnxruntime", "bf16"))


# ----------------------------------------------------------------- int8 cache
def test_int8_is_made_once_and_keyed_by_the_source(cache_dir, tmp_path):
    ev = OnnxEvaluator(NET, config(cache_dir, "onnxruntime", "int8"))
    assert ev.runtime == "onnxruntime int8"
    made = list(cache_dir.glob("zerogo-9x9-*-int8.onnx"))
    assert len(made) == 1
    stamp = made[0].stat().st_mtime_ns
    OnnxEvaluator(NET, config(cache_dir, "onnxruntime", "int8"))
    assert made[0].stat().st_mtime_ns == stamp   # reused, not remade
    meta = {p.key: p.value for p in onnx.load(str(made[0])).metadata_props}
    assert meta["precision"] == "int8" and meta["feature_version"] == str(F.FEATURE_VERSION)
    other = tmp_path / "zerogo-9x9.onnx"
    other.write_bytes(NET.read_bytes() + b"\0")   # other bytes, other key
    request = runtimes.RuntimeRequest(cache_dir=cache_dir, probe_key="k")
    assert runtimes.quantized_path(NET, "k", request) != runtimes.quantized_path(other, "k", request)
    assert runtimes.quantized_path(NET, "k", request) != runtimes.quantized_path(NET, "k2", request)


def _quantized(model, op_type: str) -> set[str]:
    """The ``op_type`` nodes of a QDQ model with an input (weights or activations) from a DequantizeLinear."""
    dequantized = {out for n in model.graph.node if n.op_type == "DequantizeLinear" for out in n.output}
    return {n.name for n in model.graph.node if n.op_type == op_type and set(n.input) & dequantized}


def test_int8_keeps_the_stem_and_the_heads_fp32(cache_dir):
    """Only the trunk's 3x3 convolutions are quantized: the stem and the 1x1 head convolutions stay fp32."""
    OnnxEvaluator(NET, config(cache_dir, "onnxruntime", "int8"))
    made = onnx.load(str(next(cache_dir.glob("zerogo-9x9-*-int8.onnx"))))
    source = onnx.load(str(NET))
    convs = [n for n in source.graph.node if n.op_type == "Conv"]
    kept = set(runtimes.float_convs(source))
    stem = {n.name for n in convs if n.input[0] == "planes"}
    weights = {i.name: tuple(i.dims) for i in source.graph.initializer}
    pointwise = {n.name for n in convs if weights[n.input[1]][2:] == (1, 1)}
    assert stem and pointwise and kept == stem | pointwise
    assert _quantized(made, "Conv") == {n.name for n in convs} - kept
    assert any(n.op_type == "MatMul" for n in made.graph.node) and not _quantized(made, "MatMul")


def test_the_19x19_nets_int8_copy_passes_autos_check(cache_dir):
    """The shipped 19x19 net's int8 copy agrees with fp32 within auto's bounds (a stem in int8 did not:
    value error 0.033-0.037 on an AVX2-only CPU)."""
    net = WEIGHTS_DIR / "zerogo-19x19.onnx"
    ref = OnnxEvaluator(net, EvaluatorConfig(threads=1, cache_size=0))
    ev = OnnxEvaluator(net, config(cache_dir, "onnxruntime", "int8"))
    batches = _batches(calibration.game_positions(calibration.GAMES_BY_SIZE[19], 64, seed=11, size=19))
    probe = runtime_accuracy.Probe([], [feeds for feeds, _ in batches], [legal for _, legal in batches])
    m = runtime_accuracy.check_accuracy(ref.session, ev.session, list(OUTPUT_NAMES), probe)
    assert m["positions"] == 64 and runtime_accuracy.AccuracyBounds().passes(m), m


# ----------------------------------------------------------------- accuracy
@pytest.mark.parametrize("setting", list(BOUNDS))
def test_each_setting_is_within_its_measured_bounds(setting, cache_dir, fixed_batches):
    ref = OnnxEvaluator(NET, EvaluatorConfig(threads=1, cache_size=0))
    ev = OnnxEvaluator(NET, config(cache_dir, *setting))
    assert ev.runtime == " ".join(setting)
    names = list(OUTPUT_NAMES)
    m = runtime_accuracy.summarize([runtime_accuracy.compare(ref.session.run(names, feeds),
                                                             ev.session.run(names, feeds), legal)
                                    for feeds, legal in fixed_batches])
    top1, kl, value, score = BOUNDS[setting]
    assert m["positions"] == 128 and m["clear"] >= 64
    assert m["top1"] >= top1 and m["top1_clear"] >= top1 and m["kl"] <= kl, m
    assert m["value_mae"] <= value and m["score_mae"] <= score, m


def test_compare_measures_disagreement():
    legal = np.ones((2, 3), bool)
    ref = [np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([0.5, -0.5]), np.array([3.0, 1.0])]
    got = [np.array([[0.0, 2.0, 0.0], [0.0, 1.0, 0.0]]), np.array([0.4, -0.5]), np.array([1.0, 1.0])]
    m = runtime_accuracy.compare(ref, got, legal)
    assert m["top1"].tolist() == [0.0, 1.0]
    assert m["clear"].tolist() == [1.0, 1.0]     # fp32's best leads by far more than 0.05 in both
    assert m["kl"][0] > 0.5 and m["kl"][1] == pytest.approx(0.0)
    assert m["value_err"] == pytest.approx([0.1, 0.0])
    assert m["score_err"] == pytest.approx([2.0, 0.0])


# ----------------------------------------------------------------- play
@pytest.mark.parametrize("setting", [("onnxruntime", "int8"), ("openvino", "bf16"), ("auto", "auto")])
def test_each_setting_plays_legal_moves(setting, cache_dir):
    ev = OnnxEvaluator(NET, config(cache_dir, *setting))
    searcher = Searcher(ev, SearchConfig(batch_size=8, seed=1))
    game = Game(9)
    for _ in range(12):
        result = searcher.search(game, MoveLimits(visits=24))
        assert game.illegal_reason(result.move) is None
        game.play(result.move)
    evals = ev.evaluate([Position.from_game(game)])
    assert evals[0].policy[~game.board.legal_mask()].sum() == 0.0


# ----------------------------------------------------------------- auto fallback
def test_auto_without_openvino_falls_back_cleanly(cache_dir, monkeypatch, caplog):
    """No openvino package (import fails) on an AMX CPU: auto must not try it, and says what it chose."""
    monkeypatch.setitem(sys.modules, "openvino", None)   # `import openvino` raises ImportError
    monkeypatch.setattr(runtimes, "openvino_available", lambda: False)
    monkeypatch.setattr(runtimes, "cpu_flags", lambda cpuinfo="/proc/cpuinfo": AMX)
    with caplog.at_level(logging.INFO, logger="engine.runtimes"):
        ev = OnnxEvaluator(NET, config(cache_dir, "auto", "auto"))
    assert ev.runtime == "onnxruntime int8"
    assert "auto runtime: chose onnxruntime int8" in caplog.text
    with pytest.raises(ModelLoadError, match="not installed"):
        OnnxEvaluator(NET, config(cache_dir, "openvino", "bf16"))


def test_auto_skips_a_setting_that_fails_to_load(cache_dir, monkeypatch, caplog):
    """OpenVINO 'available' but broken (import fails): auto reports it and takes the next setting."""
    monkeypatch.setitem(sys.modules, "openvino", None)
    monkeypatch.setattr(runtimes, "openvino_available", lambda: True)
    monkeypatch.setattr(runtimes, "cpu_flags", lambda cpuinfo="/proc/cpuinfo": AMX)
    with caplog.at_level(logging.INFO, logger="engine.runtimes"):
        ev = OnnxEvaluator(NET, config(cache_dir, "auto", "auto"))
    assert ev.runtime == "onnxruntime int8"
    assert "openvino bf16 did not load" in caplog.text


def test_auto_rejects_a_setting_that_fails_the_accuracy_check(cache_dir, monkeypatch, caplog):
    """Bounds nobody can meet: auto falls back to fp32 and says which check failed."""
    monkeypatch.setattr(runtimes, "openvino_available", lambda: False)
    monkeypatch.setattr(runtimes, "cpu_flags", lambda cpuinfo="/proc/cpuinfo": AVX512)
    monkeypatch.setattr(runtime_accuracy.AccuracyBounds, "passes", lambda self, m: m["top1"] > 1.0)
    with caplog.at_level(logging.INFO, logger="engine.runtimes"):
        ev = OnnxEvaluator(NET, config(cache_dir, "auto", "auto"))
    assert ev.runtime == "onnxruntime fp32"
    assert "onnxruntime int8 failed the accuracy check" in caplog.text


def test_auto_keeps_fp32_when_nothing_is_faster(tmp_path, monkeypatch, caplog):
    """A candidate that passes the accuracy check but is slower than fp32 here is not chosen."""
    monkeypatch.setattr(runtimes, "measure_speedup", lambda *args, **kw: 0.6)
    monkeypatch.setattr(runtimes, "openvino_available", lambda: False)
    monkeypatch.setattr(runtimes, "cpu_flags", lambda cpuinfo="/proc/cpuinfo": AVX512)
    with caplog.at_level(logging.INFO, logger="engine.runtimes"):
        ev = OnnxEvaluator(NET, config(tmp_path, "auto", "auto"))
    assert ev.runtime == "onnxruntime fp32"
    assert "onnxruntime int8 was not faster here (0.60x fp32)" in caplog.text


def test_auto_verdicts_are_kept_per_cpu(tmp_path, monkeypatch):
    """A cached verdict (accuracy and speed-up) is reused on the same CPU, not on one with other features."""
    timed = []
    monkeypatch.setattr(runtimes, "measure_speedup", lambda *args, **kw: timed.append(1) or 2.0)
    monkeypatch.setattr(runtimes, "openvino_available", lambda: False)
    monkeypatch.setattr(runtimes, "cpu_flags", lambda cpuinfo="/proc/cpuinfo": AVX512)
    for _ in range(2):
        assert OnnxEvaluator(NET, config(tmp_path, "auto", "auto")).runtime == "onnxruntime int8"
    assert len(timed) == 1
    monkeypatch.setattr(runtimes, "cpu_flags", lambda cpuinfo="/proc/cpuinfo": AMX)
    assert OnnxEvaluator(NET, config(tmp_path, "auto", "auto")).runtime == "onnxruntime int8"
    assert len(timed) == 2
    assert len(list(tmp_path.glob("*-check.json"))) == 2


def test_gtp_refuses_a_runtime_it_cannot_run(monkeypatch):
    """`zerogo gtp --precision bf16` without OpenVINO is a usage error, not a silent weaker player."""
    from gtp.server.players import EngineOptions, PlayerError, make_player
    monkeypatch.setattr(runtimes, "openvino_available", lambda: False)
    with pytest.raises(PlayerError, match="OpenVINO"):
        make_player(EngineOptions(size=9, precision="bf16"))
    with pytest.raises(PlayerError, match="not installed"):
        make_player(EngineOptions(size=9, runtime="openvino"))
    player = make_player(EngineOptions(size=9, precision="int8", threads=1))
    assert "int8" in player.evaluator.inner.runtime


def _unpinned_env(home) -> dict:
    """This environment without the suite's fp32 pin (tests/conftest.py), with ``home`` for auto's cache."""
    env = {k: v for k, v in os.environ.items() if k not in ("ZEROGO_RUNTIME", "ZEROGO_PRECISION")}
    env["HOME"] = str(home)          # auto's converted nets and verdicts go to ~/.cache
    return env


def test_the_command_line_plays_with_auto_by_default(tmp_path):
    """`zerogo gtp` with no runtime option (and no ZEROGO_RUNTIME) runs auto and says on stderr what it chose."""
    env = _unpinned_env(tmp_path)
    done = subprocess.run([sys.executable, "-m", "gtp.cli", "gtp", "--size", "9", "--threads", "1"],
                          input="genmove b\nquit\n", capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "auto runtime: chose" in done.stderr
    assert done.stdout.startswith("= ") and "?" not in done.stdout
    env["ZEROGO_RUNTIME"], env["ZEROGO_PRECISION"] = "onnxruntime", "fp32"   # what the other tests pin
    done = subprocess.run([sys.executable, "-m", "gtp.cli", "gtp", "--size", "9", "--threads", "1"],
                          input="quit\n", capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0 and "auto runtime" not in done.stderr
    assert "on CPUExecutionProvider" in done.stderr   # the exact fp32 export, as EngineOptions builds it


def test_zerogo_analysis_takes_the_runtime_options(tmp_path):
    """`zerogo analysis` (KaTrain's engine) runs auto by default too, and an explicit setting is obeyed."""
    env = _unpinned_env(tmp_path)
    query = '{"id":"q","moves":[],"rules":"chinese","komi":7,"boardXSize":9,"boardYSize":9,"maxVisits":8}\n'
    for extra, expect in (([], r"auto runtime: chose"), (["--precision", "int8"], r"auto runtime: chose \w+ int8")):
        done = subprocess.run([sys.executable, "-m", "gtp.cli", "analysis", "--threads", "1", *extra],
                              input=query, capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr
        assert re.search(expect, done.stderr), done.stderr
        assert '"id":"q"' in done.stdout and '"moveInfos"' in done.stdout


def test_policy_games_cover_openings_to_late_games():
    """Calibration positions for sizes without records span the game, not just its first plies."""
    from engine.evaluation import UniformEvaluator
    positions = calibration.policy_game_positions(UniformEvaluator().evaluate, 9, count=32, seed=1, games=4)
    assert len(positions) == 32
    stones = sorted(int(np.count_nonzero(np.asarray(p.board.stones))) for p in positions)
    assert stones[0] <= 8 and stones[-1] >= 30, stones      # 54 plies of 81 points: late positions too
    assert len({p.board.width for p in positions}) == 1


def test_19x19_calibration_uses_the_shipped_games():
    """A 19x19 net is calibrated and checked on the shipped 19x19 records, no sampled games needed."""
    assert calibration.GAMES_BY_SIZE[19].is_file()

    def no_sampling(positions):
        raise AssertionError("policy games were played for a size that has records")
    probe = calibration.make_probe(lambda ps: {"n": len(ps)}, no_sampling, [19], calibration_count=32,
                                   check_count=32)
    assert sum(f["n"] for f in probe.calibration) == 32 and sum(f["n"] for f in probe.check) == 32
    assert calibration.source_digest(calibration.GAMES_BY_SIZE[19])[:16] in probe.key
    assert "policy-games-v2" in calibration.probe_key([13, 19]) and probe.key != calibration.probe_key([13])


def test_calibration_sizes_prefer_the_nets_own():
    assert calibration_sizes({"board_sizes": "13,19"}, 19) == [13, 19]
    assert calibration_sizes({"board_sizes": "9"}, 19) == [9]
    assert calibration_sizes({"board_sizes": "any"}, 19) == [19]
    assert calibration_sizes({"board_sizes": "any"}) == []


def test_a_net_for_any_size_is_calibrated_on_the_board_it_plays(cache_dir, tmp_path, monkeypatch):
    """A KataGo net declares no sizes; its int8 copy must be made and checked on the board it plays."""
    model = onnx.load(str(NET))
    for prop in model.metadata_props:
        if prop.key == "board_sizes":
            prop.value = "any"
    any_net = tmp_path / "any-size.onnx"
    onnx.save(model, str(any_net))
    asked = []
    make_probe = calibration.make_probe

    def recording(feeds, evaluate, sizes, *args, **kwargs):
        asked.append(list(sizes))
        return make_probe(feeds, evaluate, sizes, *args, **kwargs)
    monkeypatch.setattr(calibration, "make_probe", recording)
    ev = load_evaluator(any_net, config(cache_dir, "onnxruntime", "int8"), width=7, height=7)
    assert asked == [[7]]
    assert ev.runtime == "onnxruntime int8"
    request = runtimes.RuntimeRequest(cache_dir=cache_dir, probe_key="")
    made = list(cache_dir.glob("any-size-*-int8.onnx"))
    assert made == [runtimes.quantized_path(any_net, calibration.probe_key([7]), request)]
