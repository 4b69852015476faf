"""``zerogo bench accuracy``: each CPU runtime/precision against fp32 on positions from real games.

For a network and a source of games (the shipped 9x9 games by default; any
folder, ``.sgf`` file or ``.tar.gz`` of SGF records) it draws ``--positions``
positions of one board size, runs them through ONNX Runtime fp32 (the
reference) and through each setting of ``--settings``, and prints per
setting: policy top-1 agreement (legal moves; ``clear``: the same on the
positions where fp32's best move leads its second by 0.05 in probability,
the figure ``auto`` checks), mean KL(fp32 || setting) in
nats, mean and largest absolute value error (value in [-1, 1]) and score
error (points), and the bare network's evaluations/s at ``--batch`` measured
in the same run (median of repeated timings, interleaved, so a busy machine
disturbs every column alike).

The shipped games' first 400 records calibrate int8 nets and the ``auto``
check; this command skips them (``--skip-games``), so its positions are held
out. Needs no torch.

Example::

    zerogo bench accuracy --network weights/zerogo-9x9.onnx --positions 1000
    zerogo bench accuracy --network b6c64.onnx --games ../shared/scoring-corpus --size 19
"""

from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np

from engine import calibration, runtime_accuracy, runtimes
from engine import features as F
from engine.evaluator import (
    OUTPUT_NAMES,
    EvaluatorConfig,
    ModelLoadError,
    OnnxEvaluator,
    network_onnx_path,
)

DEFAULT_SETTINGS = "onnxruntime:int8,openvino:fp32,openvino:bf16,openvino:int8"


def parse_settings(text: str) -> list[tuple[str, str]]:
    """``runtime:precision`` pairs, comma-separated."""
    out = []
    for item in text.split(","):
        if item.strip():
            runtime, _, precision = item.strip().partition(":")
            out.append((runtime, precision or "fp32"))
    return out


def encoded_batches(positions, batch: int, encode=F.encode_batch) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(planes, globals, legal mask) per batch of ``batch`` positions (``encode``: the net's encoder)."""
    out = []
    for i in range(0, len(positions), batch):
        chunk = positions[i:i + batch]
        planes, glob = encode(chunk)
        out.append((planes, glob, np.stack([p.board.legal_mask() for p in chunk])))
    return out


def rate(session, batches, seconds: float) -> float:
    """Evaluations per second of ``session`` on the first batch (median of timed runs)."""
    planes, glob, _ = batches[0]
    feeds = {"planes": planes, "globals": glob}
    session.run(list(OUTPUT_NAMES), feeds)
    times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        session.run(list(OUTPUT_NAMES), feeds)
        times.append(time.perf_counter() - t)
    return len(planes) / float(np.median(times))


@click.command("accuracy")
@click.option("--network", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("weights/zerogo-9x9.onnx"), show_default=True)
@click.option("--games", "games", type=click.Path(exists=True, path_type=Path), multiple=True,
              default=[calibration.SHIPPED_GAMES], show_default=True,
              help="SGF file, folder or .tar.gz of games to draw positions from (repeatable).")
@click.option("--per-game", default=4, show_default=True, help="Positions drawn from each game.")
@click.option("--size", default=9, show_default=True, help="Board size of the games to use.")
@click.option("--positions", default=1000, show_default=True)
@click.option("--skip-games", default=None, type=int,
              help="Games to skip in name order (default: 400 for the shipped games, the ones "
                   "that calibrate int8; else 0).")
@click.option("--settings", default=DEFAULT_SETTINGS, show_default=True,
              help="runtime:precision pairs to compare with onnxruntime:fp32.")
@click.option("--threads", default=2, show_default=True)
@click.option("--batch", default=16, show_default=True)
@click.option("--seconds", default=2.0, show_default=True, help="Timing per speed measurement.")
def bench_accuracy_command(network, games, per_game, size, positions, skip_games, settings, threads,
                           batch, seconds):
    """Policy top-1, KL, value and score error of each runtime/precision against fp32."""
    chosen = []
    for source in games:
        skip = skip_games if skip_games is not None else \
            (400 if Path(source) == calibration.SHIPPED_GAMES else 0)
        chosen += calibration.game_positions(source, positions - len(chosen), seed=1, size=size,
                                             max_games=100_000, skip_games=skip, per_game=per_game)
        if len(chosen) >= positions:
            break
    names = list(OUTPUT_NAMES)
    try:
        network = network_onnx_path(network)      # a KataGo .bin.gz runs as its cached conversion
    except ModelLoadError as exc:
        raise click.ClickException(str(exc)) from None
    ref_ev = OnnxEvaluator(network, EvaluatorConfig(threads=threads, cache_size=0))
    batches = encoded_batches(chosen, batch, ref_ev.encode_batch)
    refs = [ref_ev.session.run(names, {"planes": p, "globals": g}) for p, g, _ in batches]
    sessions = {("onnxruntime", "fp32"): ref_ev.session}
    for setting in parse_settings(settings):
        try:
            ev = OnnxEvaluator(network, EvaluatorConfig(threads=threads, cache_size=0, runtime=setting[0],
                                                        precision=setting[1]), board_size=size)
        except ModelLoadError as exc:
            click.echo(f"{setting[0]} {setting[1]}: not available ({exc})", err=True)
            continue
        sessions[setting] = ev.session
    shipped9 = skip_games is None and calibration.SHIPPED_GAMES in [Path(g) for g in games]
    click.echo(f"{network.name}, {len(chosen)} positions of {size}x{size} from "
               f"{', '.join(str(g) for g in games)}"
               f"{' (shipped 9x9 games: the first 400, which calibrate int8, skipped)' if shipped9 else ''}, "
               f"{threads} threads, batch {batch}; CPU flags: "
               f"{runtimes.cpu_features() or 'unknown'}")
    speeds: dict = {k: [] for k in sessions}
    for _ in range(3):   # interleaved, so load changes hit every setting alike
        for key, session in sessions.items():
            speeds[key].append(rate(session, batches, seconds / 3))
    base = float(np.median(speeds[("onnxruntime", "fp32")]))
    click.echo(f"{'setting':<18} {'top-1':>6} {'clear':>6} {'KL':>8} {'value MAE':>9} {'value max':>9} "
               f"{'score MAE':>9} {'score max':>9} {'evals/s':>8} {'x fp32':>6}")
    for key, session in sessions.items():
        parts = [runtime_accuracy.compare(ref, session.run(names, {"planes": p, "globals": g}), legal)
                 for ref, (p, g, legal) in zip(refs, batches)]
        m = runtime_accuracy.summarize(parts)
        speed = float(np.median(speeds[key]))
        click.echo(f"{' '.join(key):<18} {m['top1']:>6.3f} {m['top1_clear']:>6.3f} {m['kl']:>8.5f} "
                   f"{m['value_mae']:>9.4f} "
                   f"{m['value_max']:>9.4f} {m['score_mae']:>9.3f} {m['score_max']:>9.3f} "
                   f"{speed:>8.0f} {speed / base:>6.2f}")
