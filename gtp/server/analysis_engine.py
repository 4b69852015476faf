"""``zerogo analysis``: KataGo's JSON analysis-engine protocol (KaTrain and web tools).

One JSON query per input line; one JSON answer per line on stdout, in any
order (docs/Analysis_Engine.md of KataGo). Queries are checked by
``gtp.server.analysis_query``; each analysed turn becomes a job in a priority queue
(higher ``priority`` first, then earlier queries). ``analysis_threads``
workers each own a searcher (``engine.mcts_player.MctsPlayer``) and take jobs
from the queue; their network calls go through one ``SharedBatcher`` per
network, so several positions are evaluated in each batch. Special actions:
``query_version``, ``clear_cache``, ``terminate``, ``terminate_all``,
``query_models``. At the end of input the engine finishes the queued work
(unless ``quit_without_waiting``) and exits.

A job's search is the same one ``kata-analyze`` runs (``MctsPlayer.analyze``
with a visit limit), so the two report the same numbers for the same
position, settings and visits.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from engine import coords
from engine.batching import SharedBatcher
from engine.board import BLACK, IllegalMoveError
from engine.evaluation import Evaluator, Position
from engine.mcts_player import MctsPlayer
from engine.player import AnalysisReport, AnalysisRequest
from engine.search import SearchConfig
from gtp.server.analysis_query import Defaults, Job, QueryError, parse_query
from gtp.server.kata_values import flip_for, move_values, root_values, round8

log = logging.getLogger("zerogo.analysis")

VERSION = "0.1.0"


@dataclass
class AnalysisSettings:
    """Every setting of ``zerogo analysis`` (see ``zerogo analysis --help``)."""

    network: str = "auto"
    visits: int = 500                  # KataGo's analysis_example.cfg maxVisits
    analysis_threads: int = 2
    batch_size: int = 8
    threads: int = 0
    perspective: str = "BLACK"         # KataGo's analysis_example.cfg reportAnalysisWinratesAs
    pv_len: int = 15
    seed: int | None = None
    quit_without_waiting: bool = False


def dump(obj: dict) -> str:
    """One answer line as KataGo writes it (sorted keys, no spaces)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


class _Queue:
    """Jobs by (priority desc, arrival); ``pop`` blocks, None once closed and empty."""

    def __init__(self):
        self._heap: list = []
        self._cond = threading.Condition()
        self._closed = False

    def push(self, job: Job) -> None:
        with self._cond:
            heapq.heappush(self._heap, (-job.priority, job.order, job))
            self._cond.notify()

    def pop(self) -> Job | None:
        with self._cond:
            while not self._heap and not self._closed:
                self._cond.wait()
            return heapq.heappop(self._heap)[2] if self._heap else None

    def close(self, drop: bool = False) -> None:
        with self._cond:
            self._closed = True
            if drop:
                self._heap.clear()
            self._cond.notify_all()


