"""``MctsPlayer``: the searcher behind the GTP ``Player`` contract (engine.player).

genmove with resignation, safe passing and kgs-genmove_cleanup; analysis
streaming; pondering (the next genmove reuses the tree); dead stones and
ownership for final_status_list / final_score. Every method leaves the
caller's ``game`` unchanged.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Callable

import numpy as np

from engine import deadstones, status_net
from engine.evaluation import Evaluator, Position
from engine.game import Game
from engine.player import (AnalysisReport, AnalysisRequest, CandidateInfo, Decision, MoveLimits, Player,
                           ResignCounter)
from engine.rules import AREA
from engine.scoring import area_ownership
from engine.search import SearchConfig, SearchResult, Searcher, analysis_report, return_memory


class MctsPlayer(Player):
    """A ``Player`` that thinks with batched MCTS on a network evaluator."""

    name = "zerogo"

    def __init__(self, evaluator: Evaluator, config: SearchConfig | None = None,
                 clock: Callable[[], float] = time.monotonic, final_status_visits: int = 64,
                 status_config: deadstones.DeadStoneConfig | None = None):
        self.evaluator = evaluator
        self.status_config = status_config or deadstones.DeadStoneConfig()
        self._status_preloaded: set[tuple[str, int, int]] = set()
        self._pass_status_memo: tuple[SearchResult, deadstones.GroupStatus] | None = None
        self._move_deadline: float | None = None   # this move's clock limit (self.clock's time), if any
        self._playout_searcher: Searcher | None = None
        self.searcher = Searcher(evaluator, config)
        self.config = self.searcher.config
        self.clock = clock
        self.final_status_visits = final_status_visits
        self.last_result: SearchResult | None = None
        self._resign = ResignCounter()
        self._lock = threading.Lock()

    @property
    def last_pass_status(self) -> deadstones.GroupStatus | None:
        """The group status behind the last move's pass and resignation checks (None when none was needed)."""
        memo = self._pass_status_memo
        return memo[1] if memo is not None and memo[0] is self.last_result else None

    # --------------------------------------------------------------- helpers
    @staticmethod
    def _as_color(game: Game, color: int) -> Game:
        """The game itself when ``color`` is to move, else a copy with ``color`` to move."""
        if game.to_play == color:
            return game
        g = game.copy()
        g.board.to_play = color
        return g

    def _search(self, game: Game, limits: MoveLimits | None, **kw) -> SearchResult:
        with self._lock:
            return self.searcher.search(game, limits, self.clock, **kw)

    # ---------------------------------------------------------------- genmove
    def genmove(self, game: Game, color: int, limits: MoveLimits | None = None,
                cleanup: bool = False, interrupt: threading.Event | None = None) -> Decision:
        """Search and return a legal move, or resign (never under clean-up); ``interrupt`` cuts it short."""
        return self._decide(game, color, limits, cleanup, interrupt=interrupt)

    def genmove_analyze(self, game: Game, color: int, limits: MoveLimits | None,
                        report, interval: float = 1.0, cleanup: bool = False,
                        interrupt: threading.Event | None = None) -> Decision:
        """``genmove`` that reports the search's candidates every ``interval`` seconds.

        The final candidates are always reported once more, so even a search
        shorter than one interval shows its analysis.
        """
        decision = self._decide(game, color, limits, cleanup, report=report, interval=interval,
                                interrupt=interrupt)
        result = self.last_result
        if result is not None and result.candidates:
            report(AnalysisReport(list(result.candidates), result.ownership, result.root_visits))
        return decision

    def _decide(self, game: Game, color: int, limits: MoveLimits | None, cleanup: bool,
                **search_kw) -> Decision:
        """Search (passing ``search_kw`` on), then choose: resign, or a safe legal move."""
        g = self._as_color(game, color)
        self._preload_status_net(g)
        started = self.clock()
        result = self._search(g, limits, **search_kw)
        self._move_deadline = _deadline(started, limits)
        self.last_result = result
        if not cleanup and (self._should_resign(g, color, result) or self._count_is_hopeless(g, color, result)):
            return Decision(g.board.pass_move, resign=True, info=result.candidates)
        return Decision(self._safe_move(g, color, result, cleanup), info=result.candidates)

    def _preload_status_net(self, game: Game) -> None:
        """Near the end of a game (half the board played, or a pass), load the status net in the background."""
        spec = self.status_config.status_net
        key = (spec, game.width, game.height)
        if spec == "none" or key in self._status_preloaded:
            return
        passed = bool(game.moves) and game.moves[-1][1] == game.board.pass_move
        if len(game.moves) >= game.board.area // 2 or passed:
            self._status_preloaded.add(key)
            status_net.preload(spec, game.width, game.height)

    def _should_resign(self, game: Game, color: int, result: SearchResult) -> bool:
        """Winrate below the threshold for several consecutive moves, past the early game."""
        cfg = self.config
        if result.root_visits < 2:
            return False
        low = self._resign.update(color, result.winrate, cfg.resign_threshold, cfg.resign_consecutive)
        return self._past_the_opening(game) and low

    def _past_the_opening(self, game: Game) -> bool:
        """Far enough into the game to resign: area * resign_min_move_fraction plies (more with handicap)."""
        cfg = self.config
        return len(game.moves) >= game.board.area * cfg.resign_min_move_fraction * (1.0 + game.handicap / 2.0)

    def _count_is_hopeless(self, game: Game, color: int, result: SearchResult) -> bool:
        """Resign instead of playing on: the opponent has passed, and the count loses beyond recovery.

        We must not pass into a lost count, and a net that misjudges the end
        (the 19x19 student once thought itself 28 points ahead when KataGo
        saw it 3 behind) keeps its winrate up, so it never resigned: it filled
        its own territory for 200 moves while the opponent passed. So when
        our pass would end the game, the group status counts it as the pass
        decision does (``_pass_verdict``); a deficit larger than every neutral
        point (area scoring) plus a margin for a wrong count, max(3, area/50),
        is hopeless. Only with resignation on and past its earliest move.
        """
        cfg, board = self.config, game.board
        if cfg.resign_threshold <= 0 or board.passes < 1 or not game.moves or not self._past_the_opening(game):
            return False
        status = self._pass_status(game, result)   # the pass decision's evidence, computed once a move
        margin = game.score(status.dead, status.seki) * color
        if margin >= 0:
            return False
        neutral = int((area_ownership(board, status.dead) == 0).sum()) if game.rules.scoring == AREA else 0
        return -margin > neutral + max(3.0, board.area / 50)

    def _safe_move(self, game: Game, color: int, result: SearchResult, cleanup: bool) -> int:
        """The searched move unless it is illegal or a losing/lazy pass; then the best alternative.

        A pass is checked against the group status (``engine.deadstones.find_status``):
        with dead opponent stones on the board under clean-up or area scoring the
        move that removes them is played instead; a pass that ends the game in a
        lost count is replaced by the next candidate.
        """
        pass_move = game.board.pass_move
        order = [result.move] + [c.move for c in result.candidates if c.move != result.move]
        pass_ok = None
        for move in order:
            if move == pass_move:
                pass_ok, instead = self._pass_verdict(game, color, result, cleanup)
                if pass_ok:
                    return pass_move
                if instead is not None:
                    return instead
            elif game.is_legal(move, color) and not (game.board.is_eye(move, color) and move != result.move):
                return move
        if pass_ok is None:
            pass_ok, instead = self._pass_verdict(game, color, result, cleanup)
            if instead is not None:
                return instead
        return self._fallback(game, color, result, pass_ok)

    def _pass_verdict(self, game: Game, color: int, result: SearchResult,
                      cleanup: bool) -> tuple[bool, int | None]:
        """(may ``color`` pass, the clean-up move to play instead or None).

        Not while dead opponent stones stand under clean-up or area scoring
        (taking them off costs nothing there); not when our pass ends the game
        and the count, with the group status, loses.
        """
        board = game.board
        status = self._pass_status(game, result)
        opponent_dead = any(board.stones[p] == -color for p in status.dead)
        if opponent_dead and (cleanup or game.rules.scoring == AREA):
            move = deadstones.cleanup_move(board, color, status)
            if move is not None and game.is_legal(move, color):
                return False, move
        if not cleanup and board.passes >= 1:   # our pass ends the game: it must not lose
            return game.score(status.dead, status.seki) * color >= 0, None
        return True, None

    def _pass_status(self, game: Game, result: SearchResult) -> deadstones.GroupStatus:
        """The group status behind this move's pass decisions (the search's ownership as the prior),
        made once per search result: the resignation check and the pass verdict share it.

        Its play-outs fit in what the move's time limit leaves (a 5 s byo-yomi
        period must not be lost to 64 play-outs on 19x19 after the search).
        """
        memo = self._pass_status_memo
        if memo is not None and memo[0] is result:
            return memo[1]
        own = result.ownership
        config = self.status_config
        if self._move_deadline is not None:
            config = deadstones.within_seconds(config, self._move_deadline - self.clock())
        status = self.status(game, None if own is None else own * game.to_play, searched=False, config=config)
        self._pass_status_memo = (result, status)
        return status

    def _fallback(self, game: Game, color: int, result: SearchResult, pass_ok: bool) -> int:
        """The highest-prior legal move that fills none of our eyes, else pass."""
        mask = game.legal_mask(color)
        prior = self.policy(game)
        best, best_p = game.board.pass_move, -1.0
        for p in np.flatnonzero(mask[:-1]):
            p = int(p)
            if not game.board.is_eye(p, color) and prior[p] > best_p:
                best, best_p = p, float(prior[p])
        return best

    # --------------------------------------------------------------- analysis
    def analyze(self, game: Game, color: int, request: AnalysisRequest,
                report: Callable[[AnalysisReport], None], stop: threading.Event) -> None:
        """Search until ``stop`` (or ``request.max_visits``), reporting every ``request.interval`` s.

        With ``request.keep_reporting`` it then goes on reporting until ``stop``.
        """
        g = self._as_color(game, color)
        filtered = bool(request.allow) or bool(request.avoid)

        def send(rep: AnalysisReport) -> None:
            report(self._shape_report(g, rep, request))

        with self._lock:
            tree = self.searcher.prepare(g)
            if not tree.root.expanded:
                tree.run_batch(self.evaluator, self.config.puct(False), 1)
            if filtered:
                self._filter_root(tree, g, request)
            cap = self.config.ponder_max_visits   # memory bound, as for pondering
            visits = cap if request.max_visits is None else min(request.max_visits, cap)
            self.searcher.search(g, MoveLimits(visits=visits), self.clock, stop=stop,
                                 report=send, interval=request.interval)
            send(analysis_report(self.searcher.tree, self.config))
        while request.keep_reporting and not stop.wait(request.interval):
            send(analysis_report(self.searcher.tree, self.config))
        if filtered:
            self.searcher.clear()

    @staticmethod
    def _filter_root(tree, game: Game, request: AnalysisRequest) -> None:
        """Drop root moves outside ``allow`` or inside ``avoid`` (the tree is discarded afterwards)."""
        root = tree.root
        for i in reversed(range(len(root.moves))):
            mv = int(root.moves[i])   # the root is ply 0: any untilDepth >= 1 bans the move there
            banned = (request.allow is not None and mv not in request.allow) or mv in request.avoid
            if banned and len(root.moves) > 1:
                root.remove_child(i)

    def _shape_report(self, game: Game, rep: AnalysisReport, request: AnalysisRequest) -> AnalysisReport:
        """Apply max_moves / min_moves (padding with unvisited moves by prior)."""
        cands = list(rep.candidates)
        if request.max_moves:
            cands = cands[: request.max_moves]
        if request.min_moves and len(cands) < request.min_moves:
            root = self.searcher.tree.root
            have = {c.move for c in cands}
            for i in np.argsort(-root.raw_prior):
                if len(cands) >= request.min_moves:
                    break
                mv = int(root.moves[i])
                if mv not in have:   # unvisited: the position's own values stand in, as KataGo does
                    wr = rep.root.winrate if rep.root is not None else 0.5
                    lead = rep.root.score_lead if rep.root is not None else 0.0
                    cands.append(CandidateInfo(mv, 0, wr, lead, float(root.raw_prior[i]), 0.0, [mv]))
        return AnalysisReport(cands, rep.ownership if request.want_ownership or rep.ownership is not None else None,
                              rep.root_visits, rep.root, rep.raw_winrate, rep.raw_score)

    # ----------------------------------------------------------- the others
    def ponder(self, game: Game, stop: threading.Event) -> None:
        """Search the current position (the opponent to move) until ``stop``; genmove reuses it."""
        self._search(game, MoveLimits(), stop=stop)
        stop.wait()

    def ownership(self, game: Game) -> np.ndarray | None:
        """Ownership (black's view) averaged over a short search, or the network's, or None."""
        result = self._search(game, MoveLimits(visits=self.final_status_visits))
        if result.ownership is not None:
            return result.ownership * game.to_play
        ev = self.evaluator.evaluate([Position.from_game(game)])[0]
        return None if ev.ownership is None else np.asarray(ev.ownership) * game.to_play

    def status(self, game: Game, prior: np.ndarray | None = None, searched: bool = True,
               config: deadstones.DeadStoneConfig | None = None) -> deadstones.GroupStatus:
        """The group status (Benson, clean-up play-outs) with the network's ownership as a prior.

        ``prior`` (black's view, e.g. a search's ownership) when the caller has
        one; else, when the config gives the prior any weight, the network's own.
        ``searched``: also play out with this player's own search (the pass
        decision, short of time, does without). ``config``: instead of ``status_config``.
        """
        config = config or self.status_config
        if prior is None and config.prior_playouts > 0:
            ev = self.evaluator.evaluate([Position.from_game(game)])[0]
            if ev.ownership is not None:
                prior = np.asarray(ev.ownership).reshape(game.height, game.width) * game.to_play
        if not searched:
            return deadstones.find_status(game.board, prior, config)
        return deadstones.find_status(game.board, prior, config, game, self._playout_move)

    def _playout_move(self, game: Game, color: int) -> int:
        """The move a short search (``status_config.search_visits``) picks, for searched play-outs."""
        if self._playout_searcher is None:
            cfg = dataclasses.replace(self.config, resign_threshold=0.0, dirichlet_eps=0.0)
            self._playout_searcher = Searcher(self.evaluator, cfg)
        g = self._as_color(game, color)
        return self._playout_searcher.search(g, MoveLimits(visits=self.status_config.search_visits)).move

    def final_status(self, game: Game) -> tuple[set[int], set[int]]:
        """(dead, seki) stones: ``status``."""
        st = self.status(game)
        return st.dead, st.seki

    def policy(self, game: Game) -> np.ndarray | None:
        """The network's move probabilities for the position."""
        return np.asarray(self.evaluator.evaluate([Position.from_game(game)])[0].policy)

    def check_board_size(self, width: int, height: int) -> None:
        """The evaluator's check: a net that does not fit the size raises ModelLoadError."""
        self.evaluator.check_board_size(width, height)

    def clear(self) -> None:
        """Forget the tree, the cached evaluations and the resignation counters; return the memory."""
        with self._lock:
            self.searcher.clear()
            if self._playout_searcher is not None:
                self._playout_searcher.clear()
            self.last_result = None
            clear_cache = getattr(self.evaluator, "clear", None)
            if clear_cache is not None:
                clear_cache()
            return_memory()
        self._resign.clear()


def _deadline(started: float, limits: MoveLimits | None) -> float | None:
    """When this move must be over: the clock's hard limit, else the per-move target (``--time-per-move``)."""
    if limits is None:
        return None
    end = limits.seconds_max if limits.seconds_max is not None else limits.seconds_target
    return None if end is None else started + end
