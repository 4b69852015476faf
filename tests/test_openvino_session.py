"""OpenVINO's static-shape copies (engine.openvino_session): the dynamic model's outputs, a bounded cache, fallbacks."""

import numpy as np
import pytest

from engine import calibration
from engine import features as F
from engine.evaluator import OUTPUT_NAMES, WEIGHTS_DIR

from engine.openvino_session import (  # OpenVINO itself: the cpu-fast extra, installed by .ci/run
    BATCH_BUCKETS,
    MAX_COMPILED,
    STATIC_MAX_BYTES,
    OpenVinoSession,
    batch_bucket,
)

NET = WEIGHTS_DIR / "zerogo-9x9.onnx"
NAMES = list(OUTPUT_NAMES)


@pytest.fixture(scope="module")
def feeds():
    """The network's inputs for 40 real 9x9 positions."""
    positions = calibration.game_positions(calibration.SHIPPED_GAMES, 40, seed=3, size=9,
                                           skip_games=400, max_games=10_000)
    planes, glob = F.encode_batch(positions)
    return {"planes": planes, "globals": glob}


def first(feeds, n):
    return {k: v[:n] for k, v in feeds.items()}


def test_batch_buckets():
    assert [batch_bucket(n) for n in (1, 2, 3, 5, 7, 13, 16, 17, 256)] == [1, 2, 3, 6, 8, 16, 16, 24, 256]
    assert batch_bucket(BATCH_BUCKETS[-1] + 1) is None
    assert all(b / a <= 1.5 for a, b in zip(BATCH_BUCKETS[2:], BATCH_BUCKETS[3:]))   # padding wastes <= a third


@pytest.mark.parametrize("n", [1, 5, 16, 17, 40])
def test_static_copies_give_the_dynamic_models_outputs(feeds, n):
    static = OpenVinoSession(NET, "fp32", 1, {})
    dynamic = OpenVinoSession(NET, "fp32", 1, {}, static_shapes=False)
    got, want = static.run(NAMES, first(feeds, n)), dynamic.run(NAMES, first(feeds, n))
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.shape[0] == n
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    assert list(static._compiled) == [(batch_bucket(n), (F.NUM_PLANES, 9, 9), (F.NUM_GLOBALS,))]
    assert not dynamic._compiled


def test_copies_are_kept_per_board_and_batch_and_bounded(feeds, monkeypatch):
    session = OpenVinoSession(NET, "fp32", 1, {})
    monkeypatch.setattr("engine.openvino_session.MAX_COMPILED", 3)
    session.run(NAMES, first(feeds, 4))
    planes13 = np.zeros((4, F.NUM_PLANES, 13, 13), np.float32)
    planes13[:, 0] = 1.0          # the on-board mask plane
    out13 = session.run(NAMES, {"planes": planes13, "globals": feeds["globals"][:4]})
    assert out13[0].shape == (4, 13 * 13 + 1)
    for n in (1, 2, 8):
        session.run(NAMES, first(feeds, n))
    assert len(session._compiled) == 3
    assert [key[0] for key in session._compiled] == [1, 2, 8]   # the least recently used went first
    assert MAX_COMPILED >= 8


def test_a_model_that_refuses_a_static_shape_runs_dynamic(feeds, caplog, monkeypatch):
    import openvino as ov
    want = OpenVinoSession(NET, "fp32", 1, {}, static_shapes=False).run(NAMES, first(feeds, 5))
    session = OpenVinoSession(NET, "fp32", 1, {})

    def refuse(self, shapes):
        raise RuntimeError("static shapes are not supported here")
    monkeypatch.setattr(ov.Model, "reshape", refuse)
    with caplog.at_level("INFO", logger="engine.openvino_session"):
        got = session.run(NAMES, first(feeds, 5))
    assert not session.static_shapes and not session._compiled
    assert "no static copy" in caplog.text
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_large_nets_run_their_dynamic_shape(feeds, monkeypatch):
    assert NET.stat().st_size < STATIC_MAX_BYTES
    monkeypatch.setattr("engine.openvino_session.STATIC_MAX_BYTES", NET.stat().st_size - 1)
    session = OpenVinoSession(NET, "fp32", 1, {})
    out = session.run(NAMES, first(feeds, 3))
    assert out[0].shape[0] == 3 and not session.static_shapes and not session._compiled
