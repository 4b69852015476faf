"""The one seki finder: chains that live next to shared liberties neither side can fill.

A seki is read on *finished* boards, the final boards of clean-up play-outs
(``engine.playout.play_out``): there every dame has been filled and every
dead chain captured, so an empty region that still touches both colours is
made of shared liberties that neither side could fill without putting its
own chain in atari. The chains next to such a region are in seki on that
board (``seki_on_finished_board``). ``SekiVotes`` counts, over many
play-outs, how often each chain of the position being judged survived next
to shared liberties; ``engine.deadstones.find_status`` calls a chain in seki
when it did so in at least ``seki_vote`` of them (and is not dead), and every
caller (final_score, final_status_list seki, territory counting, the GoGui
status view, the match referee, the benchmarks) reads that one answer.

This covers seki with shared liberties only, seki with an eye on one or both
sides, and rejects look-alikes that one side can break (a sacrifice that
kills, a dame that can be filled): those end without a shared region in the
play-outs.

Order: board, scoring ← seki.
"""

from __future__ import annotations

from engine.board import EMPTY, Board, neighbor_table
from engine.scoring import empty_regions


def shared_regions(board: Board, dead=frozenset()) -> list[list[int]]:
    """Empty regions that touch stones of both colours (``dead`` stones count as empty)."""
    stones = [EMPTY if p in dead else s for p, s in enumerate(board.stones)]
    regions = empty_regions(stones, neighbor_table(board.width, board.height))
    return [[p for p in region if board.stones[p] == EMPTY] for region, colours in regions if len(colours) == 2]


def seki_on_finished_board(board: Board) -> set[int]:
    """Stones of the chains next to a shared region of a finished board (one whose dame are filled)."""
    marked: set[int] = set()
    for region in shared_regions(board):
        for q in region:
            for n in board.neighbors(q):
                if board.stones[n] != EMPTY and n not in marked:
                    marked.update(board.group_stones(n))
    return marked


class SekiVotes:
    """How often each chain of a position survived next to shared liberties, over weighted finished boards."""

    def __init__(self, chains: list[tuple[int, list[int], set[int]]]):
        self.chains = chains
        self.votes = [0.0] * len(chains)
        self.weight = 0.0

    def add(self, final: Board, weight: float = 1.0) -> None:
        """Count one finished board: a vote for each chain still there (same colour) and in seki on it."""
        in_seki = seki_on_finished_board(final)
        for k, (color, stones, _) in enumerate(self.chains):
            first = stones[0]
            if first in in_seki and final.stones[first] == color:
                self.votes[k] += weight
        self.weight += weight

    def share(self, k: int) -> float:
        """The weighted share of boards on which chain ``k`` was in seki."""
        return self.votes[k] / self.weight if self.weight else 0.0
