"""The Monte Carlo tree: iterative descent, superko checks, backup, leaf batching, re-rooting, pruning.

Nodes, their per-child arrays, PUCT selection and the value sign convention
(read it first) are in ``engine.mcts_node``. Descent is a loop, never
recursion, so a 1000-move game has no depth limit. Children are created
lazily: expansion keeps every empty point and pass (minus the simple-ko
point); a move found illegal (suicide, superko) when its child is first built
is deleted from the arrays.
"""

from __future__ import annotations

import numpy as np

from engine.board import Board, IllegalMoveError
from engine.evaluation import Evaluation, Evaluator, Position
from engine.game import superko_key
from engine.ladder_prior import ladder_aware_prior
from engine.mcts_node import Node, PuctConfig, ScoreUtility, _Stub, node_bytes, release, select_child
from engine.rules import SIMPLE_KO
from engine.scoring import tromp_taylor_score


def node_reached(tree, game):
    """The node of ``tree`` (Python or compiled) the game's moves since its root lead to, or None.

    None too when the rules differ or more than four moves were played.
    """
    moves = game.moves
    played = game.board.move_number - tree.root.board.move_number
    if (tree.rules != game.rules or tree.handicap != game.handicap or played < 0
            or played > len(moves) or played > 4):
        return None
    node = tree.root
    for _, move in moves[len(moves) - played:]:
        i = node.child_index(move)
        if i is None or node.children[i] is None:
            return None
        node = node.children[i]
    return node


