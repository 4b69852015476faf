"""The Monte Carlo tree: per-child arrays, PUCT selection, virtual loss, iterative descent.

Value sign convention (read this first)
---------------------------------------
``Evaluation.value`` is for the side to move at the evaluated position. A
node's per-child arrays (``child_N``, ``child_W``, ``child_W2``, ``child_S``)
describe its children from the point of view of the player to move AT THAT
NODE, the one choosing among them: ``child_W[i] / child_N[i]`` is how good
move ``i`` is for the player who plays it (as in minigo and Leela Zero).
Backing up a leaf value ``v`` adds ``-v`` in the leaf's parent's arrays,
``+v`` one level higher, and so on. A node's own statistics live in its
parent's arrays; the root has a one-slot ``_Stub`` parent, so the root's
own value for its side to move is ``-stub.child_W[0] / stub.child_N[0]``.

Descent is a loop, never recursion, so a 1000-move game has no depth limit.
Children are created lazily: expansion keeps every empty point and pass
(minus the simple-ko point); a move found illegal (suicide, superko) when its
child is first built is deleted from the arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.board import Board, IllegalMoveError
from engine.evaluation import Evaluation, Evaluator, Position
from engine.game import superko_key
from engine.rules import SIMPLE_KO
from engine.scoring import tromp_taylor_score


@dataclass
class PuctConfig:
    """PUCT selection: AlphaZero's exploration schedule and Leela Zero's first-play urgency."""

    c_init: float = 1.25
    c_base: float = 19652.0
    fpu_reduction: float = 0.25
    fpu_reduction_root: float = 0.25
    forced_k: float = 0.0          # > 0: KataGo forced playouts at the root (n = sqrt(k P N))


class _Stub:
    """The root's parent: one slot holding the root's own statistics."""

    __slots__ = ("child_N", "child_W", "child_W2", "child_S", "child_VL", "parent")

    def __init__(self, n: float = 0.0, w: float = 0.0, w2: float = 0.0, s: float = 0.0):
        self.child_N = np.array([n])
        self.child_W = np.array([w])
        self.child_W2 = np.array([w2])
        self.child_S = np.array([s])
        self.child_VL = np.zeros(1)
        self.parent = None


class Node:
    """A position in the tree, with its children's statistics as numpy arrays."""

    __slots__ = ("parent", "index", "board", "position", "key", "moves", "prior", "raw_prior",
                 "child_N", "child_W", "child_W2", "child_S", "child_VL", "children",
                 "terminal", "net_value", "net_score", "pending", "total", "visited_prior",
                 "touched", "touched_mask", "best_untouched", "prior_order")

    def __init__(self, parent, index: int, board: Board, position: Position, key: int):
        self.parent, self.index = parent, index
        self.board, self.position, self.key = board, position, key
        self.moves = None           # np.int64 array of candidate moves once expanded
        self.children: list = []
        self.terminal: tuple[float, float] | None = None   # (value, score) for side to move
        self.net_value = 0.0
        self.net_score = 0.0
        self.pending = False
        self.total = 0.0            # sum(child_N) + sum(child_VL), kept up to date
        self.visited_prior = 0.0    # sum of the priors of children with visits (first-play urgency)
        self.touched: list[int] = []  # children ever descended into (see select_child)
        self.touched_mask = None      # the same as a boolean array over the children
        self.best_untouched = -1      # highest-prior child never descended into (-1: recompute)
        self.prior_order = None       # children by prior, highest first (made when first needed)

    @property
    def expanded(self) -> bool:
        """True once the network has been asked about this node."""
        return self.moves is not None

    @property
    def visits(self) -> int:
        """Visits through this node (from the parent's arrays)."""
        return int(self.parent.child_N[self.index])

    def q(self) -> float:
        """Mean value for this node's side to move (0 when unvisited)."""
        n = self.parent.child_N[self.index]
        return float(-self.parent.child_W[self.index] / n) if n > 0 else 0.0

    def expand(self, ev: Evaluation) -> None:
        """Set up the children arrays from an evaluation's policy."""
        board = self.board
        area = board.area
        candidate = np.empty(area + 1, dtype=bool)
        np.equal(board.stones_flat(), 0, out=candidate[:area])
        candidate[area] = True            # pass
        if board.ko_point >= 0 and board.ko_color == board.to_play:
            candidate[board.ko_point] = False
        moves = np.flatnonzero(candidate)
        p = np.asarray(ev.policy)[moves].astype(np.float64)
        total = p.sum()
        k = len(moves)
        if total > 0:
            p /= total
        else:
            p[:] = 1.0 / k
        self.moves, self.prior, self.raw_prior = moves, p, p.copy()
        block = np.zeros((5, k))    # one allocation for the five statistics arrays
        self.child_N, self.child_W, self.child_W2, self.child_S, self.child_VL = block
        self.children = [None] * k
        self.net_value, self.net_score = float(ev.value), float(ev.score_lead)
        self.touched, self.touched_mask, self.best_untouched = [], np.zeros(k, dtype=bool), -1
        self.prior_order = None

    def remove_child(self, i: int) -> None:
        """Delete candidate ``i`` (found illegal); later children shift down."""
        for name in ("moves", "prior", "raw_prior", "child_N", "child_W", "child_W2", "child_S", "child_VL",
                     "touched_mask"):
            setattr(self, name, np.delete(getattr(self, name), i))
        self.touched = [j - (j > i) for j in self.touched if j != i]
        self.best_untouched, self.prior_order = -1, None
        self.children.pop(i)
        for j in range(i, len(self.children)):
            if self.children[j] is not None:
                self.children[j].index = j

    def touch(self, i: int) -> None:
        """Record that the search descends into child ``i`` (before its virtual loss is added)."""
        if not self.touched_mask[i]:
            self.touched_mask[i] = True
            self.touched.append(i)
            if i == self.best_untouched:
                self.best_untouched = -1

    def child_index(self, move: int) -> int | None:
        """The index of ``move`` among the candidates, or None."""
        if self.moves is None:
            return None
        hits = np.flatnonzero(self.moves == move)
        return int(hits[0]) if len(hits) else None


