"""KataGo's ladder features: which chains are ladder-captured, and the moves that make a ladder work.

A faithful port of lightvector/KataGo's ``Board::searchIsLadderCaptured``,
``Board::searchIsLadderCapturedAttackerFirst2Libs`` (``cpp/game/board.cpp``)
and ``iterLadders`` (``cpp/neuralnet/nninputs.cpp``), on a scratch copy of
the stones:

* A chain in atari is *laddered* when, with the defender to move, every
  defence (capturing an adjacent attacker chain in atari, or extending on its
  liberty) can be answered by an atari that again leaves no defence. Kos
  count as escapes for the defender: the simple-ko point is cleared at the
  root, and a defender facing a fresh ko point has escaped. The attacker wins
  at once against a "double ko" it can keep taking.
* A chain with two liberties is laddered when the attacker has a first move
  on one of them after which the chain is laddered as above; those first
  moves are the *working moves*.
* Suicide is never legal in the search; the simple-ko point bans both colours
  (KataGo's ``isLegal``).

Results for a whole board are cached by the board's hash and ko point: in a
search the previous boards of a position are earlier positions' current
boards.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from engine.board import EMPTY, Board
from engine.katago.scratch import ScratchBoard


@dataclass(frozen=True)
class LadderInfo:
    """The ladder facts of one board."""

    laddered: tuple[int, ...]             # every stone of every laddered chain
    working_against: dict[int, tuple[int, ...]]  # colour -> working moves against its 2-liberty chains


def _search(b: ScratchBoard, target: int, defender: bool, depth: int) -> bool:
    """True when the chain at ``target`` is captured with correct play from here."""
    if depth >= b.limit - 1:
        return True
    pla = b.s[target]
    stones, libs = b.chain(target)
    n = len(libs)
    if not defender:
        if n <= 1:
            return True
        if n >= 3:
            return False
    else:
        if n >= 2 or b.ko >= 0:
            return False
    if defender:
        moves = b.atari_neighbour_libs(stones, pla)
        moves += [lib for lib in libs if lib not in moves]
        color = pla
    else:
        lib0, lib1 = libs
        libs0, libs1 = b.immediate_libs(lib0), b.immediate_libs(lib1)
        if libs0 == 0 and libs1 == 0 and b.would_be_ko_capture(lib0, -pla) \
                and b.would_be_ko_capture(lib1, -pla) \
                and b.libs_after_play(lib0, pla, 3) <= 2 and b.libs_after_play(lib1, pla, 3) <= 2 \
                and not b.atari_neighbour_libs(stones, pla, first_only=True):
            return True
        moves = [lib0, lib1]
        if lib1 not in b.nb[lib0]:
            if libs0 >= 3 and libs1 >= 3:
                return False
            if libs0 >= 3:
                moves = [lib0]
            elif libs1 >= 3:
                moves = [lib1]
        if len(moves) == 2 and libs1 > libs0:
            moves = [lib1, lib0]
        color = -pla
    for move in moves:
        if not b.legal(move, color):
            continue
        record = b.play(move, color)
        result = _search(b, target, not defender, depth + 1)
        b.undo(record)
        if defender and not result:
            return False
        if not defender and result:
            return True
    return defender


def is_ladder_captured(b: ScratchBoard, target: int) -> bool:
    """KataGo's searchIsLadderCaptured with the defender (in atari) to move."""
    if b.libs_at_most(target, 2) > 1:
        return False
    saved = b.ko
    b.ko = -1
    try:
        return _search(b, target, True, 0)
    finally:
        b.ko = saved


def working_moves(b: ScratchBoard, target: int) -> list[int]:
    """KataGo's searchIsLadderCapturedAttackerFirst2Libs: first ataris that ladder a 2-liberty chain."""
    _, libs = b.chain(target)
    if len(libs) != 2:
        return []
    attacker = -b.s[target]
    out = []
    for move in sorted(libs):
        if b.legal(move, attacker):
            record = b.play(move, attacker)
            works = is_ladder_captured(b, target)
            b.undo(record)
            if works:
                out.append(move)
    return out


_CHAIN_MEMO: OrderedDict = OrderedDict()
_CHAIN_MEMO_SIZE = 8192


