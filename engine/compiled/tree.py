"""``CompiledTree``: the compiled search tree (``tree_kernels``), with the interface of ``engine.mcts.Tree``.

Python's share of a batch is a handful of calls: make room, ``collect``
(descents, new children, the leaves' inputs), the network's ``run`` on the
inputs, ``finish`` (priors, expansion, backup), the ownership sum and the
ladder check of new root children. The searcher, the reports and the GTP
player read the tree through ``NodeView``s, which look like
``engine.mcts_node.Node``s (their arrays are gathered copies: write through
``set_prior`` and ``remove_child`` only). For networks with zerogo's own
features (``engine.features``); ``raw_network`` says whether an evaluator
qualifies.
"""

from __future__ import annotations

import numpy as np

from engine import features
from engine.compiled import pool as P
from engine.compiled import tree_compact as C
from engine.compiled import tree_kernels as K
from engine.compiled.board_kernels import tables
from engine.compiled.node_view import NodeView
from engine.batching import RawClient, raw_client, raw_net
from engine.evaluator import NetEvaluator
from engine.features import HISTORY, NUM_GLOBALS, NUM_PLANES
from engine.game import superko_key
from engine.grid import zobrist_table
from engine.ladder_prior import ladder_aware_prior
from engine.mcts import node_reached
from engine.mcts_node import PuctConfig, ScoreUtility, _Stub
from engine.onnx_model import check_outputs
from engine.rules import SIMPLE_KO, SITUATIONAL_SUPERKO

_NO_EDGES = np.zeros(0, np.int64)
NODE_FIELD_BYTES = 100   # a node's own fields (P._NODE_FIELDS), rounded up
EDGE_BYTES = 14          # move, prior, raw prior, child


def raw_network(evaluator) -> NetEvaluator | RawClient | None:
    """What runs the network under ``evaluator`` (itself, under a cache, or behind a ``SharedBatcher``: its
    ``RawClient``) if the compiled tree can drive it (zerogo's features); else None."""
    net = raw_client(evaluator) or raw_net(evaluator)
    if net is not None and net.encode_batch is features.encode_batch:
        return net
    return None


def symmetry_rng(net: NetEvaluator | RawClient) -> np.random.Generator | None:
    """A generator of its own for a tree's random symmetries, drawn from the network's, if it asks for them."""
    inner = net.net if isinstance(net, RawClient) else net
    return np.random.default_rng(int(inner.rng.integers(2 ** 63))) if inner.random_symmetry else None


def search_params(game, puct: PuctConfig) -> np.ndarray:
    """The kernels' float settings (``params``, laid out in ``engine.compiled.pool``) for a game (or a
    tree: its ``rules`` and ``handicap``) and the selection settings."""
    rules = game.rules
    params = np.zeros(P.NUM_PARAMS)
    params[P.C_INIT], params[P.C_BASE] = puct.c_init, puct.c_base
    params[P.FPU], params[P.FPU_ROOT], params[P.FORCED_K] = puct.fpu_reduction, puct.fpu_reduction_root, puct.forced_k
    if puct.utility is not None:
        k_static, inv_static, k_dynamic, inv_dynamic, _ = puct.utility.terms(1)
        params[P.UTILITY] = 1.0
        params[P.K_STATIC], params[P.INV_STATIC] = k_static, inv_static
        params[P.K_DYNAMIC], params[P.INV_DYNAMIC] = k_dynamic, inv_dynamic
        params[P.CENTRE_BLACK] = puct.utility.centre_black
    params[P.KOMI_TOTAL] = rules.komi + rules.handicap_compensation(game.handicap)
    params[P.KOMI_NET] = rules.komi
    params[P.NET_RULES:P.NET_RULES + 4] = features.rule_inputs(rules)
    params[P.KO_SIMPLE] = float(rules.ko == SIMPLE_KO)
    params[P.KO_SITUATIONAL] = float(rules.ko == SITUATIONAL_SUPERKO)
    params[P.SUICIDE] = float(rules.suicide)
    return params