SMALL_SELECT = 24   # below this many touched children, select_child works in Python floats


def select_child(node: Node, cfg: PuctConfig, is_root: bool) -> int:
    """PUCT with virtual loss and first-play urgency reduction; returns a child index.

    Away from the root most nodes have few touched children (ever descended
    into), and every untouched child has the same q (first-play urgency) and
    no visits, so the best of them is the highest-prior one: the choice is
    made among the touched children and that one, in Python floats (the same
    operations in the same order as the array version, so the same result,
    ties to the lowest index), instead of ~10 array operations.
    """
    total = node.total
    if total == 0:    # nothing visited yet: every child has the same q, the prior decides
        return int(node.prior.argmax())
    if is_root or len(node.touched) > SMALL_SELECT:
        return _select_arrays(node, cfg, is_root)
    fpu = node.net_value - cfg.fpu_reduction * math.sqrt(node.visited_prior)
    c = cfg.c_init + math.log((total + cfg.c_base + 1.0) / cfg.c_base)
    scale = c * math.sqrt(max(total, 1.0))
    prior, child_n, child_w, child_vl = node.prior, node.child_N, node.child_W, node.child_VL
    best, best_value = -1, -math.inf
    j = node.best_untouched
    if j < 0 and len(node.touched) < len(prior):
        j = node.best_untouched = _next_untouched(node)
    if j >= 0:
        best, best_value = j, fpu + float(prior[j]) * scale / 1.0
    for i in node.touched:
        vl = float(child_vl[i])
        n = float(child_n[i]) + vl
        q = fpu if n == 0 else (float(child_w[i]) - vl) / max(n, 1.0)
        value = q + float(prior[i]) * scale / (1.0 + n)
        if value > best_value or (value == best_value and i < best):
            best, best_value = i, value
    return best


def _next_untouched(node: Node) -> int:
    """The highest-prior untouched child (lowest index among equal priors)."""
    order = node.prior_order
    if order is None:
        order = node.prior_order = np.argsort(-node.prior, kind="stable").tolist()
    mask = node.touched_mask
    for i in order:
        if not mask[i]:
            return i
    return -1