def clear_chain_memo() -> None:
    """Forget every per-chain ladder result."""
    _CHAIN_MEMO.clear()


def _chain_result(scratch: ScratchBoard, board: Board, stones: list[int], nlibs: int
                  ) -> tuple[bool, tuple[int, ...]]:
    """Laddered?, and working moves (two liberties), for one chain; reused when nothing it read changed.

    The search is a function of the contents of the points it looked at (and,
    for two liberties, of the ko point at the root), so a result computed on
    another board stays valid while those points hold the same stones.
    """
    now = board.stones
    key = (board.width, board.height, now[stones[0]], frozenset(stones),
           board.ko_point if nlibs == 2 else -1)
    entries = _CHAIN_MEMO.get(key)
    if entries is not None:
        for points, values, result in entries:
            if all(now[p] == v for p, v in zip(points, values)):
                _CHAIN_MEMO.move_to_end(key)
                return result
    scratch.reads = set()
    if nlibs == 1:
        result = (is_ladder_captured(scratch, stones[0]), ())
    else:
        moves = working_moves(scratch, stones[0])
        result = (bool(moves), tuple(moves))
    points = tuple(scratch.reads)
    entry = (points, tuple(now[p] for p in points), result)
    if entries is None:
        _CHAIN_MEMO[key] = [entry]
        if len(_CHAIN_MEMO) > _CHAIN_MEMO_SIZE:
            _CHAIN_MEMO.popitem(last=False)
    else:
        entries.insert(0, entry)
        del entries[4:]
    return result


def _extension_libs_at_least_3(board: Board, group, point: int, occupied: int = -1) -> bool:
    """Extending ``group`` at its liberty ``point`` surely gives three liberties or more.

    A lower bound from the board's chains (captures would only add liberties);
    ``occupied`` is a point the attacker has just filled.
    """
    stones, gid, groups = board.stones, board._gid, board._groups
    libs = set(group.libs)
    libs.discard(point)
    color = group.color
    for n in board._nbrs[point]:
        sn = stones[n]
        if sn == EMPTY:
            libs.add(n)
        elif sn == color:
            other = groups[gid[n]]
            if other is not group:
                libs |= other.libs
    libs.discard(point)
    libs.discard(occupied)
    return len(libs) >= 3


def _surely_escapes(board: Board, group) -> bool:
    """The chain is provably not laddered: each attack leaves an extension to three liberties."""
    if len(group.libs) == 1:
        return _extension_libs_at_least_3(board, group, next(iter(group.libs)))
    lib0, lib1 = group.libs
    return (_extension_libs_at_least_3(board, group, lib1, lib0)
            and _extension_libs_at_least_3(board, group, lib0, lib1))


def board_ladders(board: Board) -> LadderInfo:
    """iterLadders over a whole board: laddered stones and working moves by defending colour."""
    scratch: ScratchBoard | None = None
    laddered: list[int] = []
    working: dict[int, list[int]] = {1: [], -1: []}
    for group in board._groups.values():
        nlibs = len(group.libs)
        if nlibs not in (1, 2) or _surely_escapes(board, group):
            continue
        if scratch is None:
            scratch = ScratchBoard(board)
        captured, moves = _chain_result(scratch, board, group.stones, nlibs)
        if captured:
            laddered.extend(group.stones)
            if moves:
                bucket = working[group.color]
                bucket.extend(m for m in moves if m not in bucket)
    return LadderInfo(tuple(laddered), {c: tuple(m) for c, m in working.items()})


class LadderCache:
    """A bounded LRU of ``board_ladders`` keyed by size, stones hash and ko point."""

    def __init__(self, size: int = 4096):
        self.size = size
        self.data: OrderedDict = OrderedDict()

    def get(self, board: Board) -> LadderInfo:
        """The board's ladder facts, computed once."""
        key = (board.width, board.height, board.hash, board.ko_point)
        hit = self.data.get(key)
        if hit is not None:
            self.data.move_to_end(key)
            return hit
        hit = board_ladders(board)
        self.data[key] = hit
        if len(self.data) > self.size:
            self.data.popitem(last=False)
        return hit
