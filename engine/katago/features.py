"""KataGo's "V7" network inputs (model versions 8 to 14+), computed from zerogo's positions.

A port of lightvector/KataGo's ``NNInputs::fillRowV7`` (``cpp/neuralnet/nninputs.cpp``)
together with the parts of ``BoardHistory`` it reads (``cpp/game/boardhistory.cpp``),
for the main phase of a game as KataGo's GTP engine plays it (``preventCleanupPhase``
on, so the encore never starts; no playout-doubling advantage; draws worth half a win).
``pla`` is the side to move, ``opp`` the other colour.

Spatial planes ``[22, H, W]`` (board in the top-left corner, zero padding):

====  ===================================================================
0     on the board
1, 2  ``pla`` / ``opp`` stones
3-5   stones whose chain has exactly 1, 2, 3 liberties
6     the simple-ko point, and points banned by superko (non-simple ko rules)
7, 8  encore ko marks (always 0 here)
9-13  where the last 1..5 moves were played (the chain of moves stops at the
      first one not by the alternating colour; see "history" below)
14    stones of chains that are ladder-captured (see ``ladders``)
15    the same on the board one move ago, 16 two moves ago (the current or
      previous board when that move is not in the shown history)
17    ``pla``'s moves that ladder an ``opp`` chain with two liberties
18,19 ``pla`` / ``opp`` area under area scoring (KataGo's calculateArea with
      non-pass-alive stones and big territories); 0 under territory scoring
20,21 second-encore stones (always 0 here)
====  ===================================================================

Globals ``[19]``: 0-4 which of the last five moves were passes; 5 komi from
``pla``'s view / 20 (with KataGo's handicap bonus for white and, under
territory scoring, one point per move played: ``whiteBonusScore``); 6-7 ko rule
(simple 0,0; positional 1,0.5; situational 1,-0.5); 8 multi-stone suicide; 9
territory scoring; 10-11 tax (seki 1,0; all 1,1); 12-13 encore phase (0);
14 a pass now would end the game (or phase); 15-16 playout doubling (0); 17
button; 18 the komi parity wave (area scoring).

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

Not modelled (KataGo's GTP defaults make them constant): the encore (planes
7, 8, 20, 21 and globals 12, 13 stay 0), playout doubling (globals 15, 16),
draw utility other than half a win. The attacker's move-ordering heuristic of
KataGo's ladder search is simplified (order changes speed, not results).
Superko legality of a suicide follows the board's own suicide setting
(zerogo's presets agree with KataGo's).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from engine.board import BLACK, EMPTY, WHITE, Board, zobrist_table
from engine.evaluation import Position
from engine.katago.katarules import (
    KO_POSITIONAL,
    KO_SIMPLE,
    KO_SITUATIONAL,
    SCORING_AREA,
    SCORING_TERRITORY,
    TAX_ALL,
    TAX_NONE,
    TAX_SEKI,
    WHB_N,
    WHB_N_MINUS_ONE,
    KataRules,
    katago_rules,
)
from engine.katago.ladders import LadderCache
from engine.katago.ladders import clear_chain_memo as chain_memo_clear
from engine.life import area_map
from engine.trail import Trail

FEATURE_SET = "katago-v7"
NUM_SPATIAL = 22
NUM_GLOBAL = 19
KOMI_SCALE = 20.0
DRAW_EQUIVALENT_WINS_FOR_WHITE = 0.5  # KataGo's default: a draw is half a win


class KataFeatureError(ValueError):
    """A position that cannot be encoded (no board, board larger than the tensor)."""


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


# ------------------------------------------------------------------ history
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


_ZOBRIST_POINTS: dict = {}


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


# ----------------------------------------------------------------- features
_LADDERS = LadderCache()
_AREAS: OrderedDict = OrderedDict()


def _area(board: Board, suicide: bool) -> list[int]:
    """KataGo's area-scoring area of a board (cached by hash)."""
    key = (board.width, board.height, board.hash, suicide)
    hit = _AREAS.get(key)
    if hit is None:
        hit = _AREAS[key] = area_map(board, True, True, True, suicide_allowed=suicide)
        if len(_AREAS) > 4096:
            _AREAS.popitem(last=False)
    return hit


def clear_caches() -> None:
    """Forget every cached ladder and area result (for benchmarks and tests)."""
    _LADDERS.data.clear()
    _AREAS.clear()
    chain_memo_clear()


def self_komi(position: Position, kr: KataRules, facts: HistoryFacts) -> float:
    """KataGo's currentSelfKomi for the side to move, bounded as fillRowV7 bounds it."""
    komi = position.rules.komi
    draw = (DRAW_EQUIVALENT_WINS_FOR_WHITE - 0.5) if float(komi).is_integer() else 0.0
    white = np.float32(facts.white_bonus + facts.white_handicap_bonus + komi + draw)
    board = position.board
    k = float(white if board.to_play == WHITE else -white)
    bound = board.area + 20.0
    return min(max(k, -bound), bound)