def _select_arrays(node: Node, cfg: PuctConfig, is_root: bool) -> int:
    """``select_child`` over the whole arrays (the root: forced playouts, many touched children)."""
    vl = node.child_VL
    n = node.child_N + vl
    total = node.total
    prior = node.prior
    if is_root and cfg.forced_k > 0 and total > 0:
        forced = np.sqrt(cfg.forced_k * prior * total)
        need = (node.child_N > 0) & (n < forced)
        if need.any():
            return int(np.argmax(np.where(need, prior, -1.0)))
    reduction = cfg.fpu_reduction_root if is_root else cfg.fpu_reduction
    fpu = node.net_value - reduction * math.sqrt(node.visited_prior)
    c = cfg.c_init + math.log((total + cfg.c_base + 1.0) / cfg.c_base)
    u = prior * (c * math.sqrt(max(total, 1.0)))
    u /= 1.0 + n
    unvisited = n == 0
    q = node.child_W - vl
    q /= np.maximum(n, 1.0)
    q[unvisited] = fpu
    q += u
    return int(q.argmax())


def release(node: Node) -> int:
    """Break the parent/child links of a discarded subtree (iteratively), so reference
    counting frees it at once instead of leaving cycles for a slow full garbage collection.

    Returns the number of nodes released.
    """
    todo, count = [node], 0
    while todo:
        n = todo.pop()
        todo.extend(c for c in n.children if c is not None)
        n.children = []
        n.parent = None
        count += 1
    return count


def node_bytes(area: int) -> int:
    """Estimated bytes of one expanded node on a board of ``area`` points, as resident memory.

    Measured with tracemalloc over 3,000-node searches (board copy, position,
    six per-child arrays): 9.6 kB on 9x9, 17.3 kB on 13x13, 34.2 kB on 19x19;
    times 1.2 for the allocator's overhead (RSS grew 186 MB for 155 MB traced).
    """
    return (2000 + 92 * area) * 6 // 5


