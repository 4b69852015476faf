"""``zerogo loop``: generations of self-play, training, export, gating and promotion; resumable.

Layout of ``RUN`` (``--run-dir``)::

    loop_state.json       generation, stage, best network, history (rewritten atomically)
    best.pt, best.onnx    the current best network
    gen000.pt/.onnx       the first network (an Elo anchor)
    genNNN/selfplay/      sgf/ and shards/ of generation NNN
    genNNN/train/         the trainer's run dir (checkpoint.pt: resumable)
    genNNN/candidate.*    the trained candidate
    genNNN/gate_sgf/      gating games
    ratings.json          every generation's Elo against the anchors

Each generation walks ``selfplay -> train -> export -> gate -> rate`` and the
state file records the stage reached, so a killed loop resumes where it
stopped (self-play tops up to the number of games, training resumes from its
checkpoint). Self-play resigns at ``resign_threshold`` in generation 1 and,
with ``resign_calibrate``, afterwards at the threshold the last generation's
played-out games give for 5% false resignations. The candidate trains from the current best on the newest
``window`` shards of every generation's self-play (and ``--data-dir``, e.g.
the supervised GNU Go shards), plus with ``--replay-data`` a random pick of
those shards (e.g. the teacher's games) making ``--replay-fraction`` of every
training window, so that self-play does not wash out the teacher. Rating plays each promoted network against
the anchors: the first network (Elo 0), and GNU Go at levels given by
``--anchor-gnugo`` (their Elo is fixed on the same scale by a first rating of
gen 0 against them).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.atomic_files import write_text_atomic
from engine.rules import default_komi

log = logging.getLogger(__name__)
MIN_CALIBRATION_GAMES = 20   # played-out games before a calibrated resignation threshold is trusted
STAGES = ("selfplay", "train", "export", "gate", "rate", "done")


@dataclass
class LoopSettings:
    """Everything one loop run needs (stored in the state file on first start)."""

    run_dir: str = "runs/loop"
    start: str = ""                  # starting checkpoint (.pt); "" = random init of ``config``
    config: str = "b4c32"
    board_size: int = 9
    komi: float | None = None               # None: engine.rules.default_komi(board_size)
    rules: str = "chinese"
    generations: int = 1
    games: int = 100
    parallel: int = 16
    processes: int = 0               # self-play worker processes; 0: one per CPU core
    tree: str = "python"             # self-play's search tree (engine.tree_choice); the CLI defaults to auto
    runtime: str = "onnxruntime"     # self-play's CPU inference (engine.runtimes)
    precision: str = "fp32"
    visits: int = 32
    fast_visits: int = 8
    full_prob: float = 0.25
    td_lambda: float = 1.0
    resign_threshold: float = 0.05   # self-play win rate to resign at (0: never; nets.selfplay)
    resign_playout_fraction: float = 0.1
    resign_calibrate: bool = True    # from generation 2: the last generation's resign_threshold_5pct
    train_steps: int = 200
    batch_size: int = 128
    optimizer: str = "adamw"
    lr: float = 5e-4
    window: int = 50
    data_dirs: list = field(default_factory=list)
    replay_dirs: list = field(default_factory=list)   # e.g. teacher shards, mixed into every training window
    replay_fraction: float = 0.25
    teacher_mix: float = 0.0         # value targets from shards with teacher evaluations (zerogo train --teacher-mix)
    gate_backend: str = "gtp"
    gate_games: int = 40
    gate_visits: int = 32
    gate_parallel: int = 2
    elo1: float = 35.0
    min_score: float = 0.55
    anchor_games: int = 0            # 0: no rating step
    opening_moves: int = 4           # plies of self-play openings in gate and rating games
    anchor_gnugo: list = field(default_factory=lambda: [1, 10])
    seed: int = 0

    def __post_init__(self) -> None:
        if self.komi is None:
            self.komi = default_komi(self.board_size)
        if not 0.0 < self.replay_fraction < 1.0:   # checked here, not only when training starts after self-play
            raise ValueError(f"replay fraction must be in (0, 1), not {self.replay_fraction}")


class LoopState:
    """The resumable state file."""

    def __init__(self, path: Path, settings: LoopSettings):
        self.path = path
        if path.exists():
            self.data = json.loads(path.read_text())
        else:
            self.data = {"generation": 1, "stage": "selfplay", "best": "", "history": [],
                         "settings": asdict(settings)}

    @property
    def generation(self) -> int:
        """The generation being worked on."""
        return self.data["generation"]

    @property
    def stage(self) -> str:
        """The next stage to run."""
        return self.data["stage"]

    def advance(self, stage: str, **record) -> None:
        """Move to ``stage`` (saving what the last one found in this generation's record)."""
        hist = self.data["history"]
        if not hist or hist[-1]["generation"] != self.generation:
            hist.append({"generation": self.generation})
        hist[-1].update(record)
        self.data["stage"] = stage
        self.save()

    def next_generation(self) -> None:
        """Start the next generation at self-play."""
        self.data["generation"] += 1
        self.data["stage"] = "selfplay"
        self.save()

    def save(self) -> None:
        """Write atomically."""
        write_text_atomic(self.path, json.dumps(self.data, indent=1))


class Loop:
    """Runs generations (see the module docstring)."""

    def __init__(self, s: LoopSettings):
        self.s = s
        self.run = Path(s.run_dir)
        self.run.mkdir(parents=True, exist_ok=True)
        self.state = LoopState(self.run / "loop_state.json", s)
        if (self.run / "gen000.pt").exists():      # resuming: the net shape is fixed
            import torch
            s.config = torch.load(self.run / "gen000.pt", map_location="cpu",
                                  weights_only=False)["config"]

    def gen_dir(self, g: int) -> Path:
        """Directory of generation ``g``."""
        return self.run / f"gen{g:03d}"

    def bootstrap(self) -> None:
        """Make gen000 (the start network) and best.* if they are not there yet."""
        if (self.run / "best.onnx").exists():
            return
        from nets.loop_steps import export_checkpoint, initial_checkpoint
        ckpt = initial_checkpoint(self.s, self.run / "gen000.pt")
        export_checkpoint(ckpt, self.run / "gen000.onnx", self.s, "loop start")
        for ext in ("pt", "onnx"):
            shutil.copy(self.run / f"gen000.{ext}", self.run / f"best.{ext}")
        self.state.data["best"] = str(self.run / "best.onnx")
        self.state.save()

    def run_generations(self) -> list[dict]:
        """Run until ``generations`` generations are done; returns the history."""
        self.bootstrap()
        while self.state.generation <= self.s.generations:
            self.step()
        return self.state.data["history"]

    def step(self) -> None:
        """Run the next stage of the current generation."""
        from nets import loop_steps as steps
        g, stage, gd = self.state.generation, self.state.stage, self.gen_dir(self.state.generation)
        log.info("generation %d: %s", g, stage)
        if stage == "selfplay":
            threshold = self.resign_threshold(g)
            log.info("generation %d: self-play resigns below a %.4f win rate", g, threshold)
            summary = steps.selfplay_stage(self.s, self.run, gd, threshold)
            log.info("generation %d: %d games, %d samples, %d resigned (%d false of %d played out)", g,
                     summary.get("games", 0), summary.get("samples", 0), summary.get("resigned", 0),
                     summary.get("false_resignations", 0), summary.get("played_out_checks", 0))
            self.state.advance("train", selfplay=summary)
        elif stage == "train":
            train = steps.train_stage(self.s, self.run, gd, g)
            window = train.get("window", {})
            log.info("generation %d: trained, loss %s (window %s positions, %s from replay)", g,
                     train.get("loss"), window.get("positions"), window.get("replay_positions"))
            self.state.advance("export", train=train)
        elif stage == "export":
            self.state.advance("gate", export=steps.export_stage(self.s, gd, g))
        elif stage == "gate":
            outcome = steps.gate_stage(self.s, self.run, gd)
            promoted = outcome.promote(self.s.min_score)
            if promoted:
                for ext in ("pt", "onnx"):
                    shutil.copy(gd / f"candidate.{ext}", self.run / f"best.{ext}")
            log.info("generation %d: gate %d-%d-%d (SPRT %s), %s", g, outcome.wins, outcome.losses,
                     outcome.draws, outcome.decision or "undecided", "promoted" if promoted else "not promoted")
            self.state.advance("rate", gate=outcome.as_dict(), promoted=promoted)
        elif stage == "rate":
            rating = steps.rate_stage(self.s, self.run, g) if self._promoted(g) else None
            self.state.advance("done", rating=rating)
        if self.state.stage == "done":
            self.state.next_generation()

    def resign_threshold(self, g: int) -> float:
        """Generation ``g``'s self-play resignation threshold: the fixed one, or with ``resign_calibrate``
        the one that would have resigned 5% of the last generation's played-out games falsely (Minigo's
        rule; the fixed one until a generation has played out ``MIN_CALIBRATION_GAMES``)."""
        if self.s.resign_calibrate:
            for h in reversed(self.state.data["history"]):
                sp = h.get("selfplay", {})
                if h["generation"] < g and sp.get("resign_calibration_games", 0) >= MIN_CALIBRATION_GAMES:
                    return sp["resign_threshold_5pct"]
        return self.s.resign_threshold

    def _promoted(self, g: int) -> bool:
        """Whether generation ``g``'s candidate was promoted."""
        return any(h.get("promoted") for h in self.state.data["history"] if h["generation"] == g)
