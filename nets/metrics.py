"""Training metrics: a CSV file, TensorBoard scalars (when installed) and matplotlib plots.

Written beside the checkpoint in the run directory:

* ``metrics.csv``: one row per logged step (``step`` first, then sorted keys);
* ``tb/``: TensorBoard event files (``tensorboard --logdir RUN/tb``);
* ``losses.png``: every ``loss*`` column against the step;
* ``elo.png``: rating against step or generation when a ratings file is
  given: a ``step,elo`` CSV, or the generation loop's JSON (``nets.ratings``).

On resume, rows logged after the checkpoint's step are dropped first, so the
CSV never holds a step twice.
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

from engine.atomic_files import replacing

log = logging.getLogger(__name__)


class MetricsLogger:
    """Appends metric rows to CSV and TensorBoard; draws plots on demand."""

    def __init__(self, run_dir: Path | str, resume_step: int | None = None,
                 tensorboard: bool = True):
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.csv_path = self.dir / "metrics.csv"
        self.rows = _read_csv(self.csv_path)
        if resume_step is not None:
            kept = [r for r in self.rows if int(float(r["step"])) <= resume_step]
            if len(kept) != len(self.rows):
                self.rows = kept
                self._rewrite()
        self.writer = _summary_writer(self.dir / "tb") if tensorboard else None

    def log(self, step: int, values: dict) -> None:
        """Record one row of scalar values at ``step``."""
        row = {"step": step, **{k: float(v) for k, v in values.items()}}
        self.rows.append({k: str(v) for k, v in row.items()})
        new_file = not self.csv_path.exists()
        fields = self._fields()
        if not new_file and fields != _header(self.csv_path):
            self._rewrite()
        else:
            with open(self.csv_path, "a", newline="") as f:
                w = csv.DictWriter(f, fieldnames=fields, restval="")
                if new_file:
                    w.writeheader()
                w.writerow(row)
        if self.writer is not None:
            for k, v in values.items():
                self.writer.add_scalar(k, float(v), step)

    def _fields(self) -> list[str]:
        keys = sorted({k for r in self.rows for k in r if k != "step"})
        return ["step"] + keys

    def _rewrite(self) -> None:
        with replacing(self.csv_path) as tmp, open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=self._fields(), restval="")
            w.writeheader()
            w.writerows(self.rows)

    def plot(self, ratings: Path | str | None = None) -> list[Path]:
        """Write losses.png (and elo.png from a ratings CSV); returns the files written."""
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            log.warning("matplotlib is not installed: no plots")
            return []
        written = [self._plot_losses(plt)]
        if ratings is not None and Path(ratings).exists():
            written.append(plot_elo(plt, Path(ratings), self.dir / "elo.png"))
        return [p for p in written if p is not None]

    def _plot_losses(self, plt) -> Path | None:
        cols = [k for k in self._fields() if k.startswith("loss")]
        if not self.rows or not cols:
            return None
        fig, ax = plt.subplots(figsize=(8, 5))
        for k in cols:
            pts = [(float(r["step"]), float(r[k])) for r in self.rows if r.get(k)]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=k)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_yscale("log")
        ax.legend()
        ax.grid(alpha=0.3)
        path = self.dir / "losses.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        return path

    def close(self) -> None:
        """Flush TensorBoard."""
        if self.writer is not None:
            self.writer.close()


def read_ratings(path: Path) -> tuple[str, list[tuple[float, float]]]:
    """(x label, [(x, elo)]) from a ``step,elo`` CSV or the loop's JSON ratings file."""
    if path.suffix.lower() == ".json":
        entries = json.loads(path.read_text())
        pts = [(float(e["generation"]), float(e["elo"])) for e in entries
               if e.get("elo") is not None and "generation" in e]
        return "generation", sorted(pts)
    rows = _read_csv(path)
    if not rows or "elo" not in rows[0] or "step" not in rows[0]:
        return "step", []
    return "step", [(float(r["step"]), float(r["elo"])) for r in rows if r["elo"] != ""]


def plot_elo(plt, ratings: Path, out: Path) -> Path | None:
    """Plot ratings (``step,elo`` CSV or the generation loop's JSON file) to ``out``."""
    xlabel, pts = read_ratings(ratings)
    if not pts:
        log.warning("%s holds no ratings: no Elo plot", ratings)
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Elo")
    ax.grid(alpha=0.3)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


def _read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _header(path: Path) -> list[str]:
    with open(path, newline="") as f:
        return next(csv.reader(f), [])


def _summary_writer(path: Path):
    """A TensorBoard SummaryWriter, or None when tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        log.info("tensorboard is not installed: metrics go to CSV only")
        return None
    return SummaryWriter(str(path))
