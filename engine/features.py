"""Network input features: ONE definition, used by play (engine) and training (nets).

Contract (``FEATURE_VERSION`` = 1). For a ``Position`` whose current board is
``h x w`` with side to move ``c``:

``planes`` float32 ``[NUM_PLANES, H, W]`` (``H, W >= h, w``; the board sits in
the top-left corner ``[:h, :w]``, everything else is zero):

=========  ===============================================================
plane      meaning (1.0 where true)
=========  ===============================================================
0          board mask: on the board (0 in padding, so one net serves many sizes)
1 + 2i     stones of ``c`` (side to move now) in ``boards[i]``, i = 0..HISTORY-1
2 + 2i     stones of ``-c`` in ``boards[i]`` (all-zero when history is shorter)
17         stones (either colour) in chains with exactly 1 liberty (current board)
18         ... exactly 2 liberties
19         ... 3 or more liberties
20         the simple-ko point the side to move may not take back
=========  ===============================================================

``globals`` float32 ``[NUM_GLOBALS]``:

===  =================================================================
0    komi from the side to move's view / 20 (``+komi`` for white, ``-komi`` for black)
1    1 if black is to move
2    1 for territory scoring (0: area)
3    1 for the simple-ko rule
4    1 for situational superko (positional superko: 3 and 4 are both 0)
5    1 if suicide is allowed
6    1 if the previous move was a pass
===  =================================================================

Inputs 3-5 are those of the scoring's standard rule set (``rule_inputs``):
Chinese's (positional superko, no suicide) under area scoring and Japanese's
(simple ko, no suicide) under territory scoring, whatever the game's own ko
and suicide rules. zerogo's nets learn from Chinese and Japanese games only;
shown AGA's situational superko or Tromp-Taylor's suicide, which they never
saw, they misjudged even the empty board by 24-56 points. The search keeps
the game's own rules for which moves are legal.

The per-board arrays (stones, liberty classes) are kept on the board object
(``board_arrays``), because in a search the same boards appear in many
positions' histories. ``encode_batch`` writes straight into one preallocated array.
"""

from __future__ import annotations

import numpy as np

from engine.board import BLACK, WHITE, Board
from engine.evaluation import Position
from engine.rules import TERRITORY, Rules
from engine.symmetry import (  # noqa: F401  (re-exported: the symmetry half of the contract)
    NUM_SYMMETRIES, apply_each, apply_symmetry_planes, apply_symmetry_policy, inverse_symmetry,
    inverse_symmetry_planes, inverse_symmetry_policy, shape_preserving, transformed_shape, undo_each,
)

FEATURE_VERSION = 1
HISTORY = 8
NUM_PLANES = 1 + 2 * HISTORY + 3 + 1
NUM_GLOBALS = 7
MASK_PLANE = 0
LIBERTY_PLANES = 1 + 2 * HISTORY  # first of the three liberty planes
KO_PLANE = LIBERTY_PLANES + 3
KOMI_SCALE = 20.0


class FeatureError(ValueError):
    """A position that cannot be encoded (empty history, board larger than the padding)."""


