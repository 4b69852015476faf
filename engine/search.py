"""The searcher: limits, time, early exit, tree reuse, root noise, Gumbel, final move choice.

``Searcher.search(game, limits, clock)`` runs batched PUCT (or Gumbel
sequential halving at the root) on an ``engine.mcts.Tree``, or on the same
tree compiled (``engine.compiled``, chosen by ``engine.tree_choice``), and
returns a ``SearchResult``. It stops on visits, on time (target, stretched up to the
maximum while the top two moves are close), or early when no other root move
can catch the leader in the budget left (Leela Zero's rule). Time is judged
with the next batch in mind: a batch that would end past the maximum is not
started, and the target is met on average rather than overshot by half a batch
(a slow net on a CPU, e.g. KataGo's b15 at 2 batches a second, would otherwise
run a quarter-second or more past every limit). The clock is
handed in, so tests use a fake one. Values in results are for the side to
move (see the convention at the top of ``engine.mcts_node``). ``MctsPlayer`` (the
GTP-facing ``Player``) lives in ``engine.mcts_player``, which imports this module.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from engine.evaluation import Evaluator
from engine.gumbel import SequentialHalving
from engine.mcts import Tree
from engine.mcts_node import PuctConfig
from engine.pipeline_choice import PipelineTrials
from engine.player import AnalysisReport, CandidateInfo, MoveLimits
from engine.search_config import SearchConfig
from engine.search_report import analysis_report, candidates, policy_target, root_score
from engine.tree_choice import make_tree

log = logging.getLogger(__name__)

PIPELINE_AFTER = 16  # a pipelined search overlaps batches once the root has this many batches of visits


@dataclass
class SearchResult:
    """What a search found; values are for the side to move."""

    move: int
    candidates: list[CandidateInfo]
    winrate: float
    score_lead: float
    root_visits: int
    playouts: int
    seconds: float
    full: bool = True
    policy_target: np.ndarray | None = None   # (area + 1,), only for full searches
    ownership: np.ndarray | None = None       # (h, w), side to move's view
    stop_reason: str = ""
    extra: dict = field(default_factory=dict)


class Searcher:
    """Runs searches for one game at a time, reusing the tree between moves."""

    def __init__(self, evaluator: Evaluator, config: SearchConfig | None = None):
        self.evaluator = evaluator
        self.config = config or SearchConfig()
        self.rng = np.random.default_rng(self.config.seed)
        self.tree: Tree | None = None
        self.pipeline_trials = PipelineTrials()   # pipelined or not, measured per board (pipeline "auto")
        self._warned: set[str] = set()              # why the compiled tree could not run, logged once each

    def clear(self) -> None:
        """Forget the tree (its nodes are freed at once)."""
        if self.tree is not None:
            self.tree.discard()
        self.tree = None

    def prepare(self, game) -> Tree:
        """The tree for the game's position: the old one re-rooted, or a fresh one."""
        if self.tree is not None and self.config.reuse_tree and self.tree.advance(game):
            return self.tree
        self.clear()
        self.tree = make_tree(game, self.config, self.evaluator, self._warned)
        return self.tree

    # ---------------------------------------------------------------- search
    def search(self, game, limits: MoveLimits | None = None, clock: Callable[[], float] = time.monotonic,
               stop: threading.Event | None = None, report: Callable[[AnalysisReport], None] | None = None,
               interval: float = 1.0, interrupt: threading.Event | None = None) -> SearchResult:
        """Search the game's current position within ``limits``; the game is not changed.

        The cyclic garbage collector is paused meanwhile: a full collection over a
        big tree takes tenths of a second (measured 0.43 s at 9k nodes, under
        load), which a clock cannot afford; discarded subtrees are freed by
        ``release`` instead (see ``_gc_paused``).

        ``stop`` ends an open-ended search (pondering, analysis: no visit
        default, no early exit); ``interrupt`` cuts a normal search short
        (GoGui's Interrupt): it is checked between batches and the best move
        so far is chosen as usual.
        """
        with _gc_paused():
            return self._search(game, limits, clock, stop, report, interval, interrupt)

    def _search(self, game, limits, clock, stop, report, interval, interrupt=None) -> SearchResult:
        cfg = self.config
        start = clock()
        tree = self.prepare(game)
        full, visit_limit = self._visit_limit(limits, stop)
        if not tree.root.expanded:
            tree.run_batch(self.evaluator, cfg.puct(False), 1)
        tree.reset_root_prior()   # the net's priors; a ladder the net cannot see is not run
        tree.score_utility = cfg.score_utility(tree.root.board.area, _expected_score_black(tree))
        if cfg.dirichlet_eps > 0 and full:
            tree.add_dirichlet_noise(self.rng, cfg.dirichlet_alpha_scale, cfg.dirichlet_eps)
        run = _Run(self, tree, limits or MoveLimits(), visit_limit, clock, start, stop, report, interval)
        run.interrupt = interrupt
        halving = None
        if cfg.root_policy == "gumbel":
            halving = SequentialHalving(tree.root, max(1, visit_limit - tree.root.visits), cfg.gumbel_m,
                                        self.rng, cfg.gumbel_c_visit, cfg.gumbel_c_scale)
            run.gumbel(halving)
        else:
            run.puct(cfg.puct(full and cfg.forced_playouts_k > 0, tree.score_utility))
        return self._result(game, tree, run, full, halving)

    def _visit_limit(self, limits: MoveLimits | None, stop) -> tuple[bool, int]:
        """(full search?, visit limit) from limits, playout cap randomization and pondering."""
        cfg = self.config
        if cfg.playout_cap:
            full = bool(self.rng.random() < cfg.full_probability)
            return full, cfg.full_visits if full else cfg.fast_visits
        if limits is not None and limits.visits:
            return True, int(limits.visits)
        timed = limits is not None and (limits.seconds_target is not None or limits.seconds_max is not None)
        if timed or stop is not None:
            return True, cfg.ponder_max_visits
        return True, cfg.visits

    def _result(self, game, tree: Tree, run: "_Run", full: bool, halving) -> SearchResult:
        """Choose the move and assemble the result."""
        cfg, root = self.config, tree.root
        cands = candidates(tree, cfg)
        move = self._choose(game, tree, cands, halving)
        target = None
        if full:
            target = policy_target(tree, cfg, halving)
        own = tree.ownership()
        return SearchResult(
            move=move, candidates=cands, winrate=(root.q() + 1) / 2, score_lead=root_score(tree),
            root_visits=root.visits, playouts=run.playouts, seconds=run.elapsed(), full=full,
            policy_target=target, ownership=None if own is None else own * root.board.to_play,
            stop_reason=run.reason, extra={"pruned_nodes": run.pruned, "tree_nodes": tree.node_count})

    def _choose(self, game, tree: Tree, cands: list[CandidateInfo], halving) -> int:
        """Temperature sampling in the self-play opening, Gumbel's pick, else the LCB/visits leader."""
        cfg, root = self.config, tree.root
        if halving is not None:
            return int(root.moves[halving.best_index(root)])
        if cfg.temperature_moves > len(game.moves) and cfg.temperature > 0 and root.child_N.sum() > 0:
            weights = root.child_N ** (1.0 / cfg.temperature)
            return int(self.rng.choice(root.moves, p=weights / weights.sum()))
        if not cands:
            return int(root.moves[int(np.argmax(root.prior))])
        return cands[0].move


