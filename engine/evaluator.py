"""Network evaluators: ONNX Runtime for play (cached by ``engine.eval_cache``), and the default network.

``NetEvaluator`` holds what every network-backed evaluator shares: it groups a
batch by board shape, encodes with ``engine.features``, optionally applies a
random board symmetry per position (and undoes it on policy and ownership),
runs the net in chunks of at most ``batch_size``, and turns the policy logits
into probabilities over the board's ``area + 1`` moves with the moves that
``Board.legal_mask`` forbids (occupied, simple ko, suicide) set to 0.
Superko is the caller's job (it needs the game's history).

``OnnxEvaluator`` runs an ONNX file written by ``zerogo export`` (tensor names
and metadata: see ``nets/export.py``) or by ``zerogo import-katago`` (a KataGo
network: metadata ``feature_set=katago-v7``, inputs computed by
``engine.katago.features``, see ``engine/katago/onnx_build.py``); the metadata
``feature_set`` (absent: ``zerogo-v1``) chooses the encoder. It refuses a
missing, corrupt or mismatched file with a ``ModelLoadError`` that says what is
wrong. ``load_evaluator`` also takes a KataGo model file (``.bin.gz``) and
converts it once (``engine.katago.cache.converted_path``).
``nets.torch_evaluator.TorchEvaluator`` is the same on top of a torch model.

Default networks live in the repository's ``weights/`` folder and are named
``zerogo-{width}x{height}.onnx``. ``default_network_path`` looks for, in order:
the exact size (``zerogo-13x13.onnx``); ``zerogo-9x9.onnx`` for boards no
larger than 9x9; ``zerogo-19x19.onnx`` (the general net, trained on several
sizes, serves every size); then ``zerogo.onnx``; then any
``zerogo*.onnx`` there, with a warning (better than random play).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import features as F
from engine.eval_cache import CachedEvaluator
from engine.evaluation import Evaluation, EvaluationJob, Evaluator, Position, UniformEvaluator  # noqa: F401
from engine.legal import legal_masks
from engine.onnx_model import (INPUT_NAMES, KATAGO_FEATURES, OUTPUT_NAMES, PROVIDERS, ZEROGO_FEATURES, ModelLoadError,
                               ModelShapeError, check_model, check_outputs, open_session, physical_cores)

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


@dataclass
class EvaluatorConfig:
    """How to run the network.

    provider: ``auto`` (TensorRT, then CUDA, then CPU, by availability) or one
    of ``tensorrt``, ``cuda``, ``cpu``; threads: intra-op threads (0 = the
    machine's physical cores); batch_size: most positions per network run;
    cache_size: transposition-cache entries (0 = no cache); random_symmetry:
    evaluate each position under a random board symmetry; spin: let ONNX
    Runtime's idle threads busy-wait (a little faster on a dedicated machine,
    much slower when other processes, e.g. the opponent in a match, share the
    cores: measured 2 threads on a busy 2-core box, b6c64 19x19 batch 32,
    ~105 evals/s spinning vs ~125 not). runtime (onnxruntime, openvino, auto)
    and precision (fp32, bf16, int8, auto): CPU inference settings, see
    ``engine.runtimes``; convert_dir: where converted nets are cached (None:
    ~/.cache/zerogo/onnx).
    """

    provider: str = "auto"
    threads: int = 0
    batch_size: int = 32
    cache_size: int = 200_000
    cache_mb: int = 256
    random_symmetry: bool = False
    seed: int | None = None
    spin: bool = False
    runtime: str = "onnxruntime"
    precision: str = "fp32"
    convert_dir: str | None = None


def default_network_path(width: int, height: int, weights_dir: Path | None = None) -> Path | None:
    """The network to load for a ``width x height`` board (see the module docstring), or None."""
    folder = WEIGHTS_DIR if weights_dir is None else Path(weights_dir)
    names = [f"zerogo-{width}x{height}.onnx"]
    if max(width, height) <= 9:
        names.append("zerogo-9x9.onnx")
    names += ["zerogo-19x19.onnx", "zerogo.onnx"]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    # No net for this size: any shipped one beats random play (the nets are
    # fully convolutional), but it was not trained for this size.
    others = sorted(folder.glob("zerogo*.onnx")) if folder.is_dir() else []
    if others:
        log.warning("no network trained for %dx%d in %s; using %s", width, height,
                    folder, others[-1].name)
        return others[-1]
    return None


def softmax_legal(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``logits [B, M]`` over ``legal [B, M]`` (bool); illegal -> 0."""
    x = np.where(legal, logits, np.float32(-np.inf)).astype(np.float32, copy=False)
    x -= x.max(axis=1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=1, keepdims=True)
    return x


