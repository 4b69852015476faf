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

import heapq
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from engine.batching import SharedBatcher
from engine.evaluation import Evaluator
from engine.mcts_player import MctsPlayer
from engine.player import AnalysisReport, AnalysisRequest
from engine.search import SearchConfig
from engine.tree_choice import warm_up
from gtp.server.analysis_answer import answer
from gtp.server.analysis_query import Defaults, Job, QueryError, parse_query

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
    runtime: str = "onnxruntime"       # CPU inference runtime and precision (engine.runtimes; the
    precision: str = "fp32"            # command line's default is auto)
    tree: str = "python"               # the search tree (engine.tree_choice; the command line's default is auto)
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
                              batch_size=max(32, self.settings.batch_size * self.settings.analysis_threads),
                              runtime=self.settings.runtime, precision=self.settings.precision)
        return load_evaluator(name, cfg)

    def preload(self) -> None:
        """Load a network named by --network now, as KataGo does (``auto`` loads each board's on first use).

        Raises QueryError for ``none`` and ModelLoadError for a file that cannot be loaded.
        """
        if self.settings.network.strip().lower() != "auto":
            self._batcher(19, 19)

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
            config = SearchConfig(batch_size=self.settings.batch_size, seed=self.settings.seed,
                                  resign_threshold=0.0, tree=self.settings.tree)
            warm_up(config, batcher)
            players[name] = MctsPlayer(batcher, config)
        return players[name], batcher

    def _run(self, job: Job, players: dict) -> None:
        """Search one job and write its answer(s)."""
        player, batcher = self._player(players, job)
        cfg = player.config
        default_fpu = SearchConfig.fpu_reduction_root
        cfg.pv_length = job.pv_len + 1          # KataGo's analysisPVLen counts moves after the first
        cfg.fpu_reduction_root = default_fpu if job.fpu_root is None else job.fpu_root
        cfg.static_score_utility, cfg.dynamic_score_utility = job.static_utility, job.dynamic_utility
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
        """Write one JSON answer for the job (``gtp.server.analysis_answer``)."""
        self.write(answer(job, rep, player, during))