def board_arrays(board: Board, previous: Board | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(stones int8 [h, w], liberty class int8 [h, w] in 0..3) of ``board``, kept on the board.

    Stored in ``board.feature_arrays`` with the Zobrist hash they were made
    for, so a board that has moved on since is recomputed; copies share them.
    ``previous``: the board one move earlier, if known; when its arrays are
    kept, only the points the move changed are redone (``_arrays_after_move``).
    """
    cached = board.feature_arrays
    if cached is not None and cached[0] == board.hash:
        return cached[1], cached[2]
    arrays = _arrays_after_move(previous, board) if previous is not None else None
    stones, libs = arrays if arrays is not None else _board_arrays(board)
    board.feature_arrays = (board.hash, stones, libs)
    return stones, libs


def _arrays_after_move(previous: Board, board: Board) -> tuple[np.ndarray, np.ndarray] | None:
    """``board``'s arrays from ``previous``'s kept ones when ``board`` is ``previous`` plus one stone.

    A move changes the stones at its point and at the points it captured, and
    the liberty class of the chains next to those points and of its own chain:
    only those are rewritten. The captures are read from ``previous``'s chains
    and the result is trusted only if the Zobrist hash agrees; anything else
    (a pass, a suicide, set-up stones, another board) returns None and the
    arrays are made from scratch. The stones also become ``board.stones_flat()``.
    """
    kept = previous.feature_arrays
    move = board.last_move
    if (kept is None or kept[0] != previous.hash or move is None or not 0 <= move < board.area
            or board.move_number != previous.move_number + 1 or board.area != previous.area):
        return None
    gid, groups, nbrs = board._gid, board._groups, board._nbrs  # noqa: SLF001
    if gid[move] < 0:   # the stone took itself off (suicide where allowed)
        return None
    color = -board.to_play
    zob = board._zob  # noqa: SLF001
    expected = previous.hash ^ zob[color][move]
    captured: list[int] = []
    seen: list[int] = []
    for n in nbrs[move]:
        g = previous._gid[n]  # noqa: SLF001
        if g >= 0 and g not in seen and previous.stones[n] == -color:
            seen.append(g)
            chain = previous._groups[g]  # noqa: SLF001
            if len(chain.libs) == 1:
                captured.extend(chain.stones)
    for s in captured:
        expected ^= zob[-color][s]
    if expected != board.hash:
        return None
    stones = kept[1].copy()
    libs = kept[2].copy()
    flat, lib_flat = stones.reshape(-1), libs.reshape(-1)
    flat[move] = color
    chains = {gid[move]}
    changed = [move]
    if captured:
        flat[captured] = 0
        lib_flat[captured] = 0
        changed += captured
    for p in changed:
        for n in nbrs[p]:
            if gid[n] >= 0:
                chains.add(gid[n])
    for g in chains:
        chain = groups[g]
        lib_flat[chain.stones] = min(len(chain.libs), 3)
    flat.flags.writeable = stones.flags.writeable = libs.flags.writeable = False
    board._flat = (board.hash, flat)  # noqa: SLF001  (stones_flat() reuses it)
    return stones, libs


def current_arrays(position: Position) -> tuple[np.ndarray, np.ndarray]:
    """``board_arrays`` of the position's current board, from the previous board's when it has one."""
    boards = position.boards
    return board_arrays(boards[0], boards[1] if len(boards) > 1 else None)


def history_stones(position: Position) -> np.ndarray:
    """The stones of the position's last ``HISTORY`` boards, int8 ``[HISTORY, h, w]`` (zeros where
    the history is shorter), kept on the position.

    A position made by ``Position.child`` starts from its parent's stack when
    the parent's was made: one new board on top instead of ``HISTORY`` again.
    The stack is kept with the current board's hash, so a position whose board
    has moved on since (``Position.from_game`` holds the game's live board) is
    stacked again.
    """
    boards = position.boards
    kept = position.stones_history
    if kept is not None and kept[0] == boards[0].hash:
        return kept[1]
    h, w = boards[0].height, boards[0].width
    current = current_arrays(position)[0]
    parent = position.parent_history    # (the parent's board count, its stack)
    if (parent is not None and parent[1].shape == (HISTORY, h, w)
            and (len(boards) >= HISTORY or len(boards) == parent[0] + 1)):   # the child kept all it could
        stack = np.concatenate((current[None], parent[1][:HISTORY - 1]))
    else:
        stack = np.zeros((HISTORY, h, w), np.int8)
        stack[0] = current
        for i, b in enumerate(boards[1:HISTORY], 1):
            if (b.height, b.width) != (h, w):
                raise FeatureError("history boards must have the current board's size")
            stack[i] = board_arrays(b)[0]
    stack.flags.writeable = False
    position.stones_history = (boards[0].hash, stack)
    position.parent_history = None
    return stack


def _board_arrays(board: Board) -> tuple[np.ndarray, np.ndarray]:
    """Stones and liberty classes (0 empty, 1, 2, 3 = three or more) of a board.

    Vectorised over the points: a chain's id is one of its points, so the
    class of every chain goes into a table indexed by id (slot ``area`` for
    the ``-1`` of empty points) and one lookup spreads it over the stones.
    This is the search's hot path (a mid-game 19x19 board has ~60 chains and
    ~150 stones), so it reads the board's chains directly.
    """
    stones = board.stones_flat()
    groups = board._groups  # noqa: SLF001
    table = np.zeros(board.area + 1, dtype=np.int8)
    if groups:
        table[list(groups)] = np.minimum([len(g.libs) for g in groups.values()], 3)
    libs = table[np.array(board._gid, dtype=np.intp)]  # noqa: SLF001  (-1 reads slot area: 0)
    shape = (board.height, board.width)
    return stones.reshape(shape), libs.reshape(shape)


def encode_globals(position: Position, out: np.ndarray | None = None) -> np.ndarray:
    """The global inputs ``[NUM_GLOBALS]`` of a position (see the module table)."""
    g = np.zeros(NUM_GLOBALS, np.float32) if out is None else out
    g[:] = _globals_row(position)
    return g


def rule_inputs(rules: Rules) -> tuple[float, float, float, float]:
    """Global inputs 2-5 (territory scoring, simple ko, situational superko, suicide) as the net sees them.

    The scoring's standard rule set stands in for the game's ko and suicide rules:
    Chinese (positional superko, no suicide) for area, Japanese (simple ko) for territory.
    """
    return (1.0, 1.0, 0.0, 0.0) if rules.scoring == TERRITORY else (0.0, 0.0, 0.0, 0.0)


def _globals_row(position: Position) -> tuple[float, ...]:
    """The ``NUM_GLOBALS`` global inputs as Python floats."""
    board, rules = position.boards[0], position.rules
    komi = rules.komi if board.to_play == WHITE else -rules.komi
    return (komi / KOMI_SCALE,
            1.0 if board.to_play == BLACK else 0.0,
            *rule_inputs(rules),
            1.0 if board.passes >= 1 else 0.0)


def _fill_planes(out: np.ndarray, position: Position) -> None:
    """Write a position's planes into ``out`` ``[NUM_PLANES, H, W]`` (already zeroed)."""
    boards = position.boards
    if not boards:
        raise FeatureError("a position needs at least one board")
    board = boards[0]
    h, w = board.height, board.width
    if h > out.shape[1] or w > out.shape[2]:
        raise FeatureError(f"a {w}x{h} board does not fit in a {out.shape[2]}x{out.shape[1]} tensor")
    me = board.to_play
    out[MASK_PLANE, :h, :w] = 1.0
    stones = history_stones(position)                           # [HISTORY, h, w]
    out[1:1 + 2 * HISTORY:2, :h, :w] = stones == me
    out[2:2 + 2 * HISTORY:2, :h, :w] = stones == -me
    libs = current_arrays(position)[1]
    out[LIBERTY_PLANES, :h, :w] = libs == 1
    out[LIBERTY_PLANES + 1, :h, :w] = libs == 2
    out[LIBERTY_PLANES + 2, :h, :w] = libs == 3
    if board.ko_point >= 0 and board.ko_color == me:
        r, c = divmod(board.ko_point, w)
        out[KO_PLANE, r, c] = 1.0


