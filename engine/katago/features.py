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

History (the last moves shown, hidden history, superko bans, white's bonus
points) is KataGo's ``BoardHistory``, ported in ``engine.katago.history``.

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

import numpy as np

from engine.board import WHITE, Board
from engine.evaluation import Position
from engine.katago.katarules import (
    KO_POSITIONAL,
    KO_SITUATIONAL,
    SCORING_AREA,
    SCORING_TERRITORY,
    TAX_ALL,
    TAX_NONE,
    TAX_SEKI,
    KataRules,
    katago_rules,
)
from engine.katago.history import HistoryFacts, history_facts
from engine.katago.ladders import LadderCache
from engine.katago.ladders import clear_chain_memo as chain_memo_clear
from engine.life import area_map

FEATURE_SET = "katago-v7"
NUM_SPATIAL = 22
NUM_GLOBAL = 19
KOMI_SCALE = 20.0
DRAW_EQUIVALENT_WINS_FOR_WHITE = 0.5  # KataGo's default: a draw is half a win


class KataFeatureError(ValueError):
    """A position that cannot be encoded (no board, board larger than the tensor)."""


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
