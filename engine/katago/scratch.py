"""The scratch board the ladder search plays on and takes back: stones, a ko point, chains by flood fill.

KataGo's ladder search (``engine.katago.ladders``) reads liberties and legality
the way ``cpp/game/board.cpp`` does (suicide never legal; the simple-ko point
bans both colours), on a copy of the stones it can change and undo cheaply.
"""

from __future__ import annotations

from engine.board import EMPTY, Board


class ScratchBoard:
    """Stones that the search plays on and takes back; chains found by flood fill."""

    __slots__ = ("ko", "limit", "nb", "reads", "s")

    def __init__(self, board: Board):
        self.s = list(board.stones)
        self.nb = board._nbrs
        self.ko = board.ko_point
        self.limit = board.width * board.height * 3 // 2 + 1  # KataGo's stack size
        self.reads: set[int] = set()  # every point whose contents the search looked at

    def chain(self, p: int) -> tuple[list[int], set[int]]:
        """The stones and liberties of the chain at ``p``."""
        s, nb, reads = self.s, self.nb, self.reads
        color = s[p]
        stones = [p]
        seen = {p}
        libs: set[int] = set()
        i = 0
        while i < len(stones):
            around = nb[stones[i]]
            reads.update(around)
            for n in around:
                sn = s[n]
                if sn == EMPTY:
                    libs.add(n)
                elif sn == color and n not in seen:
                    seen.add(n)
                    stones.append(n)
            i += 1
        reads.update(stones)
        return stones, libs

    def libs_at_most(self, p: int, cap: int) -> int:
        """The chain's liberty count, or ``cap`` once that many are found."""
        s, nb, reads = self.s, self.nb, self.reads
        color = s[p]
        stones = [p]
        seen = {p}
        libs: set[int] = set()
        reads.add(p)
        i = 0
        while i < len(stones):
            around = nb[stones[i]]
            reads.update(around)
            for n in around:
                sn = s[n]
                if sn == EMPTY:
                    libs.add(n)
                    if len(libs) >= cap:
                        return cap
                elif sn == color and n not in seen:
                    seen.add(n)
                    stones.append(n)
            i += 1
        return len(libs)

    def legal(self, move: int, color: int) -> bool:
        """Empty, not the ko point, and not suicide (never legal in ladders)."""
        s = self.s
        self.reads.add(move)
        if s[move] != EMPTY or move == self.ko:
            return False
        self.reads.update(self.nb[move])
        for n in self.nb[move]:
            sn = s[n]
            if sn == EMPTY:
                return True
            if sn == color:
                if self.libs_at_most(n, 2) > 1:
                    return True
            elif self.libs_at_most(n, 2) == 1:
                return True
        return False

    def play(self, move: int, color: int) -> tuple[int, list[int], int]:
        """Play a legal move with captures and the ko rule; returns what ``undo`` needs."""
        s, nb = self.s, self.nb
        self.reads.update(nb[move])
        s[move] = color
        captured: list[int] = []
        for n in nb[move]:
            if s[n] == -color:
                stones, libs = self.chain(n)
                if not libs:
                    for q in stones:
                        s[q] = EMPTY
                    captured.extend(stones)
        record = (move, captured, self.ko)
        self.ko = -1
        if len(captured) == 1 and all(s[n] != color for n in nb[move]) and \
                sum(1 for n in nb[move] if s[n] == EMPTY) == 1:
            self.ko = captured[0]
        return record

    def undo(self, record: tuple[int, list[int], int]) -> None:
        """Take back the last move played."""
        move, captured, ko = record
        s = self.s
        color = s[move]
        s[move] = EMPTY
        for q in captured:
            s[q] = -color
        self.ko = ko

    def immediate_libs(self, p: int) -> int:
        """Empty neighbours of a point."""
        s = self.s
        self.reads.update(self.nb[p])
        return sum(1 for n in self.nb[p] if s[n] == EMPTY)

    def atari_neighbour_libs(self, stones: list[int], color: int, first_only: bool = False) -> list[int]:
        """Liberties of the ``-color`` chains in atari next to ``stones`` (capturing moves)."""
        s, nb = self.s, self.nb
        done: set[int] = set()
        out: list[int] = []
        for q in stones:
            for n in nb[q]:
                if s[n] == -color and n not in done:
                    chain, libs = self.chain(n)
                    done.update(chain)
                    if len(libs) == 1:
                        if first_only:
                            return [next(iter(libs))]
                        lib = next(iter(libs))
                        if lib not in out:
                            out.append(lib)
        return out

    def would_be_ko_capture(self, p: int, color: int) -> bool:
        """``color`` at empty ``p`` would capture exactly one lone stone, every neighbour an opponent's."""
        s = self.s
        self.reads.add(p)
        if s[p] != EMPTY:
            return False
        self.reads.update(self.nb[p])
        capturable = -1
        for n in self.nb[p]:
            if s[n] != -color:
                return False
            if self.libs_at_most(n, 2) == 1:
                if capturable >= 0:
                    return False
                capturable = n
        if capturable < 0:
            return False
        self.reads.update(self.nb[capturable])
        return all(s[m] != -color for m in self.nb[capturable])

    def libs_after_play(self, p: int, color: int, cap: int) -> int:
        """Liberties a ``color`` stone at ``p`` would have (captures included), at most ``cap``."""
        s, nb = self.s, self.nb
        self.reads.update(nb[p])
        libs: set[int] = set()
        captured: set[int] = set()
        for n in nb[p]:
            sn = s[n]
            if sn == EMPTY:
                libs.add(n)
            elif sn == -color and n not in captured:
                stones, chain_libs = self.chain(n)
                if len(chain_libs) == 1:
                    captured.update(stones)
            if len(libs) >= cap:
                return cap
        for n in nb[p]:
            if s[n] == -color and n in captured:
                libs.add(n)
        if len(libs) >= cap:
            return cap
        for n in nb[p]:
            if s[n] == color:
                stones, _ = self.chain(n)
                for q in stones:
                    for m in nb[q]:
                        if m != p and (s[m] == EMPTY or m in captured):
                            libs.add(m)
                            if len(libs) >= cap:
                                return cap
        return len(libs)