class NetEvaluator(Evaluator):
    """Batching, symmetry and legal-move policy shared by the network evaluators."""

    def __init__(self, batch_size: int = 32, random_symmetry: bool = False,
                 seed: int | None = None):
        self.batch_size = max(1, int(batch_size))
        self.random_symmetry = random_symmetry
        self.rng = np.random.default_rng(seed)
        self.evaluations = 0
        self.encode_batch = F.encode_batch  # planes and globals for a batch of positions
        self.sizes_ok: set[tuple[int, int]] = set()

    def run(self, planes: np.ndarray, glob: np.ndarray):
        """Raw net: ``planes [B, C, H, W]``, ``glob [B, G]`` -> (logits, value, score, ownership)."""
        raise NotImplementedError

    def check_board_size(self, width: int, height: int) -> None:
        """Run the net once on an empty ``width x height`` board; ModelShapeError if it does not fit."""
        if (width, height) in self.sizes_ok:
            return
        from engine.board import Board
        from engine.rules import Rules
        try:
            self.evaluate([Position([Board(width, height)], Rules())])
        except ModelLoadError:
            raise
        except Exception as exc:  # ORT refuses static shapes with assorted error types
            raise ModelShapeError(f"the network cannot evaluate a {width}x{height} board: "
                                  f"{str(exc).strip().splitlines()[0][:300]}") from exc
        self.sizes_ok.add((width, height))

    def _symmetry(self, pos: Position) -> int:
        if not self.random_symmetry:
            return 0
        choices = F.shape_preserving(pos.board.height, pos.board.width)
        return int(choices[self.rng.integers(len(choices))])

    def evaluate(self, positions: list[Position]) -> list[Evaluation]:
        """Evaluate ``positions`` in batches of one board shape; results in input order."""
        results: list[Evaluation | None] = [None] * len(positions)
        groups: dict[tuple[int, int], list[int]] = {}
        for i, pos in enumerate(positions):
            groups.setdefault((pos.board.height, pos.board.width), []).append(i)
        for idx in groups.values():
            for start in range(0, len(idx), self.batch_size):
                chunk = idx[start:start + self.batch_size]
                for i, ev in zip(chunk, self._evaluate_chunk([positions[i] for i in chunk])):
                    results[i] = ev
        self.evaluations += len(positions)
        return results  # type: ignore[return-value]

    def begin(self, positions: list[Position]) -> EvaluationJob:
        """A job whose network run overlaps the caller's work where ``overlaps`` (one board shape, one chunk)."""
        if (not self.overlaps or not positions or len(positions) > self.batch_size
                or len({(p.board.height, p.board.width) for p in positions}) > 1):
            return super().begin(positions)
        return _NetJob(self, positions, *self._encode_chunk(positions))

    def start_run(self, planes: np.ndarray, glob: np.ndarray):
        """Begin ``run``; returns a function that waits for its outputs (here: run now)."""
        outputs = self.run(planes, glob)
        return lambda: outputs

    def _evaluate_chunk(self, positions: list[Position]) -> list[Evaluation]:
        """One network run over positions of one board shape."""
        syms, planes, glob = self._encode_chunk(positions)
        return self._decode_chunk(positions, syms, self.run(planes, glob))

    def _encode_chunk(self, positions: list[Position]) -> tuple[list[int], np.ndarray, np.ndarray]:
        """(symmetries, planes, globals) of positions of one board shape, each under its symmetry."""
        syms = [self._symmetry(p) for p in positions]
        planes, glob = self.encode_batch(positions)
        return syms, F.apply_each(planes, syms), glob

    def _decode_chunk(self, positions: list[Position], syms: list[int], outputs) -> list[Evaluation]:
        """Evaluations from the net's outputs: symmetries undone, the policy over legal moves."""
        h, w = positions[0].board.height, positions[0].board.width
        logits, value, score, own = check_outputs(outputs, len(positions), h, w)
        F.undo_each(logits, own, syms, w, h)
        legal = legal_masks([p.board for p in positions])
        policy = softmax_legal(logits, legal)
        return [Evaluation(policy[j], float(value[j]), float(score[j]), own[j])
                for j in range(len(positions))]