def _expected_score_black(tree: Tree) -> float:
    """The root's expected score lead, black's view: the search's mean so far, else the net's."""
    root = tree.root
    score = root_score(tree) if root.visits > 0 else root.net_score
    return score * root.board.to_play


def return_memory() -> None:
    """Collect what the paused collector left and hand freed heap pages back to the OS.

    For a new game (``clear_board``), not during a search: it walks every live
    object. ``malloc_trim`` exists on glibc only; elsewhere this just collects.
    """
    gc.unfreeze()
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@contextmanager
def _gc_paused():
    """Disable the cyclic collector for the block, then freeze what it allocated.

    Freezing moves the (mostly live) tree objects out of the collector's young
    generation, so the first collection after the search does not walk them all
    (0.15 s at 11k nodes). They are still freed by reference counting: the tree
    keeps no cycles once ``release`` has cut a discarded subtree's links.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


class _Run:
    """One search's loop: stopping rules, reporting and the batches."""

    def __init__(self, searcher: Searcher, tree: Tree, limits: MoveLimits, visit_limit: int,
                 clock, start: float, stop, report, interval: float):
        self.s, self.tree, self.limits, self.visit_limit = searcher, tree, limits, visit_limit
        self.clock, self.start, self.stop, self.report, self.interval = clock, start, stop, report, interval
        self.playouts, self.reason = 0, ""
        self.batch_seconds = 0.0   # the next batch's expected duration (0 until one has run)
        self._batch_total, self._batches = 0.0, 0
        self.last_report = start
        self.interrupt: threading.Event | None = None
        mb = searcher.config.max_tree_mb
        self.max_nodes = (mb << 20) // tree.bytes_per_node if mb > 0 else 0
        self.pruned = 0

    def bound_memory(self) -> None:
        """Prune the tree to 3/4 of its node budget once it exceeds the budget."""
        if self.max_nodes and self.tree.node_count > self.max_nodes:
            self.pruned += self.tree.prune(self.max_nodes * 3 // 4)
            log.debug("tree over %d MB: pruned to %d nodes (%d dropped in this search)",
                      self.s.config.max_tree_mb, self.tree.node_count, self.pruned)

    def elapsed(self) -> float:
        """Seconds since the search began."""
        return self.clock() - self.start

    def _time_left_visits(self, elapsed: float) -> float:
        """Playouts the time left allows at the rate so far (inf without a time limit)."""
        lim = self.limits
        end = lim.seconds_target if lim.seconds_target is not None else lim.seconds_max
        if end is None:
            return math.inf
        if self.playouts < 2 * self.s.config.batch_size or elapsed <= 0:
            return math.inf   # no rate measured yet: never stop early on a guess
        return max(0.0, (end - elapsed) * self.playouts / elapsed)

    def finished(self) -> bool:
        """True (with ``reason`` set) when a stopping rule fires."""
        lim, root = self.limits, self.tree.root
        elapsed = self.elapsed()
        if self.report is not None and elapsed - (self.last_report - self.start) >= self.interval:
            self.last_report = self.clock()
            self.report(analysis_report(self.tree, self.s.config))
        if self.interrupt is not None and self.interrupt.is_set():
            self.reason = "interrupted"
        elif self.stop is not None and self.stop.is_set():
            self.reason = "stopped"
        elif root.visits >= self.visit_limit:
            self.reason = "visits"
        elif self._past_hard_limit(elapsed):
            self.reason = "time"
        elif elapsed < lim.seconds_min:
            return False
        elif (lim.seconds_target is not None and elapsed + self.batch_seconds / 2 >= lim.seconds_target
              and not self._close_race()):
            self.reason = "time"
        elif self.s.config.early_stop and self.stop is None and self._cannot_catch(elapsed):
            self.reason = "early"
        return bool(self.reason)

    def _past_hard_limit(self, elapsed: float) -> bool:
        """The next batch would end past the maximum time (never with no maximum)."""
        return self.limits.seconds_max is not None and elapsed + self.batch_seconds >= self.limits.seconds_max

    def _close_race(self) -> bool:
        """True while the second move has at least 2/3 of the leader's visits (worth more time)."""
        n = self.tree.root.child_N
        if len(n) < 2 or self.limits.seconds_max is None:
            return False
        top = np.partition(n, -2)[-2:]
        return top[0] >= 0.66 * top[1] and top[1] >= 10

    def _cannot_catch(self, elapsed: float) -> bool:
        """Leela Zero's rule: no other root move can reach the leader's visits in the budget left."""
        n = self.tree.root.child_N
        if len(n) < 2:
            return True
        left = min(self.visit_limit - self.tree.root.visits, self._time_left_visits(elapsed))
        top = np.partition(n, -2)[-2:]
        return top[1] - top[0] > left

    def puct(self, puct: PuctConfig) -> None:
        """Batches of PUCT descents until a stopping rule fires, pipelined if asked.

        ``SearchConfig.pipeline``: ``off`` (the default: a pipelined search
        lost on 9x9 at equal time, see ``engine.pipeline_choice``), ``on``, or
        ``auto`` (trial chunks each way until ``engine.pipeline_choice`` has
        chosen for this board); only where the evaluator overlaps. Until the root has
        ``PIPELINE_AFTER`` batches of visits the batches run one at a time:
        a small search (a teacher's 32 visits) would otherwise choose its
        second batch knowing nothing of its first.
        """
        cfg, tree = self.s.config, self.tree
        setting = cfg.pipeline if self.s.evaluator.overlaps and tree.pipelines else "off"
        shape = (tree.root.board.height, tree.root.board.width)
        trials = self.s.pipeline_trials
        while not self.finished():
            if setting == "off" or tree.root.visits < PIPELINE_AFTER * cfg.batch_size:
                self._serial(puct, 1)
                continue
            piped, rounds = (True, None) if setting == "on" else trials.mode(shape)
            visits, began = self.playouts, self.clock()
            batches = self._pipelined(puct, rounds) if piped else self._serial(puct, rounds)
            if setting == "auto" and rounds is not None:
                trials.record(shape, piped, batches, self.playouts - visits, self.clock() - began)

    def _serial(self, puct: PuctConfig, rounds: int | None) -> int:
        """Up to ``rounds`` batches (None: until a stopping rule fires), each evaluated before the next."""
        batch, done = self.s.config.batch_size, 0
        while rounds is None or done < rounds:
            if done and self.finished():
                break
            self._timed_batch(puct, int(max(1, min(batch, self.visit_limit - self.tree.root.visits))))
            done += 1
        return done

    def _pipelined(self, puct: PuctConfig, rounds: int | None) -> int:
        """Up to ``rounds`` batches with the next one gathered and encoded while the net runs the last.

        Each round: descend and encode batch k+1 (its leaves see batch k's
        virtual loss), wait for batch k's outputs, start k+1 on the net, then
        turn k's outputs into evaluations and back them up while k+1 runs. The
        search's Python work then overlaps the network's instead of adding to
        it, like more search threads in Leela Zero or KataGo. The last batch
        is waited for before returning.
        """
        tree, evaluator, batch = self.tree, self.s.evaluator, self.s.config.batch_size
        flight: tuple[list, object] | None = None   # (leaves, job) on the net now
        unfinished: list[list] = []   # batches collected and not backed up: abandoned if a network run fails
        job = None
        done = 0
        try:
            while rounds is None or done < rounds:
                if done and self.finished():
                    break
                began = self.clock()
                in_flight = len(flight[0]) if flight else 0
                size = int(min(batch, self.visit_limit - tree.root.visits - in_flight))
                leaves, backed_up = tree.collect(puct, size) if size > 0 else ([], 0)
                unfinished.append(leaves)
                self.playouts += backed_up
                job = evaluator.begin([leaf.position for leaf in leaves]) if leaves else None
                if flight is not None:
                    flight[1].wait()
                if job is not None:
                    job.start()
                if flight is not None:
                    self.playouts += tree.finish(flight[0], flight[1].result())
                    unfinished = [u for u in unfinished if u is not flight[0]]
                flight = (leaves, job) if job is not None else None
                self._note_batch(self.clock() - began)
                done += 1
            if flight is not None:
                self.playouts += tree.finish(flight[0], flight[1].result())
        except BaseException:
            for job in {id(j): j for j in (flight[1] if flight else None, job) if j is not None}.values():
                try:
                    job.wait()            # the runtime is free again for the next search's jobs
                except Exception:         # noqa: BLE001 - the error being raised is the one to report
                    pass
            for leaves in unfinished:
                tree.abandon(leaves)
            raise
        return done

    def _note_batch(self, seconds: float) -> None:
        """Keep a batch's duration for the next time check; bound the tree's memory."""
        self._batch_total, self._batches = self._batch_total + seconds, self._batches + 1
        # the last batch, or the mean if lower: one slow batch (a GC pause) does not cut the move short
        self.batch_seconds = min(seconds, self._batch_total / self._batches)
        self.bound_memory()

    def _timed_batch(self, puct: PuctConfig, size: int, choices=None) -> None:
        """One batch of descents, its duration kept for the next time check."""
        began = self.clock()
        self.playouts += self.tree.run_batch(self.s.evaluator, puct, size, choices)
        self._note_batch(self.clock() - began)

    def gumbel(self, halving: SequentialHalving) -> None:
        """Sequential halving at the root; PUCT below it."""
        puct, batch = self.s.config.puct(False, self.tree.score_utility), self.s.config.batch_size
        while True:
            choices = halving.next_choices(self.tree.root)
            if not choices:
                self.reason = self.reason or "visits"
                return
            for k in range(0, len(choices), batch):
                stopped = self.stop is not None and self.stop.is_set()
                interrupted = self.interrupt is not None and self.interrupt.is_set()
                if stopped or interrupted or self._past_hard_limit(self.elapsed()):
                    self.reason = "time"
                    return
                self._timed_batch(puct, batch, choices[k:k + batch])
            halving.end_phase(self.tree.root)