def _parity_wave(self_komi_value: float, board: Board) -> float:
    """fillRowV7's triangle wave of the komi against the parity of the board area."""
    k = np.float32(self_komi_value)
    if board.area % 2 == 0:
        floor = np.float32(math.floor(k / np.float32(2.0))) * np.float32(2.0)
    else:
        floor = np.float32(math.floor((k - np.float32(1.0)) / np.float32(2.0))) * np.float32(2.0) \
            + np.float32(1.0)
    delta = float(min(max(k - floor, 0.0), 2.0))
    if delta < 0.5:
        return delta
    if delta < 1.5:
        return 1.0 - delta
    return delta - 2.0


def fill(position: Position, planes: np.ndarray, glob: np.ndarray,
         kata_rules: KataRules | None = None) -> None:
    """Write one position's V7 planes into ``planes [22, H, W]`` and ``glob [19]`` (zeroed)."""
    if not position.boards:
        raise KataFeatureError("a position needs at least one board")
    board = position.board
    h, w = board.height, board.width
    if h > planes.shape[1] or w > planes.shape[2]:
        raise KataFeatureError(f"a {w}x{h} board does not fit in a "
                               f"{planes.shape[2]}x{planes.shape[1]} tensor")
    kr = katago_rules(position.rules) if kata_rules is None else kata_rules
    facts = history_facts(position, kr)
    pla, opp = board.to_play, -board.to_play
    flat = planes.reshape(NUM_SPATIAL, -1)
    pw = planes.shape[2]

    def pos(p: int) -> int:
        r, c = divmod(p, w)
        return r * pw + c

    planes[0, :h, :w] = 1.0
    stones = np.fromiter(board.stones, dtype=np.int8, count=board.area).reshape(h, w)
    planes[1, :h, :w] = stones == pla
    planes[2, :h, :w] = stones == opp
    libs = np.zeros(board.area, np.int8)
    for group in board._groups.values():
        n = len(group.libs)
        if n <= 3:
            libs[group.stones] = n
    libs = libs.reshape(h, w)
    for k in range(3):
        planes[3 + k, :h, :w] = libs == k + 1

    if board.ko_point >= 0:
        flat[6, pos(board.ko_point)] = 1.0
    for p in facts.superko_banned:
        flat[6, pos(p)] = 1.0

    shown = 0
    if not facts.hide_history:
        expected = opp
        for i, (move, color) in enumerate(facts.moves):
            if color != expected:
                break
            shown = i + 1
            if move == board.area:
                glob[i] = 1.0
            else:
                flat[9 + i, pos(move)] = 1.0
            expected = -expected

    info = _LADDERS.get(board)
    for p in info.laddered:
        flat[14, pos(p)] = 1.0
    for p in info.working_against[opp]:
        flat[17, pos(p)] = 1.0
    prev = facts.prev_boards
    prev1 = prev[0] if shown >= 1 and len(prev) >= 1 else board
    prev2 = prev[1] if shown >= 2 and len(prev) >= 2 else prev1
    for plane, b in ((15, prev1), (16, prev2)):
        for p in _LADDERS.get(b).laddered:
            flat[plane, pos(p)] = 1.0

    if kr.scoring == SCORING_AREA and kr.tax == TAX_NONE:
        owner = np.array(_area(board, kr.suicide), np.int8).reshape(h, w)
        planes[18, :h, :w] = owner == pla
        planes[19, :h, :w] = owner == opp

    k = self_komi(position, kr, facts)
    glob[5] = k / KOMI_SCALE
    if kr.ko == KO_POSITIONAL:
        glob[6], glob[7] = 1.0, 0.5
    elif kr.ko == KO_SITUATIONAL:
        glob[6], glob[7] = 1.0, -0.5
    glob[8] = 1.0 if kr.suicide else 0.0
    glob[9] = 1.0 if kr.scoring == SCORING_TERRITORY else 0.0
    if kr.tax in (TAX_SEKI, TAX_ALL):
        glob[10] = 1.0
    if kr.tax == TAX_ALL:
        glob[11] = 1.0
    glob[14] = 1.0 if facts.pass_would_end_phase else 0.0
    glob[17] = 1.0 if kr.has_button else 0.0
    if kr.scoring == SCORING_AREA:
        glob[18] = _parity_wave(k, board)


def encode(position: Position, kata_rules: KataRules | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One position's planes ``[22, h, w]`` and globals ``[19]`` (float32)."""
    if not position.boards:
        raise KataFeatureError("a position needs at least one board")
    b = position.board
    planes = np.zeros((NUM_SPATIAL, b.height, b.width), np.float32)
    glob = np.zeros(NUM_GLOBAL, np.float32)
    fill(position, planes, glob, kata_rules)
    return planes, glob


def encode_batch(positions: list[Position], pad_to: tuple[int, int] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Planes ``[N, 22, H, W]`` and globals ``[N, 19]`` (float32) for a batch.

    ``pad_to = (H, W)``; None pads to the largest height and width in the batch.
    """
    if any(not p.boards for p in positions):
        raise KataFeatureError("a position needs at least one board")
    if pad_to is None:
        pad_to = (max(p.board.height for p in positions), max(p.board.width for p in positions))
    planes = np.zeros((len(positions), NUM_SPATIAL, pad_to[0], pad_to[1]), np.float32)
    glob = np.zeros((len(positions), NUM_GLOBAL), np.float32)
    for n, p in enumerate(positions):
        fill(p, planes[n], glob[n])
    return planes, glob
