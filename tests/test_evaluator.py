"""OnnxEvaluator, CachedEvaluator, default network lookup and refusal of bad model files."""

import numpy as np
import onnx
import pytest
import torch

from engine import coords
from engine import features as F
from engine.board import Board
from engine.evaluation import Evaluator, Position, UniformEvaluator
from engine.eval_cache import CachedEvaluator
from engine.evaluator import EvaluatorConfig, ModelLoadError, OnnxEvaluator, default_network_path, load_evaluator
from engine.onnx_model import choose_providers, physical_cores, provider_entry
from engine.game import Game
from engine.rules import rules_by_name
from engine.symmetry import inverse_symmetry_policy, inverse_symmetry_planes, move_permutation
from nets.export import export_onnx, random_net, random_positions
from nets.torch_evaluator import TorchEvaluator

torch.set_num_threads(1)
CFG = EvaluatorConfig(threads=1, cache_size=0)


@pytest.fixture(scope="module")
def net_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("nets") / "zerogo-9x9.onnx"
    model = random_net("b2c16", seed=11)
    export_onnx(model, path, {"provenance": "test"}, check_sizes=(9,))
    return model, path


KO = """
 . . . . . . . . .
 . X O . . . . . .
 X O . O . . . . .
 . X O . . . . . .
 . . . . . . . . .
 . . . . . . . . .
 . . . . . . . . .
 . . . . . . . . .
 . . . . . . . . .
"""


def test_policy_is_legal_and_normalised(net_file):
    ev = OnnxEvaluator(net_file[1], CFG)
    board = Board.from_ascii(KO)
    after = board.copy()
    after.play(2 * 9 + 2)                      # black captures; white may not retake at (2, 1)
    out = ev.evaluate([Position([after, board], rules_by_name("chinese"))])[0]
    assert out.policy.shape == (82,) and out.policy.sum() == pytest.approx(1.0, abs=1e-5)
    occupied = [p for p in range(81) if after.stones[p] != 0]
    assert np.all(out.policy[occupied] == 0) and out.policy[2 * 9 + 1] == 0
    legal = after.legal_mask()
    assert np.all(out.policy[legal] > 0)
    assert -1 <= out.value <= 1 and out.ownership.shape == (9, 9)


def test_matches_torch_and_keeps_order_across_sizes(net_file):
    model, path = net_file
    positions = random_positions(3, 9, seed=1) + random_positions(2, 13, seed=2) \
        + random_positions(2, 9, seed=3)
    ev = OnnxEvaluator(path, EvaluatorConfig(threads=1, batch_size=2))
    got = ev.evaluate(positions)
    ref = TorchEvaluator(model, device="cpu").evaluate(positions)
    for g, r, p in zip(got, ref, positions):
        assert g.policy.shape == (p.board.area + 1,)
        assert np.allclose(g.policy, r.policy, atol=1e-5)
        assert g.value == pytest.approx(r.value, abs=1e-5)
        assert g.score_lead == pytest.approx(r.score_lead, abs=1e-3)
    alone = ev.evaluate([positions[4]])[0]
    assert np.allclose(alone.policy, got[4].policy, atol=1e-6)


class _FixedSymmetry(OnnxEvaluator):
    k = 0

    def _symmetry(self, pos):
        return self.k


@pytest.mark.parametrize("k", [3, 5, 6])
def test_symmetry_evaluation_is_inverse_mapped(net_file, k):
    """Evaluating P under symmetry k == evaluating the transformed game, mapped back."""
    image = np.argsort(move_permutation(k, 9, 9))
    g, gk = Game(9), Game(9)
    for v in ["C3", "D4", "E5", "G7", "B2"]:
        m = coords.from_gtp(v, 9, 9)
        g.play(m)
        gk.play(int(image[m]))
    ev = _FixedSymmetry(net_file[1], CFG)
    ev.k = k
    sym = ev.evaluate([Position.from_game(g)])[0]
    ev.k = 0
    plain_k = ev.evaluate([Position.from_game(gk)])[0]
    assert np.allclose(sym.policy, inverse_symmetry_policy(plain_k.policy, k, 9, 9), atol=1e-6)
    assert np.allclose(sym.ownership, inverse_symmetry_planes(plain_k.ownership, k), atol=1e-6)
    assert sym.value == pytest.approx(plain_k.value, abs=1e-6)


def test_random_symmetry_varies(net_file):
    ev = OnnxEvaluator(net_file[1], EvaluatorConfig(threads=1, random_symmetry=True, seed=0))
    pos = random_positions(1, 9, seed=4)[0]
    policies = {tuple(np.round(ev.evaluate([pos])[0].policy, 6)) for _ in range(12)}
    assert len(policies) > 1


class _Counting(Evaluator):
    def __init__(self):
        self.calls, self.seen = 0, 0

    def evaluate(self, positions):
        self.calls += 1
        self.seen += len(positions)
        return UniformEvaluator().evaluate(positions)


