"""engine.batching.SharedBatcher: several threads' requests answered from one batched network call."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from engine.batching import SharedBatcher
from engine.evaluation import Evaluation, Evaluator, Position
from engine.game import Game


class Recorder(Evaluator):
    """Value = ``tag`` + the position's komi (so each request is told apart); records every batch."""

    def __init__(self, tag: float = 0.0):
        self.tag = tag
        self.batches: list[int] = []
        self.threads: set[int] = set()
        self.cleared = self.closed = 0

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        self.batches.append(len(positions))
        self.threads.add(threading.get_ident())
        return [Evaluation(np.zeros(p.board.area + 1, np.float32), self.tag + p.rules.komi)
                for p in positions]

    def clear(self) -> None:
        self.cleared += 1

    def close(self) -> None:
        self.closed += 1


class Boom(Evaluator):
    def evaluate(self, positions):
        raise RuntimeError("net exploded")


def _position(komi: float) -> Position:
    """An empty 5x5 position with this komi (the Recorder's answer)."""
    return Position.from_game(Game(5, komi=komi))


def _run(threads: int, work) -> list:
    """Run ``work(i)`` on ``threads`` threads at once; their results, or the error each raised."""
    out: list = [None] * threads
    start = threading.Barrier(threads)

    def go(i: int) -> None:
        start.wait()
        try:
            out[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - checked by the test
            out[i] = exc

    pool = [threading.Thread(target=go, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(10)
    assert not any(t.is_alive() for t in pool), "a thread hung in the batcher"
    return out


def test_each_thread_gets_its_own_answers_from_one_network_call():
    net = Recorder()
    batcher = SharedBatcher(net, clients=4, max_wait=5.0)   # a long wait: only "everyone asked" flushes
    # thread i asks for i + 1 positions with komi 10 * i, 10 * i + 1, ...
    out = _run(4, lambda i: [e.value for e in batcher.evaluate([_position(10 * i + k) for k in range(i + 1)])])
    assert out == [[10.0 * i + k for k in range(i + 1)] for i in range(4)]
    assert net.batches == [1 + 2 + 3 + 4] and batcher.calls == 1 and batcher.mean_batch() == 10.0


def test_the_time_inside_the_network_is_counted():
    class Slow(Recorder):
        def evaluate(self, positions):
            time.sleep(0.05)
            return super().evaluate(positions)

    batcher = SharedBatcher(Slow(), clients=2, max_wait=5.0)
    _run(2, lambda i: batcher.evaluate([_position(i)]))
    _run(2, lambda i: batcher.evaluate([_position(i)]))
    assert batcher.calls == 2 and 0.1 <= batcher.network_seconds < 5.0


def test_two_networks_get_one_batch_each():
    nets = {"a": Recorder(tag=100.0), "b": Recorder(tag=200.0)}
    batcher = SharedBatcher(nets, clients=4, max_wait=5.0)
    out = _run(4, lambda i: batcher.client("ab"[i % 2]).evaluate([_position(i)])[0].value)
    assert out == [100.0, 201.0, 102.0, 203.0]
    assert nets["a"].batches == [2] and nets["b"].batches == [2] and batcher.calls == 2


def test_a_network_error_reaches_every_waiting_thread_and_the_batcher_goes_on():
    batcher = SharedBatcher(Boom(), clients=3, max_wait=5.0)

    def work(i: int):
        try:
            return batcher.evaluate([_position(i)])
        finally:
            batcher.leave()

    out = _run(3, work)
    assert all(isinstance(e, RuntimeError) and "exploded" in str(e) for e in out)
    assert batcher.calls == 0
    batcher.inners[None] = Recorder()
    assert batcher.evaluate([_position(2)])[0].value == 2.0


def test_a_thread_that_leaves_releases_the_others_at_once():
    net = Recorder()
    batcher = SharedBatcher(net, clients=3, max_wait=30.0)

    def work(i: int):
        if i == 2:
            batcher.leave()                 # done for good without asking: the other two must not wait 30 s
            return None
        return batcher.evaluate([_position(i)])[0].value

    assert _run(3, work) == [0.0, 1.0, None]
    assert sum(net.batches) == 2


def test_active_blocks_count_searchers_and_a_lone_caller_never_waits():
    net = Recorder()
    batcher = SharedBatcher(net, max_wait=30.0)
    assert batcher.evaluate([_position(1)])[0].value == 1.0   # nobody active: answered at once

    def work(i: int):
        with batcher.active():
            return batcher.evaluate([_position(i)])[0].value

    assert sorted(_run(3, work)) == [0.0, 1.0, 2.0]
    assert batcher._active == 0 and not batcher._pending


def test_max_wait_flushes_when_an_active_thread_never_asks():
    net = Recorder()
    batcher = SharedBatcher(net, clients=2, max_wait=0.01)
    assert batcher.evaluate([_position(3)])[0].value == 3.0   # the other client is silent
    assert net.batches == [1]


def test_clear_and_close_reach_every_network():
    nets = {"a": Recorder(), "b": Recorder()}
    batcher = SharedBatcher(nets)
    batcher.clear()
    batcher.close()
    assert [(n.cleared, n.closed) for n in nets.values()] == [(1, 1), (1, 1)]
    with pytest.raises(KeyError):
        batcher.client("c").evaluate([_position(0)])
