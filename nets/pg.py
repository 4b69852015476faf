"""``zerogo train-pg``: policy-gradient (PPO) fine-tuning by search-free self-play vs a pool.

The RL policy stage of the original AlphaGo, as an optional step between
supervised learning and search-based self-play. Each iteration plays
``games`` games at once without search: the learner (the net being trained)
against one opponent drawn from a pool of its earlier versions (the start
net included), the learner taking black in half the games. Moves are sampled
from the policy softmax over legal moves (all games' positions go through the
net in one batch per ply). Games end on two passes or ``max_moves`` and are
scored by area (Tromp-Taylor, no dead-stone removal).

Every learner move gets the game's outcome ``z = +-1``; the advantage is
``z`` minus the batch mean, normalised. PPO's clipped objective
``-min(r A, clip(r, 1 - eps, 1 + eps) A) - c_ent H`` is minimised for
``ppo_epochs`` passes over the iteration's moves (``r`` = new / old move
probability). By default only the policy head learns (``--train-trunk`` lets
the shared trunk move too, which also moves the value head). A snapshot
joins the pool every ``pool_every`` iterations.

The report (``OUT/pg_report.json``) gives the win rate against the start net
without search before and after, and, with ``--eval-visits``, with MCTS on
both sides (does the sharper policy make a better search prior?). State is
saved after every iteration (``OUT/pg_state.pt``) so a run resumes.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import click
import numpy as np
import torch
import torch.nn.functional as F

from engine.evaluation import Position
from engine.features import encode_batch
from engine.game import Game
from engine.rules import default_komi
from nets.checkpoints import atomic_save
from nets.model import ZeroGoNet, load_checkpoint

log = logging.getLogger(__name__)
POLICY_PARAMS = ("pol_",)


@dataclass
class PgSettings:
    """A PPO run."""

    start: str = ""
    out_dir: str = "runs/pg"
    board_size: int = 9
    komi: float | None = None               # None: engine.rules.default_komi(board_size)
    rules: str = "chinese"
    iterations: int = 20
    games: int = 64
    max_moves: int | None = None      # None: 2 * area
    ppo_epochs: int = 3
    minibatch: int = 256
    clip: float = 0.2
    lr: float = 1e-4
    entropy: float = 0.01
    pool_every: int = 5
    train_trunk: bool = False
    eval_games: int = 100
    eval_visits: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.komi is None:
            self.komi = default_komi(self.board_size)


@dataclass
class Rollout:
    """The learner's moves of one iteration and the games' outcomes."""

    planes: np.ndarray    # [M, C, H, W]
    globals_: np.ndarray  # [M, G]
    legal: np.ndarray     # [M, A + 1] bool
    actions: np.ndarray   # [M]
    logp: np.ndarray      # [M] log-probability under the policy that played
    reward: np.ndarray    # [M] +1 / -1 / 0 for the learner
    wins: int
    losses: int


@torch.no_grad()
def _policy(model: ZeroGoNet, games: list[Game]):
    """Encoded positions, legal masks and legal-move log-probabilities for ``games``."""
    planes, glob = encode_batch([Position.from_game(g) for g in games])
    legal = np.stack([g.legal_mask() for g in games])
    logits = model(torch.from_numpy(planes), torch.from_numpy(glob))["policy_logits"]
    logits = logits.masked_fill(~torch.from_numpy(legal), -1e9)
    return planes, glob, legal, F.log_softmax(logits, dim=1)


def play_games(learner: ZeroGoNet, opponent: ZeroGoNet, s: PgSettings, rng: np.random.Generator,
               record: bool = True) -> Rollout:
    """Play ``s.games`` search-free games, learner black in even games; batch each ply."""
    games = [Game(s.board_size, rules=s.rules, komi=s.komi) for _ in range(s.games)]
    learner_color = [1 if i % 2 == 0 else -1 for i in range(s.games)]
    max_moves = s.max_moves or 2 * games[0].board.area
    rows: list[tuple] = []
    owner: list[int] = []
    for _ply in range(max_moves):
        live = [i for i, g in enumerate(games) if not g.is_over()]
        if not live:
            break
        turns = {True: [i for i in live if games[i].to_play == learner_color[i]]}
        turns[False] = [i for i in live if games[i].to_play != learner_color[i]]
        for net, mine in ((learner, True), (opponent, False)):
            idx = turns[mine]
            if not idx:
                continue
            planes, glob, legal, logp = _policy(net, [games[i] for i in idx])
            moves = torch.multinomial(logp.exp(), 1, generator=_torch_gen(rng)).squeeze(1)
            for k, i in enumerate(idx):
                m = int(moves[k])
                if mine and record:
                    rows.append((planes[k], glob[k], legal[k], m, float(logp[k, m])))
                    owner.append(i)
                games[i].play(m)
    z = np.array([_outcome(g, c) for g, c in zip(games, learner_color)], np.float32)
    return _rollout(rows, owner, z)


def _torch_gen(rng: np.random.Generator) -> torch.Generator:
    """A torch generator seeded from ``rng`` (reproducible sampling)."""
    return torch.Generator().manual_seed(int(rng.integers(2**62)))


def _outcome(game: Game, color: int) -> float:
    """+1 / -1 / 0 for ``color`` by area score."""
    margin = game.score()
    return 0.0 if margin == 0 else (1.0 if (margin > 0) == (color == 1) else -1.0)


def _rollout(rows: list[tuple], owner: list[int], z: np.ndarray) -> Rollout:
    """Stack the learner's moves with their games' outcomes."""
    wins, losses = int((z > 0).sum()), int((z < 0).sum())
    if not rows:
        empty = np.zeros(0)
        return Rollout(empty, empty, empty, empty.astype(np.int64), empty, empty, wins, losses)
    planes, glob, legal, actions, logp = (np.stack([r[k] for r in rows]) for k in range(5))
    return Rollout(planes, glob, legal, actions.astype(np.int64), logp.astype(np.float32),
                   z[np.array(owner)], wins, losses)


def ppo_update(model: ZeroGoNet, optimizer, ro: Rollout, s: PgSettings,
               rng: np.random.Generator) -> dict:
    """PPO clipped-objective passes over one rollout; returns mean loss terms."""
    adv = ro.reward - ro.reward.mean()
    adv = adv / (adv.std() + 1e-8) if adv.std() > 0 else adv
    t = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in
         dict(planes=ro.planes.astype(np.float32), glob=ro.globals_.astype(np.float32),
              legal=ro.legal, act=ro.actions, old=ro.logp, adv=adv.astype(np.float32)).items()}
    model.train()
    _freeze_bn(model)
    stats = []
    for _ in range(s.ppo_epochs):
        order = rng.permutation(len(ro.actions))
        for start in range(0, len(order), s.minibatch):
            mb = torch.from_numpy(order[start:start + s.minibatch])
            logits = model(t["planes"][mb], t["glob"][mb])["policy_logits"]
            logp_all = F.log_softmax(logits.masked_fill(~t["legal"][mb], -1e9), dim=1)
            logp = logp_all.gather(1, t["act"][mb][:, None]).squeeze(1)
            ratio = torch.exp(logp - t["old"][mb])
            a = t["adv"][mb]
            surrogate = torch.min(ratio * a, ratio.clamp(1 - s.clip, 1 + s.clip) * a)
            entropy = -(logp_all.exp() * logp_all.masked_fill(~t["legal"][mb], 0.0)).sum(1)
            loss = -surrogate.mean() - s.entropy * entropy.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            stats.append((loss.item(), entropy.mean().item(), (ratio - 1).abs().mean().item()))
    model.eval()
    loss, ent, drift = np.mean(stats, axis=0) if stats else (0.0, 0.0, 0.0)
    return {"loss": float(loss), "entropy": float(ent), "ratio_drift": float(drift)}


def _freeze_bn(model: ZeroGoNet) -> None:
    """Keep batch-norm statistics fixed (small RL batches would wreck them)."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.eval()


