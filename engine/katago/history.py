"""What KataGo's ``BoardHistory`` knows about a position beyond its board, for the V7 inputs.

A port of the parts of ``cpp/game/boardhistory.cpp`` that ``NNInputs::fillRowV7``
reads (see ``engine.katago.features``): the last five moves and whether they
are shown, whether a pass would end the phase, the points banned by superko,
white's bonus points (handicap; one per move under territory scoring) and the
boards one and two moves ago.

History, as KataGo 1.17.2's GTP engine shows it to the net (``kata-raw-nn``;
fitted to, and checked against, its outputs in ``shared/katago-reference``,
where the older source that was read differs): under rules where a friendly
pass is fine (KataGo's chinese, aga, new-zealand) a pass that would end the
game hides all history (planes 9-13, globals 0-4 and 14 are 0); a pass that
ends the phase (the second in a row, or under simple ko one made before in
the same position) does not end anything: the history shown starts again at
that pass. Under simple ko a third repetition of a position without passes
("no result") hides the history.

The game's history comes from ``Position.trail`` (``engine.trail``); without
one, the boards in ``Position.boards`` stand in (the oldest one given taken
as the game's start).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.board import BLACK, EMPTY, WHITE, Board, zobrist_table
from engine.evaluation import Position
from engine.katago.katarules import (
    KO_SIMPLE,
    KO_SITUATIONAL,
    SCORING_AREA,
    SCORING_TERRITORY,
    WHB_N,
    WHB_N_MINUS_ONE,
    KataRules,
)
from engine.trail import Trail

_ZOBRIST_POINTS: dict = {}   # (width, height) -> colour -> Zobrist key -> point


@dataclass(frozen=True)
class HistoryFacts:
    """What KataGo's BoardHistory knows about a position beyond its board."""

    moves: tuple[tuple[int, int], ...]  # (move, colour) newest first, at most 5
    hide_history: bool                   # the game (or phase) ended with the last move
    pass_would_end_phase: bool
    superko_banned: tuple[int, ...]
    white_bonus: float                   # KataGo's whiteBonusScore (territory scoring)
    white_handicap_bonus: int            # KataGo's whiteHandicapBonusScore
    prev_boards: tuple[Board, ...]       # boards 1 and 2 moves ago, when known


class _Stats:
    """What KataGo's BoardHistory accumulates over a game, memoised on each trail node."""

    __slots__ = ("initial_black", "initial_white", "lead_black", "nonpass", "pass_keys",
                 "phase_plain", "phase_simple", "run", "stones", "white_moved")

    def child(self, node: Trail) -> _Stats:
        """The stats after the move that led to ``node``."""
        out = _Stats()
        board, before = node.board, node.prev.board
        move, color = board.last_move, -board.to_play
        out.initial_black, out.initial_white = self.initial_black, self.initial_white
        out.stones = board.area - board.stones.count(EMPTY)
        out.nonpass = dict(self.nonpass)
        out.pass_keys = self.pass_keys
        out.phase_plain, out.phase_simple = self.phase_plain, self.phase_simple
        out.white_moved = self.white_moved or color == WHITE
        out.lead_black = self.lead_black
        if move == board.area:
            out.run = self.run + 1
            key = (before.hash, color)
            spight = key in self.pass_keys
            out.pass_keys = self.pass_keys + (key,)
            if out.run >= 2:
                out.phase_plain = out.phase_simple = node.length
            elif spight:
                out.phase_simple = node.length
        else:
            out.run = 0
            out.nonpass[color] += 1
            if color == BLACK and not self.white_moved:
                out.lead_black += 1
        return out

    @classmethod
    def initial(cls, board: Board) -> _Stats:
        """The stats of a game's initial position."""
        out = cls()
        out.initial_black = board.stones.count(BLACK)
        out.initial_white = board.stones.count(WHITE)
        out.stones = out.initial_black + out.initial_white
        out.nonpass = {BLACK: 0, WHITE: 0}
        out.pass_keys = ()
        out.phase_plain = out.phase_simple = 0  # trail length of the latest phase-ending pass
        out.run = 0
        out.white_moved = False
        out.lead_black = 0
        return out


def _stats(node: Trail) -> _Stats:
    """The node's stats, computed forward from the nearest memoised ancestor."""
    todo = []
    while "kata" not in node.memo:
        todo.append(node)
        if node.prev is None:
            break
        node = node.prev
    for n in reversed(todo):
        n.memo["kata"] = _Stats.initial(n.board) if n.prev is None else n.prev.memo["kata"].child(n)
    return (todo[0] if todo else node).memo["kata"]


def _handicap_stones(stats: _Stats) -> int:
    """KataGo's computeNumHandicapStones (starting black moves count as handicap)."""
    if stats.initial_white:
        return 0
    count = stats.initial_black + stats.lead_black
    return count if count > 1 else 0


