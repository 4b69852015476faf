"""TorchEvaluator: legal policies from a live model, checkpoints, swapping weights."""

import numpy as np
import torch

from nets.export import random_net, random_positions
from nets.torch_evaluator import TorchEvaluator

torch.set_num_threads(1)


def test_evaluates_and_swaps_models(tmp_path):
    positions = random_positions(3, 9, seed=2) + random_positions(1, 13, seed=3)
    ev = TorchEvaluator(random_net("b2c16", 1), device="cpu", batch_size=2)
    out = ev.evaluate(positions)
    for e, p in zip(out, positions):
        legal = p.board.legal_mask()
        assert e.policy.shape == (p.board.area + 1,)
        assert np.all(e.policy[~legal] == 0) and abs(e.policy.sum() - 1) < 1e-5
        assert e.ownership.shape == (p.board.height, p.board.width)
    ck = tmp_path / "ck.pt"
    other = random_net("b2c16", 2)
    torch.save({"config": "b2c16", "model": other.state_dict(), "step": 1, "meta": {}}, ck)
    loaded = TorchEvaluator.from_checkpoint(ck, device="cpu").evaluate(positions)
    ev.set_model(other)
    swapped = ev.evaluate(positions)
    assert all(np.allclose(a.policy, b.policy, atol=1e-6) for a, b in zip(loaded, swapped))
    assert not np.allclose(out[0].policy, swapped[0].policy)