def test_cache_hits_dedupes_and_evicts():
    inner = _Counting()
    cache = CachedEvaluator(inner, size=3)
    a, b, c, d = random_positions(4, 9, seed=6, max_moves=20)
    out = cache.evaluate([a, b, a])
    assert inner.seen == 2 and out[0] is out[2]
    assert cache.evaluate([a])[0] is out[0] and inner.calls == 1
    cache.evaluate([c, d])                       # evicts b (least recently used)
    assert len(cache.cache) == 3 and b.key() not in cache.cache and a.key() in cache.cache
    assert (cache.hits, cache.misses) == (2, 4)
    komi = Position(a.boards, a.rules.with_komi(0.5))
    cache.evaluate([komi])
    assert inner.seen == 5                       # another komi is another position


def test_load_evaluator_and_default_lookup(net_file, tmp_path):
    assert default_network_path(9, 9, tmp_path) is None
    with pytest.raises(ModelLoadError, match="no network for 9x9"):
        load_evaluator(None, CFG, 9, 9, weights_dir=tmp_path)
    (tmp_path / "zerogo-19x19.onnx").write_bytes(net_file[1].read_bytes())
    assert default_network_path(13, 13, tmp_path).name == "zerogo-19x19.onnx"
    assert default_network_path(7, 7, tmp_path).name == "zerogo-19x19.onnx"
    (tmp_path / "zerogo-9x9.onnx").write_bytes(net_file[1].read_bytes())
    assert default_network_path(7, 7, tmp_path).name == "zerogo-9x9.onnx"
    assert default_network_path(19, 19, tmp_path).name == "zerogo-19x19.onnx"
    ev = load_evaluator(None, EvaluatorConfig(threads=1), 9, 9, weights_dir=tmp_path)
    assert isinstance(ev, CachedEvaluator) and isinstance(ev.inner, OnnxEvaluator)
    assert ev.inner.meta["config"] == "b2c16"


def test_providers_choice():
    avail = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert choose_providers("auto", avail) == avail
    assert choose_providers("auto", avail[1:]) == avail[1:]
    assert choose_providers("CUDA", avail) == avail[1:]
    with pytest.raises(ModelLoadError, match="not available"):
        choose_providers("cuda", ["CPUExecutionProvider"])
    assert physical_cores() >= 1


def test_tensorrt_provider_options(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert provider_entry("CPUExecutionProvider") == "CPUExecutionProvider"
    name, opts = provider_entry("TensorrtExecutionProvider")
    assert name == "TensorrtExecutionProvider" and opts["trt_engine_cache_enable"]
    assert opts["trt_engine_cache_path"].startswith(str(tmp_path)) and opts["trt_fp16_enable"]


def _set_meta(src, dst, **changes):
    model = onnx.load(str(src))
    props = {p.key: p.value for p in model.metadata_props}
    props.update(changes)
    del model.metadata_props[:]
    for k, v in props.items():
        if v is not None:
            e = model.metadata_props.add()
            e.key, e.value = k, str(v)
    onnx.save(model, str(dst))


def test_bad_files_refused(net_file, tmp_path):
    path = net_file[1]
    with pytest.raises(ModelLoadError, match="does not exist"):
        OnnxEvaluator(tmp_path / "nope.onnx", CFG)
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelLoadError, match="truncated or corrupt"):
        OnnxEvaluator(cut, CFG)
    old = tmp_path / "old.onnx"
    _set_meta(path, old, feature_version=F.FEATURE_VERSION + 1)
    with pytest.raises(ModelLoadError, match="features version"):
        OnnxEvaluator(old, CFG)
    bare = tmp_path / "bare.onnx"
    _set_meta(path, bare, provenance=None, config=None)
    with pytest.raises(ModelLoadError, match="lacks zerogo metadata"):
        OnnxEvaluator(bare, CFG)
    with pytest.raises(ModelLoadError, match="not available"):
        OnnxEvaluator(path, EvaluatorConfig(provider="tensorrt", threads=1))


class _Wrong(torch.nn.Module):
    def forward(self, x, g):
        return x.sum(dim=(1, 2, 3)), g.sum(1), g.sum(1), x[:, 0]


@pytest.mark.filterwarnings("ignore")
def test_wrong_inputs_refused(tmp_path):
    for names, chans, match in [(["x", "globals"], F.NUM_PLANES, "has inputs"),
                                (["planes", "globals"], F.NUM_PLANES + 1, "channels")]:
        path = tmp_path / "wrong.onnx"
        torch.onnx.export(_Wrong(), (torch.zeros(1, chans, 9, 9), torch.zeros(1, F.NUM_GLOBALS)),
                          str(path), input_names=names,
                          output_names=["policy_logits", "value", "score_lead", "ownership"],
                          dynamo=False)
        _set_meta(path, path, feature_version=F.FEATURE_VERSION, config="x", board_sizes="9",
                  training_step=0, provenance="x")
        with pytest.raises(ModelLoadError, match=match):
            OnnxEvaluator(path, CFG)