class _NetJob(EvaluationJob):
    """A chunk encoded by ``NetEvaluator.begin``: the network started by ``start``, decoded by ``result``."""

    def __init__(self, net: NetEvaluator, positions: list[Position], syms: list[int], planes, glob):
        super().__init__(positions)
        self.net, self.syms, self.planes, self.glob = net, syms, planes, glob
        self._wait = None
        self._outputs = None

    def start(self) -> None:
        """Start the network run (asynchronously where the runtime can)."""
        self._wait = self.net.start_run(self.planes, self.glob)

    def wait(self) -> None:
        """Wait for the run; its outputs are copied out, so the runtime is free for the next job."""
        if self._outputs is None:
            if self._wait is None:
                raise RuntimeError("wait() before start()")
            self._outputs = self._wait()

    def _finish(self) -> list[Evaluation]:
        self.net.evaluations += len(self.positions)
        return self.net._decode_chunk(self.positions, self.syms, self._outputs)


class OnnxEvaluator(NetEvaluator):
    """Runs an exported network with ONNX Runtime (providers, threads, metadata checks)."""

    def __init__(self, path, config: EvaluatorConfig | None = None, board_size: int | None = None):
        """Open ``path``; ``board_size`` is the board it will play (calibrates nets made for any size)."""
        config = config or EvaluatorConfig()
        super().__init__(config.batch_size, config.random_symmetry, config.seed)
        self.path = Path(path)
        self.session = open_session(self.path, config.provider, config.threads, config.spin)
        self.meta = check_model(self.session, self.path)
        self.feature_set = self.meta.get("feature_set", ZEROGO_FEATURES)
        if self.feature_set == KATAGO_FEATURES:
            from engine.katago import features as katago_features
            self.encode_batch = katago_features.encode_batch
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.provider = self.session.get_providers()[0]
        self.input_dtype = np.float16 if "float16" in self.session.get_inputs()[0].type \
            else np.float32
        self.session, self.runtime = _runtime_session(self, config, board_size)   # engine.runtimes
        self.provider = self.session.get_providers()[0]
        log.info("loaded %s (%s, step %s) on %s", self.path, self.meta["config"],
                 self.meta["training_step"], self.provider)

    def describe(self) -> str:
        """One line: file, config, training step, execution provider, runtime and precision."""
        return (f"{self.path.name}: {self.meta['config']} step {self.meta['training_step']} "
                f"on {self.provider} ({self.runtime})")

    @property
    def overlaps(self) -> bool:
        """True when the runtime runs the net on its own threads (``start_run`` returns at once)."""
        return hasattr(self.session, "start")

    def _feeds(self, planes: np.ndarray, glob: np.ndarray) -> dict[str, np.ndarray]:
        return {"planes": planes.astype(self.input_dtype, copy=False),
                "globals": glob.astype(self.input_dtype, copy=False)}

    def run(self, planes: np.ndarray, glob: np.ndarray):
        """Raw net outputs as float32 arrays (see ``NetEvaluator.run``)."""
        outs = self.session.run(list(OUTPUT_NAMES), self._feeds(planes, glob))
        return [o.astype(np.float32, copy=False) for o in outs]

    def start_run(self, planes: np.ndarray, glob: np.ndarray):
        """``run`` begun on the runtime's threads where it can (OpenVINO); a function waits for it."""
        start = getattr(self.session, "start", None)
        if start is None:
            return super().start_run(planes, glob)
        wait = start(list(OUTPUT_NAMES), self._feeds(planes, glob))
        return lambda: [o.astype(np.float32, copy=False) for o in wait()]

    def run_all(self, planes: np.ndarray, glob: np.ndarray) -> dict[str, np.ndarray]:
        """Every output of the network by name (KataGo nets: also wdl, score_mean, ...)."""
        outs = self.session.run(self.output_names, self._feeds(planes, glob))
        return {k: o.astype(np.float32, copy=False) for k, o in zip(self.output_names, outs)}

    def close(self) -> None:
        """Drop the session."""
        self.session = None


