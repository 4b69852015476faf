"""The tree: PUCT follows priors, virtual loss leaves no residue, descent is iterative, superko, Gumbel."""

import sys

import numpy as np
import pytest

from engine import coords
from engine.board import Board
from engine.evaluation import Evaluation, Evaluator, UniformEvaluator
from engine.game import Game
from engine.gumbel import SequentialHalving
from engine.mcts import Tree
from engine.mcts_node import PuctConfig, ScoreUtility, _Stub


class FixedPolicy(Evaluator):
    """The same policy and value for every position; counts batches."""

    def __init__(self, policy: np.ndarray, value: float = 0.0):
        self.policy, self.value, self.batches = policy / policy.sum(), value, []

    def evaluate(self, positions):
        self.batches.append(len(positions))
        return [Evaluation(self.policy.copy(), self.value, 0.0, None) for _ in positions]


def walk(tree):
    """Every node of the tree (iteratively)."""
    todo, out = [tree.root], []
    while todo:
        node = todo.pop()
        out.append(node)
        todo.extend(c for c in node.children if c is not None)
    return out


def test_visits_follow_priors_without_a_value_signal():
    size = 7
    policy = np.zeros(size * size + 1)
    for name, p in (("D4", 0.4), ("C3", 0.3), ("E5", 0.2), ("B2", 0.1)):
        policy[coords.from_gtp(name, size, size)] = p
    tree = Tree(Game(size))
    ev = FixedPolicy(policy)
    cfg = PuctConfig(fpu_reduction=0.0, fpu_reduction_root=0.0)
    while tree.root.visits < 2001:
        tree.run_batch(ev, cfg, 8)
    root = tree.root
    share = root.child_N / root.child_N.sum()
    for name, p in (("D4", 0.4), ("C3", 0.3), ("E5", 0.2), ("B2", 0.1)):
        i = root.child_index(coords.from_gtp(name, size, size))
        assert share[i] == pytest.approx(p, abs=0.02), name


def test_virtual_loss_leaves_no_residue_and_stats_are_the_sum_of_backups():
    class Material(Evaluator):
        def evaluate(self, positions):
            out = []
            for pos in positions:
                b = pos.board
                v = np.tanh(0.3 * (b.stones.count(b.to_play) - b.stones.count(-b.to_play)))
                mask = b.legal_mask().astype(float)
                out.append(Evaluation(mask / mask.sum(), float(v), float(v * 3), None))
            return out

    tree = Tree(Game(5))
    ev = Material()
    done = 0
    while done < 600:
        done += tree.run_batch(ev, PuctConfig(), 16)
    assert tree.root.visits == done
    for node in walk(tree):
        n_self = node.parent.child_N[node.index]
        w_self = node.parent.child_W[node.index]
        if node.expanded:
            assert not node.child_VL.any() and node.total == node.child_N.sum()
            assert node.visited_prior == pytest.approx(node.prior[node.child_N > 0].sum())
            assert n_self == 1 + node.child_N.sum()
            assert w_self == pytest.approx(-node.net_value - node.child_W.sum())
        elif node.terminal is None:
            assert n_self == 0
    assert isinstance(tree.root.parent, _Stub)


def test_leaves_are_evaluated_in_batches():
    ev = FixedPolicy(np.ones(82))
    tree = Tree(Game(9))
    for _ in range(10):
        tree.run_batch(ev, PuctConfig(), 16)
    assert max(ev.batches) == 16
    assert sum(ev.batches) == tree.root.visits


def test_descent_is_iterative_in_a_deep_tree():
    """A policy that always wants the first legal point grows a chain 300 deep."""

    class FirstEmpty(Evaluator):
        def evaluate(self, positions):
            out = []
            for pos in positions:
                p = np.full(pos.board.area + 1, 1e-6)
                legal = np.flatnonzero(pos.board.legal_mask()[:-1])
                p[legal[0] if len(legal) else pos.board.area] = 1.0
                out.append(Evaluation(p / p.sum(), 0.0))
            return out

    tree = Tree(Game(19))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(__import__("inspect").stack()) + 80)
    try:
        while tree.root.visits < 300:
            tree.run_batch(FirstEmpty(), PuctConfig(fpu_reduction=0.0), 1)
    finally:
        sys.setrecursionlimit(limit)
    depth, node = 0, tree.root
    while node.expanded and node.child_N.sum():
        node = node.children[int(np.argmax(node.child_N))]
        depth += 1
    assert depth > 200


def test_superko_moves_are_removed_from_the_tree():
    game = Game(5, rules="chinese")
    tree = Tree(game)
    banned = coords.from_gtp("C3", 5, 5)
    after = game.board.copy()
    after.play(banned)
    tree.seen.add(tree._key(after))
    ev = UniformEvaluator()
    while tree.root.visits < 200:
        tree.run_batch(ev, PuctConfig(), 8)
    assert tree.root.child_index(banned) is None
    assert all(c is None or c.index == i for i, c in enumerate(tree.root.children))