def trainable(model: ZeroGoNet, train_trunk: bool) -> list:
    """Parameters PPO may change: the policy head, or everything with ``train_trunk``."""
    params = []
    for name, p in model.named_parameters():
        p.requires_grad = train_trunk or name.startswith(POLICY_PARAMS)
        if p.requires_grad:
            params.append(p)
    return params


# ------------------------------------------------------------------ driver
def _save_net(model: ZeroGoNet, ck: dict, path: Path, note: str) -> None:
    """Write ``model`` in the shared checkpoint format."""
    meta = {**ck.get("meta", {}), "provenance": note}
    atomic_save({"config": ck["config"], "model": model.state_dict(), "step": ck.get("step", 0),
                 "meta": meta}, path)


def win_rate(learner: ZeroGoNet, start: ZeroGoNet, s: PgSettings, seed: int) -> float:
    """Search-free win rate of ``learner`` against ``start`` over ``s.eval_games`` games."""
    es = PgSettings(**{**asdict(s), "games": s.eval_games})
    ro = play_games(learner, start, es, np.random.default_rng(seed), record=False)
    return (ro.wins + 0.5 * (s.eval_games - ro.wins - ro.losses)) / s.eval_games


def search_win_rate(learner: ZeroGoNet, start: ZeroGoNet, s: PgSettings, seed: int) -> dict:
    """Win rate with MCTS (``eval_visits``) on both sides, as a prior-quality check."""
    from nets.arena import ArenaConfig, play_match
    from nets.selfplay_search import SearchSettings
    from nets.torch_evaluator import TorchEvaluator
    search = SearchSettings(visits=s.eval_visits)
    cfg = ArenaConfig(board_size=s.board_size, rules=s.rules, komi=s.komi, games=s.eval_games,
                      parallel=16, seed=seed)
    r = play_match((TorchEvaluator(learner, device="cpu"), search),
                   (TorchEvaluator(start, device="cpu"), search), cfg)
    return {"wins": r.wins, "losses": r.losses, "draws": r.draws, "score": r.score}


