"""A local reading of seki-looking shapes: the bent four in the corner, and sacrifices that kill.

Under Japanese (and Korean) rules, life and death after the game stops is
settled by hypothetical play in which a ko that is taken may be taken back
only after a pass for that ko, so no one has ko threats: the attacker fills
the outside liberties and starts the ko when it suits it. The classic case
is the *bent four in the corner*: a white group in the corner whose only
liberties it shares with two black stones in its eye space looks like a
seki (neither side can approach, and clean-up play-outs leave it standing),
but black can turn it into a ko that white cannot win, so the rules call it
dead (Japanese Rules of Go 1989, confirmation examples; Sensei's Library
"Bent four in the corner is dead").

Clean-up play-outs never put a chain of more than three stones in
self-atari, so they also miss the sacrifice that kills a seki look-alike:
an eyeless chain inside a ring that, filling a shared liberty, is captured
as a dead eye shape (a bulky five, say) in which the filler then plays the
vital point. That needs no ko and is dead under every rule.

``dead_by_confirmation`` reads each cluster of seki chains locally: for
every chain of the cluster, can the other colour, moving first, capture it
when play is restricted to the cluster's stones and liberties, passes are
allowed, simple ko holds (a pass lifts the ko ban, as in the confirmation
rule) and two passes end the reading? A chain it can capture is dead. Under
area rules (``ko_allowed`` False) a ko is fought with real threats, so a
line through a ko does not count. A real seki, or a look-alike with
outside liberties the attacker cannot fill, stays seki. Clusters with more than
``MAX_EMPTY`` empty points are not read (they are not the small corner
shapes this rule is about), nor is a chain past ``max_nodes`` positions:
they keep the play-outs' verdict.

Order: board ← seki_reading.
"""

from __future__ import annotations

from engine.board import EMPTY, Board

MAX_EMPTY = 6        # empty points (liberties) of a cluster worth reading
DEPTH = 24           # plies of the local reading (the bent four needs 20)
MAX_NODES = 20_000   # default positions read per chain before giving up (the chain keeps its seki)


def seki_clusters(board: Board, seki: set[int]) -> list[list[tuple[int, list[int], set[int]]]]:
    """The seki chains, grouped into clusters of chains that touch or share a liberty."""
    chains = [c for c in board.chains() if c[1][0] in seki]
    parent = list(range(len(chains)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reach = [set(stones) | libs | {n for p in stones for n in board.neighbors(p)} for _, stones, libs in chains]
    for i in range(len(chains)):
        for j in range(i + 1, len(chains)):
            if not reach[i].isdisjoint(chains[j][1]) or not chains[i][2].isdisjoint(chains[j][2]):
                parent[root(i)] = root(j)
    clusters: dict[int, list] = {}
    for i, chain in enumerate(chains):
        clusters.setdefault(root(i), []).append(chain)
    return list(clusters.values())


def dead_by_confirmation(board: Board, seki: set[int], ko_allowed: bool = True,
                         max_nodes: int = MAX_NODES) -> set[int]:
    """Stones of seki chains that the other colour, moving first and with no ko threats against it, captures.

    ``ko_allowed`` False (area rules, where a ko is fought with real threats)
    counts only captures whose reading never passes through a ko.
    """
    dead: set[int] = set()
    for cluster in seki_clusters(board, seki):
        liberties = set().union(*(libs for _, _, libs in cluster))
        if len(liberties) > MAX_EMPTY:
            continue
        points = sorted(liberties | {p for _, stones, _ in cluster for p in stones})
        for _, stones, _ in cluster:
            if killed_moving_first(board, stones, points, ko_allowed, max_nodes):
                dead.update(stones)
    return dead


def killed_moving_first(board: Board, stones: list[int], points: list[int], ko_allowed: bool,
                        max_nodes: int) -> bool:
    """Whether the opponent of the chain ``stones``, moving first, captures it with play on ``points``.

    The reading (``_captures``) starts from ``board`` with no passes and no ko
    standing, and stops at ``DEPTH`` plies or ``max_nodes`` positions.
    """
    color = board.stones[stones[0]]
    start = board.copy()
    start.passes = 0
    start.ko_point, start.ko_color = -1, EMPTY
    memo = {"nodes": 0, "ko": ko_allowed, "max": max_nodes}
    return _captures(start, -color, stones[0], color, points, -color, DEPTH, memo)


def _captures(board: Board, attacker: int, target: int, target_color: int, points: list[int],
              to_move: int, depth: int, memo: dict) -> bool:
    """Whether ``attacker`` captures the chain at ``target`` with best play from here (moves on ``points``, passes).

    Out of ``memo["max"]`` positions, or of depth, a line counts as no capture.
    """
    if board.stones[target] != target_color:
        return True
    if board.passes >= 2 or depth == 0 or memo["nodes"] >= memo["max"]:
        return False
    memo["nodes"] += 1
    key = (board.hash, to_move, board.ko_point, board.passes, depth)
    if key in memo:
        return memo[key]
    moves = [p for p in points if board.stones[p] == EMPTY and board.is_legal(p, to_move)]
    moves.append(board.pass_move)
    want = to_move == attacker
    result = not want
    for move in moves:
        child = board.copy()
        child.play(move, to_move)
        if want and child.stones[target] != target_color:
            result = True
            break
        if child.ko_point >= 0 and not memo["ko"]:
            if not want:
                result = False   # a ko: under area rules the reading stops, the chain keeps its seki
                break
            continue
        if _captures(child, attacker, target, target_color, points, -to_move, depth - 1, memo) == want:
            result = want
            break
    memo[key] = result
    return result
