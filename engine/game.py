"""A game: a board under a rule set, with superko history, undo and handicap."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine import coords, handicap
from engine.board import BLACK, EMPTY, WHITE, Board, IllegalMoveError, zobrist_table
from engine.rules import SIMPLE_KO, SITUATIONAL_SUPERKO, Rules, rules_by_name


def _stone_count(board: Board) -> int:
    """Number of stones on the board."""
    return board.area - board.stones.count(EMPTY)


def superko_key(rules: Rules, stones_hash: int, to_play: int, width: int, height: int) -> int:
    """The one superko key of a position: the stones' Zobrist hash, plus the side to move under situational superko."""
    if rules.ko == SITUATIONAL_SUPERKO and to_play == WHITE:
        return stones_hash ^ zobrist_table(width, height)[1]
    return stones_hash


@dataclass
class GameRecord:
    """What an SGF file holds beyond the moves: players, result, free-form properties."""

    black_player: str = ""
    white_player: str = ""
    result: str = ""
    extra: dict = field(default_factory=dict)


class Game:
    """A game of Go: board, rules, move history, superko and undo.

    ``moves`` holds ``(color, move)`` pairs actually played (handicap and
    setup stones are not moves and cannot be undone).
    """

    def __init__(self, width: int = 19, height: int | None = None,
                 rules: Rules | str = "chinese", komi: float | None = None):
        if isinstance(rules, str):
            rules = rules_by_name(rules)
        if komi is not None:
            rules = rules.with_komi(komi)
        self.rules = rules
        self.board = Board(width, height, suicide_allowed=rules.suicide)
        self.moves: list[tuple[int, int]] = []
        self.setup_stones: list[tuple[int, int]] = []
        self.handicap = 0
        self.record = GameRecord()
        self._undo: list[Board] = []
        self._seen: dict[int, int] = {}
        self._seen_counts: dict[int, int] = {}  # stones on the board -> positions seen
        self._remember(self.board)

    # -------------------------------------------------------------- basics
    @property
    def width(self) -> int:
        """Board width."""
        return self.board.width

    @property
    def height(self) -> int:
        """Board height."""
        return self.board.height

    @property
    def komi(self) -> float:
        """Komi under the rules in force."""
        return self.rules.komi

    @property
    def to_play(self) -> int:
        """Colour to move."""
        return self.board.to_play

    def is_over(self) -> bool:
        """True after two consecutive passes."""
        return self.board.passes >= 2

    def set_rules(self, rules: Rules) -> None:
        """Change the rule set mid-game (suicide setting follows the rules)."""
        self.rules = rules
        self.board.suicide_allowed = rules.suicide
        self._undo = [b.copy() for b in self._undo]  # boards may be shared with copies
        for b in self._undo:
            b.suicide_allowed = rules.suicide
        self._seen.clear()
        self._seen_counts.clear()
        for b in self._undo + [self.board]:
            self._remember(b)

    def _key(self, stones_hash: int, to_play: int) -> int:
        """The superko key of a position under the rules in force."""
        return superko_key(self.rules, stones_hash, to_play, self.width, self.height)

    def _remember(self, board: Board) -> None:
        key = self._key(board.hash, board.to_play)
        self._seen[key] = self._seen.get(key, 0) + 1
        n = _stone_count(board)
        self._seen_counts[n] = self._seen_counts.get(n, 0) + 1

    def _forget(self, board: Board) -> None:
        for table, key in ((self._seen, self._key(board.hash, board.to_play)),
                           (self._seen_counts, _stone_count(board))):
            left = table.get(key, 0) - 1
            if left > 0:
                table[key] = left
            else:
                table.pop(key, None)

    # --------------------------------------------------------------- moves
    def illegal_reason(self, move: int, color: int | None = None) -> str | None:
        """Why ``move`` is illegal for ``color`` under the rules in force, or None."""
        color = self.board.to_play if color is None else color
        reason = self.board.illegal_reason(move, color)
        if reason is not None or move == self.board.pass_move:
            return reason
        if self._superko_possible():
            key = self._key(self.board.hash_after(move, color), -color)
            if key in self._seen:
                return "superko"
        return None

    def _superko_possible(self) -> bool:
        """False when no position can repeat: simple ko, or nothing captured yet.

        Without a capture (suicide counts as one) the number of stones only
        grows, so a move cannot recreate an earlier position.
        """
        captures = self.board.captures
        return self.rules.ko != SIMPLE_KO and (captures[BLACK] + captures[WHITE]) > 0

    def is_legal(self, move: int, color: int | None = None) -> bool:
        """Legality under every rule in force, superko included."""
        return self.illegal_reason(move, color) is None

    def legal_mask(self, color: int | None = None) -> np.ndarray:
        """Boolean mask of shape (area + 1,) of legal moves, pass included."""
        color = self.board.to_play if color is None else color
        mask = self.board.legal_mask(color)
        if self._superko_possible():
            for p in self._superko_candidates(mask):
                key = self._key(self.board.hash_after(p, color), -color)
                if key in self._seen:
                    mask[p] = False
        return mask

    def _superko_candidates(self, mask: np.ndarray) -> list[int]:
        """Legal points whose move might repeat a position.

        A move that neither captures nor kills its own chain adds one stone;
        unless a position with that many stones was seen, only the capturing
        and self-killing points (liberties of chains in atari) need a check.
        """
        board = self.board
        if _stone_count(board) + 1 in self._seen_counts:
            return [int(p) for p in np.flatnonzero(mask[:-1])]
        special = set()
        for _, _, libs in board.atari_chains():
            special |= libs
        return [p for p in special if mask[p]]

    def play(self, move: int, color: int | None = None) -> int:
        """Play a move (pass allowed) after checking every rule; return stones captured.

        Raises IllegalMoveError and leaves the game unchanged if the move is illegal.
        """
        color = self.board.to_play if color is None else color
        if color not in (BLACK, WHITE):
            raise IllegalMoveError(f"invalid color {color!r}")
        if isinstance(move, bool) or not isinstance(move, (int, np.integer)):
            raise IllegalMoveError(f"move {move!r} is not a point index")
        move = int(move)
        reason = self.illegal_reason(move, color)
        if reason is not None:
            raise IllegalMoveError(f"illegal move: {reason}")
        before = self.board.copy()
        captured = self.board.play(move, color)
        self._undo.append(before)
        self.moves.append((color, move))
        self._remember(self.board)
        return captured

    def play_gtp(self, color_word: str, vertex: str) -> int:
        """Play a move given as GTP words (``"b"``, ``"D4"``)."""
        color = coords.parse_color(color_word)
        return self.play(coords.from_gtp(vertex, self.width, self.height), color)

    def undo(self) -> None:
        """Take back the last move; raises IndexError when there is none."""
        if not self.moves:
            raise IndexError("no move to undo")
        self._forget(self.board)
        self.board = self._undo.pop().copy()  # the stored board may be shared with copies
        self.moves.pop()

    def copy(self) -> "Game":
        """An independent copy of the game (boards shared copy-on-write)."""
        g = Game.__new__(Game)
        g.rules = self.rules
        g.board = self.board.copy()
        g.moves = list(self.moves)
        g.setup_stones = list(self.setup_stones)
        g.handicap = self.handicap
        g.record = GameRecord(self.record.black_player, self.record.white_player,
                              self.record.result, dict(self.record.extra))
        g._undo = list(self._undo)
        g._seen = dict(self._seen)
        g._seen_counts = dict(self._seen_counts)
        return g

    def history_boards(self, n: int) -> list[Board]:
        """The current board and up to n - 1 earlier ones, newest first."""
        out = [self.board]
        for b in reversed(self._undo[-(n - 1):] if n > 1 else []):
            out.append(b)
        return out

    @property
    def seen_positions(self) -> dict[int, int]:
        """Superko keys of every position so far (read-only use, for search)."""
        return self._seen

    # ------------------------------------------------------------ handicap
    def _check_fresh(self) -> None:
        if self.moves or any(s != EMPTY for s in self.board.stones):
            raise IllegalMoveError("handicap stones go on an empty board before any move")

    def setup(self, stones: list[tuple[int, int]], to_play: int | None = None) -> None:
        """Place setup stones (AB/AW) before any move; they are not moves and cannot be undone.

        Raises IllegalMoveError (and changes nothing) after a move has been
        played, for a bad colour, or for a stone that is off board, on an
        occupied point, capturing or without liberties.
        """
        if self.moves:
            raise IllegalMoveError("setup stones go on the board before any move")
        if to_play not in (None, BLACK, WHITE):
            raise IllegalMoveError(f"invalid color {to_play!r}")
        trial = self.board.copy()
        for color, point in stones:
            if color not in (BLACK, WHITE):
                raise IllegalMoveError(f"invalid color {color!r}")
            trial.place_stone(point, color)
        self.board = trial
        if to_play is not None:
            self.board.to_play = to_play
        self.setup_stones.extend(stones)
        self._undo.clear()
        self._seen.clear()
        self._seen_counts.clear()
        self._remember(self.board)

    def set_handicap(self, points: list[int]) -> None:
        """Place black handicap stones on the given points; white moves next."""
        self._check_fresh()
        if len(points) < 2 or len(set(points)) != len(points):
            raise IllegalMoveError("handicap needs at least 2 distinct points")
        if any(not isinstance(p, (int, np.integer)) or not 0 <= p < self.board.area
               for p in points):
            raise IllegalMoveError("handicap point off the board")
        if len(points) >= self.board.area:
            raise IllegalMoveError("too many handicap stones")
        self.setup([(BLACK, p) for p in points], to_play=WHITE)
        self.handicap = len(points)

    def fixed_handicap(self, n: int) -> list[int]:
        """Place n stones on GTP's fixed points; returns them."""
        self._check_fresh()
        points = handicap.fixed_points(n, self.width, self.height)
        self.set_handicap(points)
        return points

    def free_handicap(self, n: int) -> list[int]:
        """Place n stones at the engine's choice (GTP place_free_handicap); returns them."""
        self._check_fresh()
        points = handicap.free_points(n, self.width, self.height)
        self.set_handicap(points)
        return points

    # ------------------------------------------------------------- scoring
    def score(self, dead: set[int] | frozenset = frozenset(), seki: set[int] | frozenset = frozenset()) -> float:
        """Black's score minus white's under the rules in force (positive: black leads)."""
        from engine import scoring
        return scoring.score(self, dead, seki)

    def result_string(self, dead=frozenset(), seki=frozenset()) -> str:
        """The result as GTP's final_score writes it: ``B+3.5``, ``W+0.5`` or ``0``."""
        from engine import scoring
        return scoring.result_string(self.score(dead, seki))