def _zobrist_points(board: Board) -> dict[int, dict[int, int]]:
    """For each colour, the point of each Zobrist key (to undo a one-stone difference)."""
    key = (board.width, board.height)
    table = _ZOBRIST_POINTS.get(key)
    if table is None:
        keys = zobrist_table(board.width, board.height)[0]
        table = _ZOBRIST_POINTS[key] = {c: {k: p for p, k in enumerate(keys[c])} for c in (BLACK, WHITE)}
    return table


def _superko_banned(trail: Trail, kr: KataRules) -> tuple[int, ...]:
    """Points where ``pla`` may not play because the position would repeat (non-simple ko).

    Only a capture or a suicide can give back a position with as many stones
    as now or fewer; any other move adds one stone, so it can only repeat a
    position holding exactly the current stones and that one, whose point the
    Zobrist keys reveal.
    """
    if kr.ko == KO_SIMPLE or trail.prev is None:
        return ()
    board = trail.board
    pla = board.to_play
    situational = kr.ko == KO_SITUATIONAL
    now = _stats(trail).stones
    seen = set()
    placed: set[int] = set()
    points = _zobrist_points(board)[pla]
    node: Trail | None = trail
    while node is not None:
        b = node.board
        seen.add((b.hash, b.to_play) if situational else b.hash)
        if (not situational or b.to_play == -pla) and _stats(node).stones == now + 1:
            p = points.get(b.hash ^ board.hash)
            if p is not None:
                placed.add(p)
        node = node.prev
    candidates = placed | {lib for _, _, libs in board.atari_chains() for lib in libs}
    banned = []
    for p in sorted(candidates):
        if board.stones[p] != EMPTY or p == board.ko_point:
            continue
        if board.illegal_reason(p, pla) is not None:  # suicide as the board's rules say
            continue
        after = board.hash_after(p, pla)
        if ((after, -pla) if situational else after) in seen:
            banned.append(p)
    return tuple(banned)


def _trail_of(position: Position) -> Trail:
    """The position's trail, or one made of its boards (oldest first) when it has none."""
    if position.trail is not None:
        return position.trail
    node = None
    for b in reversed(position.boards):
        node = Trail(b) if node is None else node.extend(b)
    return node


def history_facts(position: Position, kr: KataRules) -> HistoryFacts:
    """KataGo's view of the game behind ``position`` (its trail, or its boards when it has none)."""
    board = position.board
    area = board.area
    trail = _trail_of(position)
    stats = _stats(trail)
    simple = kr.ko == KO_SIMPLE
    # The phase ends at a pass that follows a pass (or, under simple ko, a pass
    # made before in the same position). KataGo 1.17's GTP engine then keeps
    # going, and the history it shows starts at that pass.
    phase = stats.phase_simple if simple else stats.phase_plain
    turns = trail.length - phase + 1 if phase else trail.length
    phase_ended_now = phase > 0 and phase == trail.length
    trailing = stats.run

    pass_ends = trailing >= 1 or (simple and (board.hash, board.to_play) in stats.pass_keys)
    hide = False
    if kr.friendly_pass_ok and kr.scoring == SCORING_AREA and pass_ends and not phase_ended_now:
        hide = True  # a pass now would end the game: the net sees no history
    elif simple and trail.prev is not None and trailing == 0:
        # Long cycles without passes end the game with no result.
        key = (board.hash, board.to_play)
        repeats = 0
        node: Trail | None = trail
        while node is not None:
            if (node.board.hash, node.board.to_play) == key:
                repeats += 1
            if node.prev is not None and node.board.last_move == area:
                break
            node = node.prev
        hide = repeats >= 3
    if hide:
        pass_ends = False

    moves = []
    node = trail
    while node.prev is not None and len(moves) < min(5, turns):
        moves.append((node.board.last_move, -node.board.to_play))
        node = node.prev

    white_bonus = 0.0
    if kr.scoring == SCORING_TERRITORY:
        white_bonus = float(stats.initial_black - stats.initial_white
                            + stats.nonpass[BLACK] - stats.nonpass[WHITE])
    whb = 0
    if kr.white_handicap_bonus in (WHB_N, WHB_N_MINUS_ONE):
        n = _handicap_stones(stats)
        whb = n if kr.white_handicap_bonus == WHB_N else (n - 1 if n > 1 else 0)

    prev = []
    node = trail
    while node.prev is not None and len(prev) < 2:
        node = node.prev
        prev.append(node.board)
    return HistoryFacts(tuple(moves), hide, pass_ends, _superko_banned(trail, kr),
                        white_bonus, whb, tuple(prev))
