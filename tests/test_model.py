"""The network: shapes on several board sizes from one net, padding, configs, checkpoints."""

import numpy as np
import pytest
import torch

from engine import features as F
from engine.evaluation import Position
from engine.game import Game
from nets.model import (CONFIGS, OFF_BOARD_LOGIT, ConfigError, build_model, count_params,
                        flops_per_eval, load_checkpoint)

torch.set_num_threads(1)


def _positions(size, n=2, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        g = Game(size)
        for _ in range(int(rng.integers(0, 12))):
            legal = np.flatnonzero(g.legal_mask()[:-1])
            g.play(int(rng.choice(legal)))
        out.append(Position.from_game(g, F.HISTORY))
    return out


def _run(model, positions, pad_to=None):
    planes, glob = F.encode_batch(positions, pad_to)
    with torch.no_grad():
        return model(torch.from_numpy(planes), torch.from_numpy(glob))


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    model = build_model("b2c16")
    # make BatchNorm non-trivial so masking mistakes would show
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.parametrize("size", [9, 13, 19])
def test_output_shapes_each_size(net, size):
    out = _run(net, _positions(size, 3))
    assert out["policy_logits"].shape == (3, size * size + 1)
    assert out["value"].shape == (3,)
    assert out["score_lead"].shape == (3,)
    assert out["ownership"].shape == (3, size, size)
    assert out["value"].abs().max() <= 1 and out["ownership"].abs().max() <= 1


def test_rectangular_board(net):
    out = _run(net, _positions(9, 1)[:0] + [Position.from_game(Game(7, 11))])
    assert out["policy_logits"].shape == (1, 78) and out["ownership"].shape == (1, 11, 7)


def test_padding_does_not_change_outputs(net):
    small = _positions(9, 2, seed=3)
    alone = _run(net, small)
    padded = _run(net, small + _positions(19, 1), pad_to=(19, 19))
    logits = padded["policy_logits"][:2].numpy()
    cut = F.board_policy(logits, 9, 9, 19)
    assert np.allclose(cut, alone["policy_logits"].numpy(), atol=1e-4)
    assert np.allclose(padded["value"][:2], alone["value"], atol=1e-5)
    assert np.allclose(padded["score_lead"][:2], alone["score_lead"], atol=1e-3)
    assert np.allclose(padded["ownership"][:2, :9, :9], alone["ownership"], atol=1e-5)
    off = logits[:, :-1].reshape(2, 19, 19)[:, 9:, :]
    assert np.all(off == OFF_BOARD_LOGIT)
    assert np.all(padded["ownership"][:2, 9:, :].numpy() == 0)


def test_training_step_reduces_loss():
    torch.manual_seed(1)
    model = build_model("b2c16")
    planes, glob = F.encode_batch(_positions(9, 8, seed=5))
    target = torch.full((8,), 0.5)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(5):
        loss = ((model(torch.from_numpy(planes), torch.from_numpy(glob))["value"] - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_configs_and_errors():
    assert {"b6c64", "b10c128", "b15c192", "b20c256", "b2c16"} <= set(CONFIGS)
    assert count_params(build_model("b6c64")) > count_params(build_model("b2c16"))
    assert flops_per_eval("b6c64", 19, 19) == pytest.approx(361 / 81 * flops_per_eval("b6c64", 9, 9))
    with pytest.raises(ConfigError, match="b6c64"):
        build_model("b7c7")


def test_checkpoint_round_trip(tmp_path, net):
    path = tmp_path / "ck.pt"
    torch.save({"config": "b2c16", "model": net.state_dict(), "step": 7, "meta": {}}, path)
    model, ckpt = load_checkpoint(path)
    assert ckpt["step"] == 7
    pos = _positions(9, 2)
    assert torch.equal(_run(model, pos)["policy_logits"], _run(net, pos)["policy_logits"])
    torch.save({"weights": 1}, tmp_path / "bad.pt")
    with pytest.raises(ConfigError):
        load_checkpoint(tmp_path / "bad.pt")


def test_value_logit_matches_value(net):
    out = _run(net, _positions(9, 3, seed=8))
    assert torch.allclose(torch.tanh(out["value_logit"]), out["value"])
    assert torch.allclose(torch.sigmoid(2 * out["value_logit"]), (out["value"] + 1) / 2, atol=1e-6)
