"""Whether a pipelined search pays here: measured, per board shape, by the search itself.

A pipelined search (``engine.search``: the next batch gathered while the
network runs the last) searches more visits a second where the runtime runs
the net on its own threads (OpenVINO): measured by this choice in ``zerogo
gtp`` on 2 cores with bf16 and the shipped nets, 1.01-1.81x (median 1.38x) on
9x9 and 1.34x on 19x19 (docs/measurements/amx-2026-12-04/pipeline-s17.txt). It is not on by
default (``SearchConfig.pipeline = "off"``): each batch is chosen with the
one before it still on the net, and on 9x9 at 0.2 s a move that cost more
than the visits gained (80-107, 9 draws, against the serial search). With
``"auto"`` the searcher runs short chunks of batches each way, alternately,
until both ways have ``needed_batches``, and keeps the pipeline for that
board only if it searched at least ``margin`` times as many visits a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class PipelineTrials:
    """Visits and seconds measured serial and pipelined per board shape, and the choice once both are in."""

    trial_batches: int = 16      # batches a trial chunk
    needed_batches: int = 48     # batches measured each way before choosing
    margin: float = 1.05         # the pipeline must search this many times as many visits a second
    stats: dict = field(default_factory=dict)    # shape -> {False: [batches, visits, seconds], True: [...]}
    choice: dict = field(default_factory=dict)   # shape -> pipelined?

    def mode(self, shape: tuple[int, int]) -> tuple[bool, int | None]:
        """(pipelined?, batches to run that way: None for the rest of the search once chosen)."""
        if shape in self.choice:
            return self.choice[shape], None
        stats = self._rows(shape)
        return stats[True][0] < stats[False][0], self.trial_batches   # the way measured less so far

    def record(self, shape: tuple[int, int], pipelined: bool, batches: int, visits: int, seconds: float) -> None:
        """Add a trial chunk; choose once both ways have ``needed_batches``."""
        row = self._rows(shape)[pipelined]
        row[0] += batches
        row[1] += visits
        row[2] += seconds
        serial, piped = self.stats[shape][False], self.stats[shape][True]
        if shape in self.choice or min(serial[0], piped[0]) < self.needed_batches:
            return
        rates = [row[1] / row[2] if row[2] > 0 else 0.0 for row in (serial, piped)]
        self.choice[shape] = rates[1] >= self.margin * rates[0]
        log.info("pipelined search on %dx%d: %.0f visits/s against %.0f serial: %s", shape[1], shape[0],
                 rates[1], rates[0], "pipelined" if self.choice[shape] else "serial")

    def _rows(self, shape: tuple[int, int]) -> dict:
        """The board's [batches, visits, seconds] serial (False) and pipelined (True), made on first use."""
        return self.stats.setdefault(shape, {False: [0, 0, 0.0], True: [0, 0, 0.0]})