class Tree:
    """A search tree for one game position, with superko checks and leaf batching."""

    def __init__(self, game, history: int = 8):
        self.rules = game.rules
        self.handicap = game.handicap
        self.history = history
        self.seen = set(game.seen_positions)
        board = game.board.copy()
        self.stub = _Stub()
        self.root = Node(self.stub, 0, board, Position.from_game(game, history), self._key(board))
        self.own_sum = np.zeros((board.height, board.width))   # black's view
        self.own_count = 0
        self.node_count = 1          # nodes in the tree (see ``prune``)

    # ----------------------------------------------------------- positions
    def _key(self, board: Board) -> int:
        """The superko key of a board (``engine.game.superko_key``)."""
        return superko_key(self.rules, board.hash, board.to_play, board.width, board.height)

    def _repeats(self, node: Node, key: int) -> bool:
        """True when ``key`` repeats the game's or the path's positions (superko)."""
        if key in self.seen:
            return True
        while isinstance(node, Node):
            if node.key == key:
                return True
            node = node.parent
        return False

    def terminal_result(self, board: Board) -> tuple[float, float]:
        """(value, score) for the side to move of a finished game, by Tromp-Taylor area."""
        komi = self.rules.komi + self.rules.handicap_compensation(self.handicap)
        score = tromp_taylor_score(board, komi) * board.to_play
        return (1.0 if score > 0 else -1.0 if score < 0 else 0.0), float(score)

    def make_child(self, node: Node, i: int) -> Node | None:
        """Build child ``i`` of ``node``; None (and the move deleted) when it is illegal."""
        move = int(node.moves[i])
        board = node.board.copy()
        try:
            board.play(move)
        except IllegalMoveError:
            node.remove_child(i)
            return None
        key = self._key(board)
        if move != board.pass_move and self.rules.ko != SIMPLE_KO and self._repeats(node, key):
            node.remove_child(i)
            return None
        child = Node(node, i, board, node.position.child(board, self.history), key)
        if board.passes >= 2:
            child.terminal = self.terminal_result(board)
        node.children[i] = child
        self.node_count += 1
        return child

    # ------------------------------------------------------------- descent
    def descend(self, cfg: PuctConfig, root_choice: int | None = None) -> tuple[Node | None, list]:
        """Walk from the root to a leaf, adding virtual loss; (leaf, path) or (None, []) on collision.

        ``root_choice`` forces the first move (Gumbel sequential halving).
        """
        node, path = self.root, []
        while node.expanded and node.terminal is None:
            if not len(node.moves):
                break
            i = root_choice if (root_choice is not None and node is self.root) else select_child(
                node, cfg, node is self.root)
            child = node.children[i]
            if child is None:
                child = self.make_child(node, i)
                if child is None:
                    if node is self.root and root_choice is not None:
                        self._undo_path(path)
                        return None, []
                    continue
            node.touch(i)
            node.child_VL[i] += 1
            node.total += 1.0
            path.append((node, i))
            node = child
        if node.pending:
            self._undo_path(path)
            return None, []
        return node, path

    @staticmethod
    def _undo_path(path: list) -> None:
        for parent, i in path:
            parent.child_VL[i] -= 1
            parent.total -= 1.0

    def backup(self, leaf: Node, value: float, score: float) -> None:
        """Add a leaf's value (its side to move's view) along the path; remove virtual loss.

        Walks up by ``parent``/``index`` (not a recorded path: a sibling deleted
        as illegal meanwhile shifts indices, and ``remove_child`` keeps ``index``
        right).
        """
        x, s = -value, -score
        stub = self.stub
        node, parent = leaf, leaf.parent
        while parent is not stub:
            i = node.index
            if parent.child_N[i] == 0:
                parent.visited_prior += parent.prior[i]
            parent.child_N[i] += 1
            parent.child_W[i] += x
            parent.child_W2[i] += x * x
            parent.child_S[i] += s
            parent.child_VL[i] -= 1   # total unchanged: one virtual visit became a real one
            x, s = -x, -s
            node, parent = parent, parent.parent
        stub.child_N[0] += 1
        stub.child_W[0] += x
        stub.child_W2[0] += x * x
        stub.child_S[0] += s

    def run_batch(self, evaluator: Evaluator, cfg: PuctConfig, batch_size: int,
                  root_choices: list[int] | None = None) -> int:
        """Collect up to ``batch_size`` leaves, evaluate them in one call, back up; returns visits done."""
        leaves, done = self.collect(cfg, batch_size, root_choices)
        if leaves:
            done += self.finish(leaves, evaluator.evaluate([leaf.position for leaf in leaves]))
        return done

    def collect(self, cfg: PuctConfig, batch_size: int,
                root_choices: list[int] | None = None) -> tuple[list[Node], int]:
        """Descend up to ``batch_size`` times: (leaves to evaluate, now pending; visits already done).

        Terminal and already-expanded leaves are backed up at once; the others
        keep their virtual loss until ``finish`` backs up their evaluations.
        """
        leaves, done, misses = [], 0, 0
        count = len(root_choices) if root_choices is not None else batch_size
        for k in range(count):
            leaf, _ = self.descend(cfg, root_choices[k] if root_choices is not None else None)
            if leaf is None:
                misses += 1
                if misses > batch_size:
                    break
                continue
            if leaf.terminal is not None:
                self.backup(leaf, leaf.terminal[0], leaf.terminal[1])
                done += 1
            elif leaf.expanded:   # a node without candidate moves cannot happen (pass); guard anyway
                self.backup(leaf, leaf.net_value, leaf.net_score)
                done += 1
            else:
                leaf.pending = True
                leaves.append(leaf)
        return leaves, done

    def finish(self, leaves: list[Node], evals: list[Evaluation]) -> int:
        """Expand ``collect``'s leaves with their evaluations and back them up; returns visits done."""
        for leaf, ev in zip(leaves, evals):
            leaf.pending = False
            leaf.expand(ev)
            self.backup(leaf, float(ev.value), float(ev.score_lead))
        self._record_ownerships(leaves, evals)
        return len(leaves)

    def _record_ownerships(self, leaves: list, evals: list) -> None:
        """Add the batch's ownership maps (black's view) in one sum."""
        owns = [(ev.ownership, leaf.board.to_play) for leaf, ev in zip(leaves, evals)
                if ev.ownership is not None and ev.ownership.shape == self.own_sum.shape]
        if owns:
            self.own_sum += np.einsum("bhw,b->hw", np.stack([o for o, _ in owns]),
                                      np.array([c for _, c in owns], dtype=np.float64))
            self.own_count += len(owns)

    # ---------------------------------------------------------------- reuse
    def advance(self, game) -> bool:
        """Re-root at the game's current position if it lies in this tree; False otherwise."""
        board = game.board
        moves = game.moves
        root_board = self.root.board
        played = board.move_number - root_board.move_number
        if (self.rules != game.rules or self.handicap != game.handicap or played < 0
                or played > len(moves) or played > 4):
            return False
        node = self.root
        for _, move in moves[len(moves) - played:]:
            i = node.child_index(move)
            if i is None or node.children[i] is None:
                return False
            node = node.children[i]
        if node.board.hash != board.hash or node.board.to_play != board.to_play or node.board.passes != board.passes:
            return False
        if node is not self.root:
            self._reroot(node, game)
        self.seen = set(game.seen_positions)
        return True

    def _reroot(self, node: Node, game) -> None:
        p, i = node.parent, node.index
        self.stub = _Stub(p.child_N[i], p.child_W[i], p.child_W2[i], p.child_S[i])
        p.children[i] = None
        self.node_count -= release(self.root)
        node.parent, node.index = self.stub, 0
        node.terminal = None   # the game goes on from the root even after two passes
        node.position = Position.from_game(game, self.history)
        self.root = node
        self.own_sum[:] = 0.0
        self.own_count = 0

    # ------------------------------------------------------------- queries
    def root_value(self) -> float:
        """The root's mean value for its side to move."""
        return self.root.q()

    def ownership(self) -> np.ndarray | None:
        """Mean ownership seen in this search, black's view, or None."""
        return self.own_sum / self.own_count if self.own_count else None

    def principal_variation(self, node: Node, first: int, length: int) -> list[int]:
        """The moves from child ``first`` of ``node`` following the most visited children."""
        pv = [int(node.moves[first])]
        child = node.children[first]
        while child is not None and child.expanded and len(pv) < length and child.child_N.sum() > 0:
            j = int(np.argmax(child.child_N))
            pv.append(int(child.moves[j]))
            child = child.children[j]
        return pv

    def add_dirichlet_noise(self, rng: np.random.Generator, alpha_scale: float, eps: float) -> None:
        """Mix Dirichlet noise into the root priors (alpha = alpha_scale / candidates)."""
        root = self.root
        if not root.expanded or len(root.moves) < 2:
            return
        noise = rng.dirichlet(np.full(len(root.moves), alpha_scale / len(root.moves)))
        self.set_root_prior((1.0 - eps) * root.raw_prior + eps * noise)

    def set_root_prior(self, prior: np.ndarray) -> None:
        """Replace the root's priors (noise, or back to the network's), keeping FPU's sum right."""
        root = self.root
        root.prior = prior
        root.visited_prior = float(prior[root.child_N > 0].sum())
        root.best_untouched, root.prior_order = -1, None

    # ---------------------------------------------------------------- memory
    def prune(self, keep: int) -> int:
        """Drop the least-visited subtrees until at most ``keep`` nodes remain; returns nodes dropped.

        Call between batches (no leaf pending). A dropped child's visits, value
        and score stay in its parent's arrays, so the search's statistics are
        unchanged; only the detail below it is forgotten and, if the child is
        chosen again, rebuilt (its evaluation usually comes from the cache).
        Like Leela Zero's tree-size cap, but the search goes on instead of stopping.
        """
        if self.node_count <= keep:
            return 0
        nodes, todo = [], [self.root]
        while todo:
            n = todo.pop()
            for c in n.children:
                if c is not None:
                    nodes.append(c)
                    todo.append(c)
        visits = np.array([n.parent.child_N[n.index] for n in nodes])
        dropped = 0
        for j in np.argsort(visits, kind="stable"):
            if self.node_count <= keep:
                break
            node = nodes[j]
            if node.parent is None or node.pending:   # already inside a dropped subtree
                continue
            node.parent.children[node.index] = None
            count = release(node)
            self.node_count -= count
            dropped += count
        return dropped