class AnalysisEngine:
    """Reads queries, runs jobs on worker threads, writes answers."""

    def __init__(self, settings: AnalysisSettings, out: TextIO,
                 open_network: Callable[[str], Evaluator] | None = None,
                 network_for: Callable[[int, int], str] | None = None):
        """``network_for(width, height)`` names the net for a board; ``open_network(name)`` loads it."""
        self.settings = settings
        self.out = out
        self.defaults = Defaults(max_visits=settings.visits, pv_len=settings.pv_len,
                                 perspective=settings.perspective)
        self._open_network = open_network or self._load_network
        self._network_for = network_for or self._find_network
        self._batchers: dict[str, SharedBatcher] = {}
        self._write_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._net_lock = threading.Lock()
        self._open: list[Job] = []
        self._orders = 0
        self.queue = _Queue()
        self.workers = [threading.Thread(target=self._work, name=f"analysis-{i}", daemon=True)
                        for i in range(settings.analysis_threads)]

    # ------------------------------------------------------------ networks
    def _find_network(self, width: int, height: int) -> str:
        from gtp.server.players import EngineOptions, find_network
        path = find_network(EngineOptions(size=width, network=self.settings.network), width, height)
        if path is None:
            raise QueryError("boardXSize", f"no network for a {width}x{height} board "
                                           f"(--network {self.settings.network})")
        return str(path)

    def _load_network(self, name: str) -> Evaluator:
        from engine.evaluator import EvaluatorConfig, load_evaluator
        cfg = EvaluatorConfig(threads=self.settings.threads, seed=self.settings.seed,
                              batch_size=max(32, self.settings.batch_size * self.settings.analysis_threads))
        return load_evaluator(name, cfg)

    def _batcher(self, width: int, height: int) -> tuple[str, SharedBatcher]:
        """The shared batcher of the network for this board (loaded on first use)."""
        name = self._network_for(width, height)
        with self._net_lock:
            if name not in self._batchers:
                log.info("loading network %s", name)
                self._batchers[name] = SharedBatcher(self._open_network(name))
            return name, self._batchers[name]

    # ------------------------------------------------------------- output
    def write(self, obj: dict) -> None:
        """Write one answer line (thread-safe)."""
        line = dump(obj)
        with self._write_lock:
            try:
                self.out.write(line + "\n")
                self.out.flush()
            except (OSError, ValueError) as exc:
                log.error("cannot write an answer: %s", exc)

    # -------------------------------------------------------------- input
    def start(self) -> None:
        """Start the worker threads."""
        for worker in self.workers:
            worker.start()

    def serve(self, stream: TextIO) -> None:
        """Answer queries until the end of input, then finish (or drop) the queued work."""
        self.start()
        for line in stream:
            self.handle_line(line)
        self.finish()

    def finish(self) -> None:
        """Stop taking work; wait for the workers (stopping them first if asked)."""
        drop = self.settings.quit_without_waiting
        if drop:
            with self._open_lock:
                for job in self._open:
                    job.stop.set()
        self.queue.close(drop)
        for worker in self.workers:
            if worker.is_alive():
                worker.join()
        for name, batcher in self._batchers.items():
            log.info("%s: NN rows %d, NN batches %d, NN avg batch size %.2f", name, batcher.positions,
                     batcher.calls, batcher.mean_batch())
            batcher.close()

    def handle_line(self, line: str) -> None:
        """One input line: a query, a special action, or an error answer."""
        line = line.strip()
        if not line:
            return
        try:
            q = json.loads(line)
        except ValueError as exc:
            self.write({"error": f"{exc} - could not parse input line as json request: {line}"})
            return
        if not isinstance(q, dict):
            self.write({"error": "Request line was valid json but was not an object, ignoring: "
                        + json.dumps(q, separators=(",", ":"))})
            return
        if not isinstance(q.get("id"), str):
            self.write({"error": "Request must have a string \"id\" field"})
            return
        if "action" in q and isinstance(q["action"], str):
            self._action(q)
            return
        try:
            jobs, warnings = parse_query(q, self.defaults, self._orders)
        except QueryError as exc:
            self.write({"id": q["id"], "field": exc.field, "error": str(exc)})
            return
        for field_name, message in warnings:
            self.write({"id": q["id"], "field": field_name, "warning": message})
        self._orders += len(jobs)
        with self._open_lock:
            self._open.extend(jobs)
        for job in jobs:
            self.queue.push(job)

    def _action(self, q: dict) -> None:
        action = q["action"]
        if action == "query_version":
            self.write({**q, "version": VERSION, "git_hash": "<omitted>"})
        elif action == "clear_cache":
            for batcher in list(self._batchers.values()):
                batcher.clear()
            self.write(q)
        elif action in ("terminate", "terminate_all"):
            self._terminate(q, action == "terminate_all")
        elif action == "query_models":
            self.write({**q, "models": [{"name": name, "internalName": name} for name in self._batchers]})
        else:
            self.write({"error": "'action' field must be 'query_version' or 'terminate' or 'terminate_all'"})

    def _terminate(self, q: dict, everything: bool) -> None:
        target = q.get("terminateId")
        if not everything and not isinstance(target, str):
            self.write({"id": q["id"], "field": "terminateId",
                        "error": "Requests for a terminate action must have a string \"terminateId\" field"})
            return
        turns = q.get("turnNumbers")
        if turns is not None and (not isinstance(turns, list) or not all(isinstance(t, int) for t in turns)):
            self.write({"id": q["id"], "field": "turnNumbers",
                        "error": "If provided, must be an array of integers indicating turns to terminate"})
            return
        with self._open_lock:
            for job in self._open:
                if (everything or job.id == target) and (turns is None or job.turn in turns):
                    if job.status == "queued":
                        job.status = "terminated"
                        self.write({"id": job.id, "turnNumber": job.turn, "isDuringSearch": False,
                                    "noResults": True})
                    job.stop.set()
        self.write(q)

    # ------------------------------------------------------------- workers
    def _work(self) -> None:
        players: dict[str, MctsPlayer] = {}
        while True:
            job = self.queue.pop()
            if job is None:
                return
            with self._open_lock:
                take = job.status == "queued"
                if take:
                    job.status = "running"
            try:
                if take:
                    self._run(job, players)
            except QueryError as exc:
                self.write({"id": job.id, "field": exc.field, "error": str(exc)})
            except Exception as exc:  # a bug must not kill the worker
                log.exception("analysis of %s turn %d failed", job.id, job.turn)
                self.write({"id": job.id, "error": f"internal error: {type(exc).__name__}: {exc}"})
            finally:
                with self._open_lock:
                    job.status = "done"
                    if job in self._open:
                        self._open.remove(job)

    def _player(self, players: dict, job: Job) -> tuple[MctsPlayer, SharedBatcher]:
        name, batcher = self._batcher(job.game.width, job.game.height)
        if name not in players:
            players[name] = MctsPlayer(batcher, SearchConfig(batch_size=self.settings.batch_size,
                                                             seed=self.settings.seed, resign_threshold=0.0))
        return players[name], batcher

    def _run(self, job: Job, players: dict) -> None:
        """Search one job and write its answer(s)."""
        player, batcher = self._player(players, job)
        cfg = player.config
        default_fpu = SearchConfig.fpu_reduction_root
        cfg.pv_length = job.pv_len + 1          # KataGo's analysisPVLen counts moves after the first
        cfg.fpu_reduction_root = default_fpu if job.fpu_root is None else job.fpu_root
        player.clear()
        game, color = job.game, job.game.to_play
        every = job.report_every or 1e9
        request = AnalysisRequest(interval=min(every, job.first_report_after or every), max_visits=job.max_visits,
                                  keep_reporting=False, want_ownership=job.include_ownership,
                                  avoid={m: 1 for m in job.avoid.get(color, ())},
                                  allow=set(job.allow[color]) if color in job.allow else None)
        reports: list[AnalysisReport] = []
        timer = threading.Timer(job.max_time, job.stop.set) if job.max_time else None

        started, last = time.monotonic(), [None]

        def report(rep: AnalysisReport) -> None:
            reports.append(rep)
            now = time.monotonic()
            due = (now - started >= (job.first_report_after or every) if last[0] is None
                   else now - last[0] >= every - 1e-3)
            if job.report_every and due and rep.root_visits < job.max_visits and not job.stop.is_set():
                last[0] = now
                self._answer(job, rep, player, during=True)

        if timer:
            timer.start()
        try:
            with batcher.active():
                player.analyze(game, color, request, report, job.stop)
                final = reports[-1] if reports else None
                if final is None or final.root is None or final.root.visits <= 0:
                    self.write({"id": job.id, "turnNumber": job.turn, "isDuringSearch": False,
                                "noResults": True})
                else:
                    self._answer(job, final, player, during=False)
        finally:
            if timer:
                timer.cancel()
            player.clear()

    # -------------------------------------------------------------- answers
    def _answer(self, job: Job, rep: AnalysisReport, player: MctsPlayer, during: bool) -> None:
        game, color = job.game, job.game.to_play
        flip = flip_for(job.perspective, color)
        w, h = game.width, game.height
        infos = []
        for order, c in enumerate(rep.candidates):
            info = {k: (round8(v) if isinstance(v, float) else v) for k, v in move_values(c, flip).items()}
            pv = c.pv or [c.move]
            info.update(move=coords.to_gtp(c.move, w, h), order=order,
                        pv=[coords.to_gtp(m, w, h) for m in pv])
            if job.include_pv_visits:
                visits = (c.pv_visits or [c.visits])[:len(pv)]
                info.update(pvVisits=visits, pvEdgeVisits=visits)
            infos.append(info)
        if job.include_moves_ownership and infos and not during:
            for info, own in zip(infos, self._moves_ownership(job, rep, player)):
                if own is not None:
                    info["ownership"] = own
        ret = {"id": job.id, "turnNumber": job.turn, "isDuringSearch": during, "moveInfos": infos,
               "rootInfo": self._root_info(rep, game, flip)}
        if job.include_ownership and rep.ownership is not None:
            ret["ownership"] = self._board_list(rep.ownership * color, job.perspective, color)
        if job.include_policy:
            ret["policy"] = self._policy(game, player)
        self.write(ret)

    @staticmethod
    def _root_info(rep: AnalysisReport, game, flip: bool) -> dict:
        info = {k: (round8(v) if isinstance(v, float) else v) for k, v in root_values(rep.root, flip).items()}
        if rep.raw_winrate is not None:
            info["rawWinrate"] = round8(1.0 - rep.raw_winrate if flip else rep.raw_winrate)
            lead = -rep.raw_score if flip else rep.raw_score
            info.update(rawLead=round8(lead), rawScoreSelfplay=round8(lead))
        this, sym = position_hashes(game)
        info.update(thisHash=this, symHash=sym, currentPlayer="B" if game.to_play == BLACK else "W")
        return info

    @staticmethod
    def _board_list(black_view: np.ndarray, perspective: str, color: int) -> list[float]:
        """Ownership (black's view) in the reported perspective, row-major from the top left."""
        sign = -1.0 if perspective == "WHITE" or (perspective == "SIDETOMOVE" and color != BLACK) else 1.0
        return [round8(float(x) * sign) for x in np.asarray(black_view, dtype=float).reshape(-1)]

    def _moves_ownership(self, job: Job, rep: AnalysisReport, player: MctsPlayer) -> list:
        """The network's ownership after each listed move (black's view, then perspective)."""
        game, color = job.game, job.game.to_play
        positions, index = [], []
        for c in rep.candidates:
            child = game.copy()
            try:
                child.play(c.move, color)
            except IllegalMoveError:
                index.append(None)
                continue
            index.append(len(positions))
            positions.append(Position.from_game(child, player.config.history))
        evals = player.evaluator.evaluate(positions) if positions else []
        out = []
        for i in index:
            own = None if i is None else evals[i].ownership
            out.append(None if own is None else self._board_list(np.asarray(own) * -color, job.perspective, color))
        return out

    @staticmethod
    def _policy(game, player: MctsPlayer) -> list[float]:
        """The network's policy, -1 on illegal moves, pass last (KataGo's includePolicy)."""
        policy = np.asarray(player.policy(game), dtype=float)
        legal = game.legal_mask(game.to_play)
        return [round8(float(p)) if ok else -1 for p, ok in zip(policy, legal)]


def position_hashes(game) -> tuple[str, str]:
    """(thisHash, symHash): 32 hex digits for the stones, player to move and ko; symHash the least over symmetries."""
    stones = np.asarray(game.board.stones, dtype=np.int8).reshape(game.height, game.width)
    ko = np.zeros_like(stones)
    if game.board.ko_point >= 0:
        ko.reshape(-1)[game.board.ko_point] = 1
    views = [(stones, ko), (stones[::-1], ko[::-1]), (stones[:, ::-1], ko[:, ::-1]),
             (stones[::-1, ::-1], ko[::-1, ::-1])]
    if game.width == game.height:
        views += [(s.T, k.T) for s, k in list(views)]

    def digest(s, k) -> str:
        data = np.ascontiguousarray(s).tobytes() + np.ascontiguousarray(k).tobytes() + bytes([game.to_play & 0xFF])
        return hashlib.blake2b(data, digest_size=16).hexdigest().upper()

    hashes = [digest(s, k) for s, k in views]
    return hashes[0], min(hashes)