class CompiledTree:
    """A search tree in arrays for the game's current position, like ``engine.mcts.Tree``."""

    pipelines = False      # the searcher runs its batches one at a time

    def __init__(self, game, net: NetEvaluator | RawClient, batch_size: int, history: int = 8,
                 ladder_factor: float = 1.0, nodes: int = 4096, policy_temperature: float = 1.0):
        board = game.board
        self.net, self.history, self.ladder_factor = net, history, ladder_factor
        self.inverse_temperature = np.float32(1.0 / policy_temperature)   # finish's softmax of the logits
        self.symmetry_rng = symmetry_rng(net)      # each leaf under a random symmetry (self-play), or None
        self.symmetries = np.array(features.shape_preserving(board.height, board.width))
        self.width, self.height, self.area = board.width, board.height, board.area
        self.rules, self.handicap = game.rules, game.handicap
        self.nbr, self.zob = tables(board.width, board.height)
        self.white_key = np.uint64(zobrist_table(board.width, board.height)[1])
        self.pool = P.new_pool(nodes, nodes * (board.area + 1) // 2, board.area)
        self.root = NodeView(self, 0)
        self._set_root(game)
        pool = self.pool
        pool.counts[P.NODES] = 1
        pool.parent[0], pool.edge[0], pool.first[0], pool.degree[0] = -1, -1, -1, -1
        pool.stones[0] = board.stones
        pool.ko[0] = board.ko_point if board.ko_color == board.to_play else -1
        pool.hash[0] = np.uint64(board.hash)
        pool.key[0] = np.uint64(superko_key(game.rules, board.hash, board.to_play, board.width, board.height))
        pool.to_play[0], pool.passes[0] = board.to_play, min(board.passes, 2)
        pool.terminal[0], pool.pending[0] = False, False
        pool.first_built[0], pool.next_built[0], pool.best_unbuilt[0] = -1, -1, -1
        pool.total[0] = pool.visited_prior[0] = 0.0
        pool.n[0] = pool.w[0] = pool.w2[0] = pool.s[0] = pool.vl[0] = 0.0
        self.batch_size = max(1, batch_size)
        self.planes = np.zeros((self.batch_size, NUM_PLANES, board.height, board.width), np.float32)
        self.glob = np.zeros((self.batch_size, NUM_GLOBALS), np.float32)
        self.legal = np.zeros((self.batch_size, board.area + 1), np.bool_)
        self.policy = np.zeros((self.batch_size, board.area + 1), np.float32)
        self.leaves = np.zeros(self.batch_size, np.int32)
        self.score_utility: ScoreUtility | None = None   # the current search's (set by the searcher)
        self._params: tuple[PuctConfig, np.ndarray] | None = None
        self.bytes_per_node = board.area + NODE_FIELD_BYTES + EDGE_BYTES * (board.area + 1)

    def _set_root(self, game) -> None:
        """The root's game: its board, earlier boards (features) and positions (superko)."""
        self.root_board = game.board.copy()
        self.seen_keys = np.array(sorted(game.seen_positions), dtype=np.uint64)
        boards = game.history_boards(self.history)[1:HISTORY]
        self.root_history = np.array([b.stones for b in boards], dtype=np.int8).reshape(len(boards), self.area)
        self.own_sum = np.zeros((self.height, self.width))   # black's view
        self.own_count = 0

    # ------------------------------------------------------------- batches
    def _params_for(self, puct: PuctConfig) -> np.ndarray:
        if self._params is None or self._params[0] is not puct:
            self._params = (puct, search_params(self, puct))
        return self._params[1]

    def run_batch(self, evaluator, cfg: PuctConfig, batch_size: int, root_choices: list[int] | None = None) -> int:
        """Descend up to ``batch_size`` times, evaluate the leaves in one network run, back up; visits done.

        ``evaluator`` is ignored (the tree runs the network it was made with);
        ``root_choices`` (Gumbel): one descent through each of these root children.
        """
        size = max(1, min(batch_size, self.batch_size))
        root_edges = self.root.edges()[root_choices] if root_choices else _NO_EDGES
        if len(root_edges) > self.batch_size:
            raise ValueError(f"{len(root_edges)} root choices for a batch of {self.batch_size}")
        pool = self.pool
        need_nodes = int(pool.counts[P.NODES]) + size
        need_edges = int(pool.counts[P.EDGES]) + size * (self.area + 1)
        if need_nodes > len(pool.parent) or need_edges > len(pool.move):
            self.pool = pool = P.grown(pool, need_nodes, need_edges)
        params = self._params_for(cfg)
        count, done = K.collect(pool, 0, params, self.nbr, self.zob, self.white_key, self.seen_keys,
                                self.root_history, size, root_edges, self.leaves, self.planes, self.glob,
                                self.legal)
        if count:
            try:
                planes, syms = self._oriented(count)
                outputs = self.net.run(planes, self.glob[:count])
                logits, value, score, own = check_outputs(outputs, count, self.height, self.width)
                if syms is not None:
                    features.undo_each(logits, own, syms, self.width, self.height)   # back to the board's own
            except BaseException:
                K.abandon(pool, self.leaves, count)   # the tree stays searchable after a failed network run
                raise
            self.net.evaluations += count
            K.finish(pool, self.leaves, count, logits, value, score, self.legal, self.policy,
                     self.inverse_temperature)
            leaves = self.leaves[:count]
            self.own_sum += np.einsum("bhw,b->hw", own, pool.to_play[leaves].astype(np.float64))
            self.own_count += count
            if self.ladder_factor < 1.0:
                for leaf in leaves[pool.parent[leaves] == 0].tolist():
                    self._play_down_futile_escapes(NodeView(self, leaf))
        return done + count

    def _oriented(self, count: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The batch's planes, each leaf's under a random symmetry when the network asks for them (else as
        collected): (planes, the symmetries or None)."""
        planes = self.planes[:count]
        if self.symmetry_rng is None:
            return planes, None
        syms = self.symmetries[self.symmetry_rng.integers(len(self.symmetries), size=count)]
        return features.apply_each(planes.copy(), syms), syms

    def _play_down_futile_escapes(self, node: NodeView) -> None:
        """``engine.mcts.Tree._play_down_futile_escapes``: the root's or a reply's futile ladder escapes."""
        prior = ladder_aware_prior(node.board, node.moves, node.prior, self.ladder_factor)
        if prior is None:
            return
        if node.node == 0:
            self.set_root_prior(prior)
        else:
            node.set_prior(prior)

    # --------------------------------------------------------------- boards
    def board_of(self, node: int):
        """The ``engine.board.Board`` of a node: the root's own (not to be changed), else a copy with the
        moves down to ``node`` played."""
        if node == 0:
            return self.root_board
        pool, moves = self.pool, []
        while node != 0:
            moves.append(int(pool.move[pool.edge[node]]))
            node = int(pool.parent[node])
        board = self.root_board.copy()
        for move in reversed(moves):
            board.play(move)
        return board

    # ---------------------------------------------------------------- priors
    def reset_root_prior(self) -> None:
        """Back to the network's root priors, futile ladder escapes played down (``ladder_factor``)."""
        self.set_root_prior(self.root.raw_prior)
        if self.ladder_factor < 1.0 and self.root.expanded:
            self._play_down_futile_escapes(self.root)

    def set_root_prior(self, prior: np.ndarray) -> None:
        """Replace the root's priors (noise, or back to the network's), keeping FPU's sum right."""
        root = self.root
        root.set_prior(prior)
        self.pool.visited_prior[0] = float(root.prior[root.child_N > 0].sum())

    def add_dirichlet_noise(self, rng: np.random.Generator, alpha_scale: float, eps: float) -> None:
        """Mix Dirichlet noise into the root priors as they stand (alpha = alpha_scale / candidates)."""
        root = self.root
        if not root.expanded or len(root.moves) < 2:
            return
        count = len(root.moves)
        noise = rng.dirichlet(np.full(count, alpha_scale / count))
        self.set_root_prior((1.0 - eps) * root.prior + eps * noise)

    # ------------------------------------------------------------- queries
    @property
    def stub(self) -> _Stub:
        """The root's own statistics as ``engine.mcts.Tree.stub`` holds them (a copy)."""
        pool = self.pool
        return _Stub(pool.n[0], pool.w[0], pool.w2[0], pool.s[0])

    @property
    def node_count(self) -> int:
        """Nodes in the tree."""
        return int(self.pool.counts[P.NODES])

    def root_value(self) -> float:
        """The root's mean value for its side to move."""
        return self.root.q()

    def ownership(self) -> np.ndarray | None:
        """Mean ownership seen in this search, black's view, or None."""
        return self.own_sum / self.own_count if self.own_count else None

    def _variation(self, node: NodeView, first: int, length: int) -> tuple[np.ndarray, np.ndarray]:
        moves, visits = np.zeros(max(1, length), np.int32), np.zeros(max(1, length))
        count = C.principal_variation(self.pool, node.edges()[first], moves, visits)
        return moves[:count], visits[:count]

    def principal_variation(self, node: NodeView, first: int, length: int) -> list[int]:
        """The moves from child ``first`` of ``node`` following the most visited children."""
        return self._variation(node, first, length)[0].tolist()

    def pv_visits(self, node: NodeView, first: int, length: int) -> list[int]:
        """Visits of each node along ``principal_variation``."""
        return self._variation(node, first, length)[1].astype(int).tolist()

    # ------------------------------------------------------ reuse, memory
    def advance(self, game) -> bool:
        """Re-root at the game's current position if it lies in this tree; False otherwise."""
        board = game.board
        node = node_reached(self, game)
        if node is None:
            return False
        pool = self.pool
        j = node.node
        if (int(pool.hash[j]) != board.hash or pool.to_play[j] != board.to_play
                or pool.passes[j] != min(board.passes, 2)):
            return False
        if j != 0:      # (the same position again: the tree, its ownership sum and all, stays as it is)
            self._compact(j, 0.0)
            self._set_root(game)
        return True

    def _compact(self, root: int, min_visits: float) -> int:
        """``tree_compact.compact`` into a new pool (with room to grow); returns the nodes dropped."""
        before = self.node_count
        nodes, edges = C.kept_by(self.pool, root, min_visits)
        out = P.new_pool(max(2 * nodes, 4096), max(2 * edges, 4096 * (self.area + 1) // 2), self.area)
        C.compact(self.pool, root, min_visits, out)
        self.pool = out
        return before - self.node_count

    def prune(self, keep: int) -> int:
        """Collapse the least-visited subtrees until at most ``keep`` nodes remain; returns nodes dropped.

        Their statistics stay with them (see ``tree_compact.compact``), as in
        ``engine.mcts.Tree.prune``; paths to leaves on the network are kept.
        """
        if self.node_count <= keep:
            return 0
        low, high = 1.0, max(2.0, float(self.pool.n[0]) + 1.0)   # kept_by(high) keeps just the root's level
        while high - low > 1.0:
            mid = float(np.floor((low + high) / 2))
            if C.kept_by(self.pool, 0, mid)[0] <= keep:
                high = mid
            else:
                low = mid
        return self._compact(0, high)

    def discard(self) -> None:
        """Let go of the tree (nothing to unlink: it is arrays)."""


def warm_up() -> None:
    """Load (or, the first time after an install, compile: ~10 s) every kernel, with a search on a 3x3 board.

    The kernels take arrays of any board size, so this readies them for all;
    ``zerogo gtp`` calls it at start-up, before the first move's clock runs.
    """
    from engine.game import Game

    class _Flat(NetEvaluator):
        def run(self, planes, glob):
            n, _, h, w = planes.shape
            return [np.zeros((n, h * w + 1), np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                    np.zeros((n, h, w), np.float32)]

    game = Game(3)
    tree = CompiledTree(game, _Flat(2), 2, ladder_factor=1.0, nodes=8)
    while tree.root.visits < 6:
        tree.run_batch(None, PuctConfig(), 2)
    tree.principal_variation(tree.root, 0, 4)
    game.play(int(tree.root.moves[0]))
    tree.advance(game)
    tree.prune(1)