class Tree:
    """A search tree for one game position, with superko checks and leaf batching."""

    pipelines = True   # collect and finish can overlap the network (engine.search's pipeline)

    def __init__(self, game, history: int = 8, ladder_factor: float = 1.0, policy_temperature: float = 1.0):
        self.ladder_factor = ladder_factor   # < 1: the root and its children play down futile ladder escapes
        self.policy_temperature = policy_temperature   # > 1: flatter priors (Node.expand)
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
        self.score_utility: ScoreUtility | None = None   # the current search's (set by the searcher)
        self.bytes_per_node = node_bytes(board.area)    # resident memory of a node, for the tree's cap

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
        root = self.root
        node, path = root, []
        while node.moves is not None and node.terminal is None:   # expanded, not finished
            if not len(node.moves):
                break
            i = root_choice if (root_choice is not None and node is root) else select_child(
                node, cfg, node is root)
            child = node.children[i]
            if child is None:
                child = self.make_child(node, i)
                if child is None:
                    if node is self.root and root_choice is not None:
                        self._undo_path(path)
                        return None, []
                    continue
            node.touch(i)
            vl = node.child_VL
            vl[i] = vl.item(i) + 1.0
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
        while parent is not stub:   # arr[i] = arr.item(i) + x: cheaper than arr[i] += x (no numpy scalar)
            i = node.index
            n = parent.child_N
            visits = n.item(i)
            if visits == 0:
                parent.visited_prior += parent.prior.item(i)
            n[i] = visits + 1.0
            w = parent.child_W
            w[i] = w.item(i) + x
            w2 = parent.child_W2
            w2[i] = w2.item(i) + x * x
            sc = parent.child_S
            sc[i] = sc.item(i) + s
            vl = parent.child_VL
            vl[i] = vl.item(i) - 1.0   # total unchanged: one virtual visit became a real one
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
            try:
                evals = evaluator.evaluate([leaf.position for leaf in leaves])
            except BaseException:
                self.abandon(leaves)      # the tree stays searchable after a failed network run
                raise
            done += self.finish(leaves, evals)
        return done

    def abandon(self, leaves: list[Node]) -> None:
        """Take back ``collect``'s virtual losses and pending marks of leaves that will not be evaluated."""
        for leaf in leaves:
            leaf.pending = False
            node = leaf
            while node.parent is not self.stub:
                parent = node.parent
                parent.child_VL[node.index] -= 1.0
                parent.total -= 1.0
                node = parent

    def collect(self, cfg: PuctConfig, batch_size: int,
                root_choices: list[int] | None = None) -> tuple[list[Node], int]:
        """Descend up to ``batch_size`` times: (leaves to evaluate, now pending; visits already done).

        Terminal and already-expanded leaves are backed up at once; the others
        keep their virtual loss until ``finish`` backs up their evaluations.
        """
        leaves, done, misses = [], 0, 0
        # Gumbel's root choices as moves: a root move found illegal mid-batch shifts the later indices
        root_moves = [int(self.root.moves[i]) for i in root_choices] if root_choices is not None else None
        count = len(root_moves) if root_moves is not None else batch_size
        for k in range(count):
            choice = None if root_moves is None else self.root.child_index(root_moves[k])
            if root_moves is not None and choice is None:
                misses += 1       # removed as illegal by an earlier descent of this batch
                continue
            leaf, _ = self.descend(cfg, choice)
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
            leaf.expand(ev, self.policy_temperature)
            if leaf.parent is self.root:
                self._play_down_futile_escapes(leaf)
            self.backup(leaf, float(ev.value), float(ev.score_lead))
        self._record_ownerships(leaves, evals)
        return len(leaves)

    def _play_down_futile_escapes(self, node: Node) -> None:
        """The root's or a reply's futile ladder escapes played down (``engine.ladder_prior``).

        One level below the root, a root move that starts a working ladder is
        judged by the opponent's other answers, not by a run the net wrongly
        thinks escapes. No deeper: the reader costs too much for every node.
        """
        if self.ladder_factor >= 1.0:
            return
        prior = ladder_aware_prior(node.board, node.moves, node.prior, self.ladder_factor)
        if prior is None:
            return
        if node is self.root:
            self.set_root_prior(prior)
        else:
            node.set_prior(prior)    # raw_prior keeps the net's own view

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
        node = node_reached(self, game)
        if node is None:
            return False
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

    def discard(self) -> None:
        """Free the tree's nodes at once (``release``: no cycles left for the garbage collector)."""
        release(self.root)

    # ------------------------------------------------------------- queries
    def root_value(self) -> float:
        """The root's mean value for its side to move."""
        return self.root.q()

    def ownership(self) -> np.ndarray | None:
        """Mean ownership seen in this search, black's view, or None."""
        return self.own_sum / self.own_count if self.own_count else None

    @staticmethod
    def _variation(node: Node, first: int, length: int) -> list[tuple[int, int]]:
        """(move, visits) from child ``first`` of ``node`` following the most visited children."""
        out = [(int(node.moves[first]), int(node.child_N[first]))]
        child = node.children[first]
        while child is not None and child.expanded and len(out) < length and child.child_N.sum() > 0:
            j = int(np.argmax(child.child_N))
            out.append((int(child.moves[j]), int(child.child_N[j])))
            child = child.children[j]
        return out

    def principal_variation(self, node: Node, first: int, length: int) -> list[int]:
        """The moves from child ``first`` of ``node`` following the most visited children."""
        return [move for move, _ in self._variation(node, first, length)]

    def pv_visits(self, node: Node, first: int, length: int) -> list[int]:
        """Visits of each node along ``principal_variation``."""
        return [visits for _, visits in self._variation(node, first, length)]

    def add_dirichlet_noise(self, rng: np.random.Generator, alpha_scale: float, eps: float) -> None:
        """Mix Dirichlet noise into the root priors as they stand (alpha = alpha_scale / candidates)."""
        root = self.root
        if not root.expanded or len(root.moves) < 2:
            return
        noise = rng.dirichlet(np.full(len(root.moves), alpha_scale / len(root.moves)))
        self.set_root_prior((1.0 - eps) * root.prior + eps * noise)   # the prior as set (e.g. ladders known)

    def reset_root_prior(self) -> None:
        """Back to the network's root priors, futile ladder escapes played down (``ladder_factor``)."""
        self.set_root_prior(self.root.raw_prior.copy())
        self._play_down_futile_escapes(self.root)

    def set_root_prior(self, prior: np.ndarray) -> None:
        """Replace the root's priors (noise, or back to the network's), keeping FPU's sum right."""
        root = self.root
        root.set_prior(prior)
        root.visited_prior = float(prior[root.child_N > 0].sum())

    # ---------------------------------------------------------------- memory
    def prune(self, keep: int) -> int:
        """Drop the least-visited subtrees until at most ``keep`` nodes remain; returns nodes dropped.

        Subtrees holding a leaf still being evaluated (virtual loss on the way
        to it: a pipelined search's batch in flight) are kept. A dropped child's visits, value
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
            parent = node.parent
            if parent is None or node.pending or parent.child_VL.item(node.index) > 0:
                continue   # already inside a dropped subtree, or on the way to a leaf still on the net
            node.parent.children[node.index] = None
            count = release(node)
            self.node_count -= count
            dropped += count
        return dropped