class PgRun:
    """A resumable PPO run (see the module docstring)."""

    def __init__(self, s: PgSettings):
        if not s.start:
            raise click.UsageError("train-pg needs --start (a checkpoint to fine-tune)")
        self.s = s
        self.out = Path(s.out_dir)
        (self.out / "pool").mkdir(parents=True, exist_ok=True)
        self.start, self.ck = load_checkpoint(s.start)
        self.model = copy.deepcopy(self.start)
        self.opt = torch.optim.Adam(trainable(self.model, s.train_trunk), lr=s.lr)
        self.iteration, self.pool, self.history = 0, [s.start], []
        self.report: dict = {}
        state = self.out / "pg_state.pt"
        if state.exists():
            st = torch.load(state, map_location="cpu", weights_only=False)
            self.model.load_state_dict(st["model"])
            self.opt.load_state_dict(st["optimizer"])
            self.iteration, self.pool = st["iteration"], st["pool"]
            self.history, self.report = st["history"], st["report"]

    def save(self) -> None:
        """Write the resumable state atomically."""
        st = {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
              "iteration": self.iteration, "pool": self.pool, "history": self.history,
              "report": self.report, "settings": asdict(self.s)}
        atomic_save(st, self.out / "pg_state.pt")

    def one_iteration(self, rng: np.random.Generator) -> dict:
        """Play against a pool member, update with PPO, maybe add a snapshot to the pool."""
        pick = self.pool[int(rng.integers(len(self.pool)))]
        opponent = load_checkpoint(pick)[0]
        t0 = time.perf_counter()
        ro = play_games(self.model, opponent, self.s, rng)
        played = time.perf_counter() - t0
        stats = ppo_update(self.model, self.opt, ro, self.s, rng)
        self.iteration += 1
        if self.iteration % self.s.pool_every == 0:
            path = self.out / "pool" / f"pg_iter{self.iteration:04d}.pt"
            _save_net(self.model, self.ck, path, f"train-pg iteration {self.iteration}")
            self.pool.append(str(path))
        return {"iteration": self.iteration, "opponent": Path(pick).name, "wins": ro.wins,
                "losses": ro.losses, "moves": int(len(ro.actions)), "play_seconds": round(played, 2),
                **{k: round(v, 4) for k, v in stats.items()}}

    def run(self) -> dict:
        """Evaluate, train for the remaining iterations, evaluate again; returns the report."""
        from tqdm import tqdm
        torch.manual_seed(self.s.seed)
        if "before" not in self.report:
            self.report["before"] = self._evaluate(self.model, 1)
            self.save()
        rng = np.random.default_rng([self.s.seed, self.iteration])
        with tqdm(total=self.s.iterations, initial=self.iteration, desc="train-pg", unit="it") as bar:
            while self.iteration < self.s.iterations:
                row = self.one_iteration(rng)
                self.history.append(row)
                self.save()
                bar.update(1)
                bar.set_postfix(win=f"{row['wins']}/{self.s.games}", ent=f"{row['entropy']:.2f}")
        _save_net(self.model, self.ck, self.out / "pg_final.pt",
                  f"train-pg {self.iteration} iterations from {self.s.start}")
        self.report["after"] = self._evaluate(self.model, 2)
        self.report["iterations"] = self.iteration
        self.save()
        (self.out / "pg_report.json").write_text(json.dumps(
            {"settings": asdict(self.s), **self.report, "history": self.history}, indent=1))
        return self.report

    def _evaluate(self, model: ZeroGoNet, seed: int) -> dict:
        """Win rates against the start net (search-free, and with search if asked)."""
        out = {"vs_start_no_search": win_rate(model, self.start, self.s, seed)}
        if self.s.eval_visits > 0:
            out["vs_start_search"] = search_win_rate(model, self.start, self.s, seed)
        return out