def calibration_sizes(meta: dict, board_size: int | None = None) -> list[int]:
    """Board sizes to calibrate and check a converted copy on: the net's own, else the board played.

    A net made for any size (KataGo's, ``board_sizes`` "any") is calibrated on
    the board it will play, not on 9x9 positions whose value scale differs.
    """
    sizes = [int(x) for x in str(meta.get("board_sizes", "9")).replace(" ", "").split(",") if x.isdigit()]
    return sizes or ([board_size] if board_size else [])


def _runtime_session(ev: OnnxEvaluator, config: EvaluatorConfig, board_size: int | None = None):
    """(session, "runtime precision") for the config (``engine.runtimes``); fp32 as loaded on GPUs."""
    from engine import calibration, runtimes
    if (config.runtime, config.precision) == ("onnxruntime", "fp32"):
        return ev.session, "onnxruntime fp32"
    if ev.session.get_providers()[0] != PROVIDERS["cpu"]:
        log.warning("runtime/precision settings are for the CPU; %s runs fp32 as exported",
                    ev.session.get_providers()[0])
        return ev.session, "onnxruntime fp32"
    sizes = calibration_sizes(ev.meta, board_size)
    probe_cache: list = []

    def probe():
        if not probe_cache:
            probe_cache.append(calibration.make_probe(
                lambda ps: dict(zip(INPUT_NAMES, ev.encode_batch(ps))), ev.evaluate, sizes))
        return probe_cache[0]
    request = runtimes.RuntimeRequest(config.runtime, config.precision, config.threads or physical_cores(),
                                      Path(config.convert_dir) if config.convert_dir else None,
                                      calibration.probe_key(sizes))
    try:
        return runtimes.choose_session(
            ev.path, ev.session, ev.meta, list(OUTPUT_NAMES), request,
            lambda p: open_session(Path(p), config.provider, config.threads, config.spin), probe)
    except runtimes.RuntimeChoiceError as exc:
        raise ModelLoadError(str(exc)) from exc


def _convert_katago(path) -> Path:
    """The cached ONNX conversion of a KataGo model file; ModelLoadError if it cannot be read."""
    from engine.katago.cache import converted_path
    from engine.katago.modelfile import KataModelError
    try:
        return converted_path(path)
    except KataModelError as exc:
        raise ModelLoadError(str(exc)) from None


def network_onnx_path(path) -> Path:
    """The ONNX file that runs ``path``: itself, or a KataGo model's cached conversion."""
    from engine.katago.cache import is_katago_model
    return _convert_katago(path) if is_katago_model(path) else Path(path)


def load_evaluator(path=None, config: EvaluatorConfig | None = None, width: int = 19,
                   height: int = 19, weights_dir: Path | None = None) -> Evaluator:
    """An OnnxEvaluator for ``path`` (None: the default network for the board), cached if asked.

    The net is run once on an empty ``width x height`` board, so one whose
    outputs do not fit the board is refused here and not at the first move.
    """
    config = config or EvaluatorConfig()
    if path is None:
        path = default_network_path(width, height, weights_dir)
        if path is None:
            folder = WEIGHTS_DIR if weights_dir is None else weights_dir
            raise ModelLoadError(f"no network for {width}x{height} in {folder} (looked for "
                                 f"zerogo-{width}x{height}.onnx, zerogo-19x19.onnx, zerogo.onnx); "
                                 "give one with --model")
    path = network_onnx_path(path)
    evaluator: Evaluator = OnnxEvaluator(path, config, max(width, height))
    try:
        evaluator.check_board_size(width, height)
    except ModelLoadError as exc:
        raise type(exc)(f"{path}: {exc}") from None
    if config.cache_size > 0:
        evaluator = CachedEvaluator(evaluator, config.cache_size, config.cache_mb << 20)
    return evaluator