def test_two_passes_end_the_game_with_the_area_score():
    board = Board.from_ascii("""
        . X O .
        . X O .
        . X O .
        . X O .
    """)
    game = Game(4, rules="chinese", komi=0.5)
    game.setup([(board.stones[p], p) for p in range(16) if board.stones[p]])
    game.play(game.board.pass_move)
    tree = Tree(game)
    tree.run_batch(UniformEvaluator(), PuctConfig(), 1)
    root = tree.root
    i = root.child_index(root.board.pass_move)
    child = tree.make_child(root, i)
    assert child.terminal == (-1.0, -0.5)   # black 8, white 8 + 0.5: black to move after white's pass


def test_gumbel_sequential_halving_spends_the_budget_on_the_top_moves():
    ev = UniformEvaluator()
    tree = Tree(Game(9))
    tree.run_batch(ev, PuctConfig(), 1)
    halving = SequentialHalving(tree.root, 64, 8, np.random.default_rng(3))
    first = list(halving.remaining)
    phases = 0
    while True:
        choices = halving.next_choices(tree.root)
        if not choices:
            break
        tree.run_batch(ev, PuctConfig(), len(choices), choices)
        halving.end_phase(tree.root)
        phases += 1
    assert phases == 3
    root = tree.root
    visited = {int(root.moves[i]) for i in np.flatnonzero(root.child_N)}
    assert visited <= set(first)
    assert 56 <= root.child_N.sum() <= 64
    assert int(root.moves[halving.best_index(root)]) in first
    pi = halving.improved_policy(root)
    assert pi.sum() == pytest.approx(1.0) and (pi >= 0).all()


def test_gumbel_choices_after_an_illegal_root_move_reach_the_moves_chosen():
    """A root move found illegal mid-batch (superko) does not send the batch's later descents to its neighbours."""
    game = Game(5, rules="chinese")
    tree = Tree(game)
    tree.run_batch(UniformEvaluator(), PuctConfig(), 1)
    root = tree.root
    banned = coords.from_gtp("C3", 5, 5)
    after = game.board.copy()
    after.play(banned)
    tree.seen.add(tree._key(after))
    i = root.child_index(banned)
    later = [int(root.moves[i + 1]), int(root.moves[i + 2])]
    tree.run_batch(UniformEvaluator(), PuctConfig(), 3, [i, i + 1, i + 2])
    assert root.child_index(banned) is None
    visits = {int(mv): int(n) for mv, n in zip(root.moves, root.child_N) if n}
    assert visits == {later[0]: 1, later[1]: 1}


def test_reroot_releases_the_discarded_subtrees():
    game = Game(7)
    tree = Tree(game)
    while tree.root.visits < 200:
        tree.run_batch(UniformEvaluator(), PuctConfig(), 8)
    root = tree.root
    order = np.argsort(-root.child_N)
    keep, drop = root.children[order[0]], root.children[order[1]]
    grandchild = next(c for c in drop.children if c is not None)
    game.play(int(root.moves[order[0]]))
    assert tree.advance(game) and tree.root is keep
    assert drop.parent is None and drop.children == [] and grandchild.parent is None
    assert root.children == [] and keep.parent is tree.stub


@pytest.mark.parametrize("utility", [None, ScoreUtility(0.1, 0.3, 14.0, 5.25, 2.5)])
def test_selection_in_floats_chooses_exactly_as_the_array_version(monkeypatch, utility):
    """select_child's few-touched-children shortcut builds the very same tree as the array version."""
    from engine import mcts_node as mcts

    class Varied(Evaluator):
        """A position-dependent policy and value, so selection has real choices (and ties)."""

        def evaluate(self, positions):
            out = []
            for pos in positions:
                b = pos.board
                rng = np.random.default_rng(b.hash % (2 ** 32))
                p = rng.dirichlet(np.full(b.area + 1, 0.3)) * b.legal_mask()
                p[rng.integers(b.area)] = p.max()        # a tie for the top prior now and then
                out.append(Evaluation(p / p.sum(), float(np.tanh(rng.normal())), float(rng.normal(0, 10)), None))
            return out

    def shape(threshold):
        monkeypatch.setattr(mcts, "SMALL_SELECT", threshold)
        game = Game(7)
        game.play(coords.from_gtp("D4", 7, 7))
        tree = Tree(game)
        while tree.root.visits < 400:
            tree.run_batch(Varied(), PuctConfig(utility=utility), 8)
        return [(tuple(n.moves), tuple(n.child_N), tuple(n.child_W)) for n in walk(tree) if n.expanded]

    default = mcts.SMALL_SELECT
    arrays_only = shape(-1)
    assert shape(default) == arrays_only
    assert len(arrays_only) > 100
