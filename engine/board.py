"""The board: stones, groups with incremental liberties, captures, simple ko, Zobrist hash.

Moves are flat indices (see ``coords``); pass is ``width * height``. Colours are
``BLACK = 1``, ``WHITE = -1``, ``EMPTY = 0``, so the opponent of ``c`` is ``-c``.

Groups are copy-on-write: a group object is never changed once another board
may share it, so ``copy()`` costs three list copies and a dict copy. Only the
groups created during the current ``play`` are mutated in place.

Superko needs the game's history and lives in ``game.Game``; the board only
knows the simple-ko point, and ``hash_after`` tells what a move would make.
"""

from __future__ import annotations

import numpy as np

from engine import board_text, coords
from engine.color import BLACK, EMPTY, WHITE
from engine.grid import diagonal_table, flood_chains, neighbor_array, neighbor_table, zobrist_table

class IllegalMoveError(ValueError):
    """A move that the rules forbid: off board, occupied, suicide, ko or superko."""


class _Group:
    """A chain of stones: colour, stones (never mutated once shared) and liberties."""

    __slots__ = ("color", "stones", "libs")

    def __init__(self, color: int, stones: list[int], libs: set[int]):
        self.color = color
        self.stones = stones
        self.libs = libs


class Board:
    """A Go position with the side to move, simple-ko state, passes and captures."""

    __slots__ = (
        "width", "height", "area", "pass_move", "suicide_allowed", "stones",
        "_gid", "_groups", "_nbrs", "_zob", "hash", "to_play", "ko_point",
        "ko_color", "passes", "captures", "last_move", "move_number", "feature_arrays",
        "_flat",
    )

    def __init__(self, width: int = 19, height: int | None = None,
                 suicide_allowed: bool = False):
        height = width if height is None else height
        coords.check_size(width, height)
        self.width = width
        self.height = height
        self.area = width * height
        self.pass_move = self.area
        self.suicide_allowed = suicide_allowed
        self.stones = [EMPTY] * self.area
        self._gid = [-1] * self.area
        self._groups: dict[int, _Group] = {}
        self._nbrs = neighbor_table(width, height)
        self._zob = zobrist_table(width, height)[0]
        self.hash = 0
        self.to_play = BLACK
        self.ko_point = -1
        self.ko_color = EMPTY
        self.passes = 0
        self.captures = {BLACK: 0, WHITE: 0}  # stones captured BY each colour
        self.last_move: int | None = None
        self.move_number = 0
        self.feature_arrays = None   # (hash, ...): engine.features' per-board arrays, valid for that hash
        self._flat = None            # (hash, int8 stones array): see stones_flat

    # ------------------------------------------------------------------ copy
    def copy(self) -> "Board":
        """Return an independent copy (groups are shared copy-on-write)."""
        b = Board.__new__(Board)
        b.width, b.height, b.area = self.width, self.height, self.area
        b.pass_move, b.suicide_allowed = self.pass_move, self.suicide_allowed
        b.stones = self.stones[:]
        b._gid = self._gid[:]
        b._groups = self._groups.copy()
        b._nbrs, b._zob = self._nbrs, self._zob
        b.hash, b.to_play = self.hash, self.to_play
        b.ko_point, b.ko_color = self.ko_point, self.ko_color
        b.passes, b.last_move, b.move_number = self.passes, self.last_move, self.move_number
        b.captures = self.captures.copy()
        b.feature_arrays, b._flat = self.feature_arrays, self._flat
        return b

    # --------------------------------------------------------------- queries
    def neighbors(self, point: int) -> tuple[int, ...]:
        """Orthogonal neighbours of a point."""
        return self._nbrs[point]

    def group_stones(self, point: int) -> list[int]:
        """The stones of the chain at point (empty list for an empty point)."""
        g = self._gid[point]
        return list(self._groups[g].stones) if g >= 0 else []

    def group_liberties(self, point: int) -> set[int]:
        """The liberties of the chain at point (empty set for an empty point)."""
        g = self._gid[point]
        return set(self._groups[g].libs) if g >= 0 else set()

    def liberty_count(self, point: int) -> int:
        """Number of liberties of the chain at point (0 for an empty point)."""
        g = self._gid[point]
        return len(self._groups[g].libs) if g >= 0 else 0

    def chains(self) -> list[tuple[int, list[int], set[int]]]:
        """Every chain on the board as (colour, stones, liberties)."""
        return [(g.color, list(g.stones), set(g.libs)) for g in self._groups.values()]

    def atari_chains(self) -> list[tuple[int, list[int], set[int]]]:
        """Chains with exactly one liberty, as (colour, stones, liberties)."""
        return [(g.color, g.stones, g.libs) for g in self._groups.values() if len(g.libs) == 1]

    def stones_flat(self) -> np.ndarray:
        """The stones as a read-only int8 array of shape (area,), cached until the stones change."""
        cached = self._flat
        if cached is not None and cached[0] == self.hash:
            return cached[1]
        flat = np.array(self.stones, dtype=np.int8)
        flat.flags.writeable = False
        self._flat = (self.hash, flat)
        return flat

    def stones_array(self) -> np.ndarray:
        """The stones as an int8 array of shape (height, width)."""
        return np.array(self.stones, dtype=np.int8).reshape(self.height, self.width)

    def _check_point(self, move: int) -> None:
        if not isinstance(move, (int, np.integer)) or not 0 <= move <= self.area:
            raise IllegalMoveError(f"move {move!r} is off the {self.width}x{self.height} board")

    def _is_suicide(self, move: int, color: int) -> bool:
        """True when a stone at empty ``move`` would have no liberties and capture nothing."""
        stones, gid, groups = self.stones, self._gid, self._groups
        for n in self._nbrs[move]:
            s = stones[n]
            if s == EMPTY:
                return False
            libs = len(groups[gid[n]].libs)
            if s == color:
                if libs > 1:
                    return False
            elif libs == 1:
                return False
        return True

    def illegal_reason(self, move: int, color: int | None = None) -> str | None:
        """Why a move is illegal under simple ko and the suicide rule, or None."""
        color = self.to_play if color is None else color
        if move == self.area:
            return None
        if not isinstance(move, (int, np.integer)) or not 0 <= move < self.area:
            return "off board"
        if self.stones[move] != EMPTY:
            return "occupied"
        if move == self.ko_point and color == self.ko_color:
            return "ko"
        if self._is_suicide(move, color) and not (
            self.suicide_allowed and any(self.stones[n] == color for n in self._nbrs[move])
        ):
            return "suicide"  # allowed rules still ban a lone stone's: it changes nothing
        return None

    def is_legal(self, move: int, color: int | None = None) -> bool:
        """Legality under simple ko and the suicide rule (superko is the game's job)."""
        return self.illegal_reason(move, color) is None

    def legal_mask(self, color: int | None = None) -> np.ndarray:
        """Boolean mask of shape (area + 1,): legal points, and pass (always legal).

        Vectorised: an empty point with an empty neighbour is always legal (never
        suicide, never the ko point); only the few surrounded empty points are
        checked one by one.
        """
        color = self.to_play if color is None else color
        area = self.area
        empty = np.zeros(area + 1, dtype=bool)   # the last slot: the off-board sentinel
        empty[:area] = self.stones_flat() == EMPTY
        free = empty[neighbor_array(self.width, self.height)].any(axis=1)
        mask = np.empty(area + 1, dtype=bool)
        np.logical_and(empty[:area], free, out=mask[:area])
        for p in np.flatnonzero(empty[:area] & ~free).tolist():
            if self.illegal_reason(p, color) is None:
                mask[p] = True
        mask[area] = True
        return mask

    def is_eye(self, point: int, color: int) -> bool:
        """True for an empty point that is a true (or edge) eye of ``color``."""
        stones = self.stones
        if stones[point] != EMPTY:
            return False
        for n in self._nbrs[point]:
            if stones[n] != color:
                return False
        diags = diagonal_table(self.width, self.height)[point]
        bad = sum(1 for d in diags if stones[d] == -color)
        return bad == 0 if len(diags) < 4 else bad <= 1

    def hash_after(self, move: int, color: int | None = None) -> int:
        """Zobrist hash of the stones after ``color`` plays a legal ``move``."""
        color = self.to_play if color is None else color
        if move == self.area:
            return self.hash
        zob, groups = self._zob, self._groups
        own, opp, _ = self._neighbor_groups(move, color)
        h = self.hash ^ zob[color][move]
        dead = [g for g in opp if len(groups[g].libs) == 1]
        for g in dead:
            for s in groups[g].stones:
                h ^= zob[-color][s]
        if not dead and self.suicide_allowed and self._is_suicide(move, color):
            h ^= zob[color][move]  # the chain dies: take all of it off again
            for g in own:
                for s in groups[g].stones:
                    h ^= zob[color][s]
        return h

    # ----------------------------------------------------------------- moves
    def play(self, move: int, color: int | None = None) -> int:
        """Play ``move`` for ``color`` (default: side to move); return stones captured.

        Raises IllegalMoveError (and changes nothing) for off-board, occupied,
        simple-ko and suicide moves.
        """
        if color is None:
            color = self.to_play
        elif color != BLACK and color != WHITE:
            raise IllegalMoveError(f"invalid color {color!r}")
        captured = 0
        if move == self.area:
            self.ko_point, self.ko_color = -1, EMPTY
            self.passes += 1
        else:
            if type(move) is not int:
                self._check_point(move)
                move = int(move)
            if not 0 <= move < self.area:
                raise IllegalMoveError("illegal move: off board")
            if self.stones[move] != EMPTY:
                raise IllegalMoveError("illegal move: occupied")
            if move == self.ko_point and color == self.ko_color:
                raise IllegalMoveError("illegal move: ko")
            captured = self._place(move, color)
            self.passes = 0
        self.to_play = -color
        self.last_move = move
        self.move_number += 1
        return captured

    def _neighbor_groups(self, move: int, color: int) -> tuple[list[int], list[int], list[int]]:
        """Friendly chain ids, opponent chain ids and empty points next to move."""
        stones, gid = self.stones, self._gid
        own: list[int] = []
        opp: list[int] = []
        empty: list[int] = []
        for n in self._nbrs[move]:
            s = stones[n]
            if s == EMPTY:
                empty.append(n)
            elif s == color:
                g = gid[n]
                if g not in own:
                    own.append(g)
            else:
                g = gid[n]
                if g not in opp:
                    opp.append(g)
        return own, opp, empty

    def _place(self, move: int, color: int) -> int:
        """Put a stone on an empty point, merge, capture; returns the number captured.

        Raises IllegalMoveError before changing anything if the move is a
        suicide the rules forbid.
        """
        groups, gid = self._groups, self._gid
        own, opp, empty = self._neighbor_groups(move, color)
        dead = [g for g in opp if len(groups[g].libs) == 1]
        suicide = not empty and not dead and all(len(groups[g].libs) == 1 for g in own)
        if suicide and not (self.suicide_allowed and own):
            raise IllegalMoveError("illegal move: suicide")
        self.stones[move] = color
        self.hash ^= self._zob[color][move]
        new = self._merge(move, color, own, empty)
        for g in opp:
            if g not in dead:
                grp = groups[g]
                libs = grp.libs.copy()
                libs.discard(move)
                groups[g] = _Group(grp.color, grp.stones, libs)
        self.ko_point, self.ko_color = -1, EMPTY
        if not dead:
            if suicide:  # allowed by the rules in force: the chain dies
                lost = new.stones
                self._remove_group(gid[move])
                self._give_liberties(lost, set())
                self.captures[-color] += len(lost)
            return 0
        captured: list[int] = []
        for g in dead:
            captured.extend(groups[g].stones)
            self._remove_group(g)
        self._give_liberties(captured, {gid[move]})
        self.captures[color] += len(captured)
        if len(captured) == 1 and len(new.stones) == 1 and len(new.libs) == 1:
            self.ko_point, self.ko_color = captured[0], -color
        return len(captured)

    def _merge(self, move: int, color: int, own_ids: list[int], empty: list[int]) -> _Group:
        """Create the chain holding the new stone, absorbing adjacent friendly chains."""
        groups, gid = self._groups, self._gid
        if not own_ids:
            new = _Group(color, [move], set(empty))
            groups[move] = new
            gid[move] = move
            return new
        if len(own_ids) > 1:
            own_ids.sort(key=lambda g: -len(groups[g].stones))
        keep = own_ids[0]
        base = groups[keep]
        stones = base.stones + [move]
        libs = base.libs.copy()
        for g in own_ids[1:]:
            other = groups.pop(g)
            stones.extend(other.stones)
            libs |= other.libs
            for s in other.stones:
                gid[s] = keep
        libs.update(empty)
        libs.discard(move)
        gid[move] = keep
        new = _Group(color, stones, libs)
        groups[keep] = new
        return new

    def _remove_group(self, g: int) -> None:
        """Take a chain off the board (hash updated); liberties are not given yet."""
        grp = self._groups.pop(g)
        zob = self._zob[grp.color]
        stones, gid = self.stones, self._gid
        h = self.hash
        for s in grp.stones:
            stones[s] = EMPTY
            gid[s] = -1
            h ^= zob[s]
        self.hash = h

    def _give_liberties(self, emptied: list[int], fresh: set[int]) -> None:
        """Add the emptied points as liberties of the chains next to them."""
        stones, gid, groups, nbrs = self.stones, self._gid, self._groups, self._nbrs
        for p in emptied:
            for n in nbrs[p]:
                if stones[n] != EMPTY:
                    g = gid[n]
                    grp = groups[g]
                    if g not in fresh:
                        grp = _Group(grp.color, grp.stones, set(grp.libs))
                        groups[g] = grp
                        fresh.add(g)
                    grp.libs.add(p)

    def place_stone(self, point: int, color: int) -> None:
        """Set up a stone (handicap, SGF AB/AW) without changing side to move or counts.

        Raises IllegalMoveError if the point is occupied or off board, or if the
        stone would leave any chain without liberties.
        """
        self._check_point(point)
        if point == self.area or self.stones[point] != EMPTY:
            raise IllegalMoveError(f"cannot place a stone at {point}: occupied or pass")
        if self._is_suicide(point, color) or any(
            self.stones[n] == -color and self.liberty_count(n) == 1 for n in self._nbrs[point]
        ):
            raise IllegalMoveError("a setup stone may not capture or be without liberties")
        self._place(point, color)
        self.ko_point, self.ko_color = -1, EMPTY

    # ------------------------------------------------------------ recounting
    def recount_hash(self) -> int:
        """The Zobrist hash recomputed from scratch (for checks)."""
        h = 0
        for p, s in enumerate(self.stones):
            if s != EMPTY:
                h ^= self._zob[s][p]
        return h

    def recount_chains(self) -> dict[int, tuple[int, frozenset, frozenset]]:
        """Chains found by flood fill: point -> (colour, stones, liberties), for checks."""
        return flood_chains(self.stones, self._nbrs)

    # --------------------------------------------------------------- display
    def to_ascii(self) -> str:
        """The board as text: ``X`` black, ``O`` white, ``.`` empty, GTP labels."""
        return board_text.render(self.stones, self.width, self.height)

    __str__ = to_ascii

    @classmethod
    def from_ascii(cls, text: str, to_play: int = BLACK, suicide_allowed: bool = False) -> "Board":
        """Build a board from rows of ``X``/``O``/``.`` (top row first; labels ignored).

        Rows may carry GTP row numbers and column letter lines as ``to_ascii``
        writes them. Stones are set up, not played (no captures happen).
        """
        width, height, stones = board_text.parse(text)
        board = cls(width, height, suicide_allowed=suicide_allowed)
        board.stones = stones
        board._rebuild()
        if any(not g.libs for g in board._groups.values()):
            raise ValueError("ASCII board has a chain without liberties")
        board.to_play = to_play
        return board

    def _rebuild(self) -> None:
        """Recompute chains and hash from ``stones`` (after a direct setup)."""
        self._groups.clear()
        self._gid = [-1] * self.area
        for p, (color, chain, libs) in self.recount_chains().items():
            if self._gid[p] >= 0:
                continue
            gid = min(chain)
            self._groups[gid] = _Group(color, sorted(chain), set(libs))
            for q in chain:
                self._gid[q] = gid
        self.hash = self.recount_hash()
