"""Growing a trained net into a bigger config (nets.widen, `zerogo train --init SMALL --config BIG`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import features as F
from engine.evaluation import Position
from engine.evaluator import WEIGHTS_DIR
from engine.game import Game
from nets.model import ZeroGoNet, get_config, load_checkpoint
from nets.train import TrainError, Trainer
from nets.widen import WidenError, widen_into, widen_problem
from tests.test_train import _settings, shard_dir  # noqa: F401  (the fixture)

torch.set_num_threads(1)


def _trained_like(name: str, seed: int) -> ZeroGoNet:
    """A net whose every weight and BatchNorm statistic is random (not the init's 1s and 0s)."""
    torch.manual_seed(seed)
    net = ZeroGoNet(get_config(name))
    with torch.no_grad():
        for key, t in net.state_dict().items():
            if key.endswith("running_var"):
                t.uniform_(0.5, 2.0)
            elif t.is_floating_point():
                t.normal_(0, 0.3)
    return net.eval()


def _inputs(size: int, n: int = 5, board: int | None = None):
    """Random stones on a ``board``-sized area of a ``size`` grid, with the mask plane."""
    g = torch.Generator().manual_seed(size)
    planes = (torch.rand(n, F.NUM_PLANES, size, size, generator=g) < 0.3).float()
    planes[:, F.MASK_PLANE] = 0
    b = board or size
    planes[:, F.MASK_PLANE, :b, :b] = 1
    planes *= planes[:, F.MASK_PLANE:F.MASK_PLANE + 1]
    return planes, torch.rand(n, F.NUM_GLOBALS, generator=g)


def _same_outputs(a: ZeroGoNet, b: ZeroGoNet, planes, globals_, atol=1e-5):
    with torch.no_grad():
        x, y = a.eval()(planes, globals_), b.eval()(planes, globals_)
    for key in x:
        np.testing.assert_allclose(y[key].numpy(), x[key].numpy(), atol=atol, rtol=1e-5, err_msg=key)


def test_a_grown_net_computes_what_the_small_one_did():
    small = _trained_like("b2c16", 0)
    big = ZeroGoNet(get_config("b4c32"))     # more of everything, and a global-pooling block
    widen_into(small.state_dict(), small.config, big)
    _same_outputs(small, big, *_inputs(9, board=7))
    before = {k: v.clone() for k, v in big.state_dict().items()}
    assert not torch.equal(before["blocks.3.conv1.weight"], torch.zeros_like(before["blocks.3.conv1.weight"]))
    assert (before["blocks.3.conv2.weight"][:16] == 0).all()   # a new block adds nothing to old channels


def test_the_shipped_student_grows_into_b10c128_on_real_positions():
    small, _ = load_checkpoint(WEIGHTS_DIR / "zerogo-19x19-b6c64.pt")
    big = ZeroGoNet(get_config("b10c128"))
    widen_into(small.state_dict(), small.config, big)
    game = Game(19)
    for colour, vertex in zip("bwbwbwb", ("Q16", "D4", "Q3", "D16", "R5", "C10", "K10")):
        game.play_gtp(colour, vertex)
    positions = [Position.from_game(game), Position.from_game(Game(19))]
    planes, glob = (torch.from_numpy(a) for a in F.encode_batch(positions))
    _same_outputs(small, big, planes, glob, atol=2e-4)


def test_training_reaches_the_new_parts():
    small = _trained_like("b2c16", 1)
    big = ZeroGoNet(get_config("b4c32"))
    widen_into(small.state_dict(), small.config, big)
    big.train()
    out = big(*_inputs(7))
    (out["policy_logits"].logsumexp(1).sum() + out["value"].sum() + out["ownership"].sum()).backward()
    grads = dict(big.named_parameters())
    for name, part in (("blocks.0.conv1.weight", (slice(0, 16), slice(16, 32))),   # old channels reading new
                       ("pol_conv.weight", (slice(0, 8), slice(16, 32))),   # old head channels
                       ("val_out.weight", (slice(None), slice(16, 32))),
                       ("blocks.3.conv2.weight", (slice(0, 16), slice(None)))):
        assert (big.state_dict()[name][part] == 0).all(), name
        assert grads[name].grad[part].abs().sum() > 0, name


def test_only_a_bigger_compatible_config_can_be_grown_into():
    assert widen_problem(get_config("b6c64"), get_config("b10c128")) is None
    assert "fewer blocks, channels" in widen_problem(get_config("b10c128"), get_config("b6c64"))
    with pytest.raises(WidenError, match="fewer"):
        widen_into(ZeroGoNet(get_config("b4c32")).state_dict(), get_config("b4c32"),
                   ZeroGoNet(get_config("b2c16")))


def test_train_init_grows_a_smaller_checkpoint(shard_dir, tmp_path):  # noqa: F811
    Trainer(_settings(shard_dir, tmp_path / "small", steps=2)).run()
    small, _ = load_checkpoint(tmp_path / "small" / "checkpoint.pt")
    grown = Trainer(_settings(shard_dir, tmp_path / "big", config="b4c32", steps=2,
                              init=str(tmp_path / "small" / "checkpoint.pt")))
    assert grown.step == 0
    _same_outputs(small, grown.model, *_inputs(7))
    grown.run()
    _, ck = load_checkpoint(tmp_path / "big" / "checkpoint.pt")
    assert ck["config"] == "b4c32" and ck["step"] == 2
    with pytest.raises(TrainError, match="cannot seed b2c16"):
        Trainer(_settings(shard_dir, tmp_path / "back", config="b2c16",
                          init=str(tmp_path / "big" / "checkpoint.pt")))