def encode(position: Position) -> tuple[np.ndarray, np.ndarray]:
    """Planes float32 ``[NUM_PLANES, h, w]`` and globals float32 ``[NUM_GLOBALS]``."""
    if not position.boards:
        raise FeatureError("a position needs at least one board")
    b = position.board
    planes = np.zeros((NUM_PLANES, b.height, b.width), np.float32)
    _fill_planes(planes, position)
    return planes, encode_globals(position)


def encode_batch(positions: list[Position], pad_to: tuple[int, int] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Planes ``[N, NUM_PLANES, H, W]`` and globals ``[N, NUM_GLOBALS]`` for a batch.

    ``pad_to = (H, W)``; None pads to the largest height and width in the batch.
    Smaller boards sit in the top-left corner with mask plane 0 outside.
    """
    if any(not p.boards for p in positions):
        raise FeatureError("a position needs at least one board")
    shapes = {(p.boards[0].height, p.boards[0].width) for p in positions}
    if pad_to is None:
        pad_to = (max(h for h, _ in shapes), max(w for _, w in shapes))
    pad_to = (int(pad_to[0]), int(pad_to[1]))
    exact = shapes == {pad_to}      # one board shape, no padding: _fill_batch writes every plane whole
    planes = (np.empty if exact else np.zeros)((len(positions), NUM_PLANES, pad_to[0], pad_to[1]), np.float32)
    if len(shapes) == 1:
        _fill_batch(planes, positions, zeroed=not exact)
    else:
        for n, pos in enumerate(positions):
            _fill_planes(planes[n], pos)
    glob = np.array([_globals_row(p) for p in positions], np.float32).reshape(len(positions), NUM_GLOBALS)
    return planes, glob


def _fill_batch(out: np.ndarray, positions: list[Position], zeroed: bool = True) -> None:
    """``_fill_planes`` for a batch of one board size, with one vectorised pass over the batch.

    Each plane group is written by one ufunc straight into ``out`` (no
    temporary arrays); ``zeroed=False``: ``out`` is uninitialised and exactly the
    board's size, and the ko plane is cleared here (the others are written whole).
    """
    board0 = positions[0].board
    h, w = board0.height, board0.width
    if h > out.shape[2] or w > out.shape[3]:
        raise FeatureError(f"a {w}x{h} board does not fit in a {out.shape[3]}x{out.shape[2]} tensor")
    count = len(positions)
    stones = np.empty((count, HISTORY, 1, h, w), np.int8)
    libs = np.empty((count, 1, h, w), np.int8)
    colours = np.empty((count, 1, 2, 1, 1), np.int8)   # (side to move, opponent) of each position
    if not zeroed:
        out[:, KO_PLANE] = 0.0
    for n, pos in enumerate(positions):
        stones[n, :, 0] = history_stones(pos)
        libs[n, 0] = current_arrays(pos)[1]
        board = pos.board
        me = board.to_play
        colours[n, 0, 0], colours[n, 0, 1] = me, -me
        if board.ko_point >= 0 and board.ko_color == me:
            r, c = divmod(board.ko_point, w)
            out[n, KO_PLANE, r, c] = 1.0
    out[:, MASK_PLANE, :h, :w] = 1.0
    # planes 1 + 2i and 2 + 2i side by side: split the plane axis (always a view, never a copy)
    history = out[:, 1:1 + 2 * HISTORY, :h, :w].reshape(count, HISTORY, 2, h, w)
    np.equal(stones, colours, out=history, casting="unsafe")
    np.equal(libs, _LIBERTY_CLASSES, out=out[:, LIBERTY_PLANES:LIBERTY_PLANES + 3, :h, :w], casting="unsafe")


_LIBERTY_CLASSES = np.array([1, 2, 3], np.int8)[None, :, None, None]


def board_policy(policy_padded: np.ndarray, width: int, height: int, pad_w: int) -> np.ndarray:
    """Cut a ``[..., H*W + 1]`` output over a padded board down to ``[..., area + 1]``."""
    lead = policy_padded.shape[:-1]
    pad_h = (policy_padded.shape[-1] - 1) // pad_w
    grid = policy_padded[..., :-1].reshape(*lead, pad_h, pad_w)[..., :height, :width]
    return np.concatenate([grid.reshape(*lead, width * height), policy_padded[..., -1:]], -1)
