"""CPU inference runtimes and precisions: ONNX Runtime fp32/int8, OpenVINO fp32/bf16/int8, auto.

A *setting* is a pair ``(runtime, precision)``:

==============  =========  ===========================================================
runtime         precision  how
==============  =========  ===========================================================
onnxruntime     fp32       the exported file as it is (the default; always available)
onnxruntime     int8       a static QDQ copy (per-channel int8 weights, uint8
                           activations) calibrated on positions from real games,
                           made once with ``onnxruntime.quantization`` and cached
openvino        fp32       OpenVINO's CPU plugin (``pip install 'zerogo[cpu-fast]'``)
openvino        bf16       the same with ``INFERENCE_PRECISION_HINT=bf16`` (AMX or
                           AVX-512 BF16 units)
openvino        int8       OpenVINO running the int8 QDQ copy
==============  =========  ===========================================================

``auto`` (for either half) reads the CPU's flags (``amx_bf16``,
``avx512_bf16``, ``avx512_vnni``, ``avx_vnni``), orders the settings the CPU
supports by the speed measured on such CPUs (``auto_order``), and takes the
first one that passes an accuracy check against fp32 on held-out real
positions (``AccuracyBounds``); it says on stderr (the log) what it chose and
why. The check's verdict and every converted file live in the converted-nets
cache, ``~/.cache/zerogo/onnx/``, keyed by the source file's SHA-256 and the
settings, so the work is done once per network.

This module knows nothing of Go: it sees ONNX files, feeds (input name ->
array) and outputs. ``engine.evaluator`` hands it the fp32 session and a
``Probe`` (calibration feeds and check feeds made from real positions).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

RUNTIMES = ("onnxruntime", "openvino")
PRECISIONS = ("fp32", "bf16", "int8")
SUPPORTED = {("onnxruntime", "fp32"), ("onnxruntime", "int8"), ("openvino", "fp32"),
             ("openvino", "bf16"), ("openvino", "int8")}
QUANT_VERSION = "qdq-pc-minmax-1"
CHECK_VERSION = 3                   # bump when the accuracy check changes (verdict cache key)
CLEAR_MARGIN = 0.05   # bump when the quantization recipe changes (cache key)
OV_PRECISION = {"fp32": "f32", "bf16": "bf16", "int8": "f32"}


class RuntimeChoiceError(ValueError):
    """A runtime/precision that does not exist, is not installed, or cannot run this net."""


@dataclass
class AccuracyBounds:
    """What a faster setting must keep against fp32 on the check positions for ``auto``.

    Means over the positions: policy top-1 agreement at least ``min_top1``
    (counted where fp32's best move leads its second by at least
    ``CLEAR_MARGIN`` in probability: on a near-flat policy, such as a random
    net's, which of two equal moves comes first says nothing),
    KL(fp32 || setting) at most ``max_kl`` nats, absolute value error at most
    ``max_value_error`` (value in [-1, 1]), absolute score error at most
    ``max_score_error`` points.
    """

    min_top1: float = 0.90
    max_kl: float = 0.02
    max_value_error: float = 0.03
    max_score_error: float = 1.0
    min_speedup: float = 1.1     # and at least this much faster than fp32 on the check batch

    def passes(self, m: dict) -> bool:
        """True when the metrics ``m`` (see ``compare``) are within the accuracy bounds."""
        return (m["top1_clear"] >= self.min_top1 and m["kl"] <= self.max_kl
                and m["value_mae"] <= self.max_value_error
                and m["score_mae"] <= self.max_score_error)


@dataclass
class Probe:
    """Real positions, encoded: ``calibration`` feeds for int8, ``check`` feeds and legal masks."""

    calibration: list[dict]
    check: list[dict]
    legal: list[np.ndarray]          # [B, moves] bool per check feed
    key: str = ""                    # names the positions (``RuntimeRequest.probe_key``)


@dataclass
class RuntimeRequest:
    """What the caller asked for, and where converted nets are kept."""

    runtime: str = "onnxruntime"
    precision: str = "fp32"
    threads: int = 1
    cache_dir: Path | None = None    # None: ~/.cache/zerogo/onnx
    probe_key: str = ""              # names the calibration/check positions (cache keys)
    bounds: AccuracyBounds = field(default_factory=AccuracyBounds)


# ------------------------------------------------------------------ CPU and choice
def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where unknown."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def openvino_available() -> bool:
    """True when the optional ``openvino`` package is importable."""
    return importlib.util.find_spec("openvino") is not None


def auto_order(flags: frozenset[str], have_openvino: bool) -> list[tuple[str, str]]:
    """Settings this CPU supports, fastest first (by measurements on such CPUs; see README).

    AMX: OpenVINO bf16 (5.3x fp32 measured on a Xeon with AMX). VNNI without
    AMX: int8 (ONNX Runtime int8 about 2x fp32 on AVX-512 VNNI; OpenVINO
    running the same int8 file was no faster, and bf16 without AMX slower).
    fp32 ONNX Runtime last: it always works.
    """
    order: list[tuple[str, str]] = []
    if have_openvino and "amx_bf16" in flags:
        order.append(("openvino", "bf16"))
    if flags & {"avx512_vnni", "avx_vnni", "amx_int8"}:
        order.append(("onnxruntime", "int8"))
    if have_openvino and "avx512_bf16" in flags and ("openvino", "bf16") not in order:
        order.append(("openvino", "bf16"))
    order.append(("onnxruntime", "fp32"))
    return order


def candidates(runtime: str, precision: str, flags: frozenset[str],
               have_openvino: bool) -> list[tuple[str, str]]:
    """The settings to try for a request, best first; RuntimeChoiceError if none can be."""
    runtime, precision = runtime.strip().lower(), precision.strip().lower()
    if runtime not in RUNTIMES + ("auto",):
        raise RuntimeChoiceError(f"unknown runtime {runtime!r}: use onnxruntime, openvino or auto")
    if precision not in PRECISIONS + ("auto",):
        raise RuntimeChoiceError(f"unknown precision {precision!r}: use fp32, bf16, int8 or auto")
    if runtime == "openvino" and not have_openvino:
        raise RuntimeChoiceError("runtime 'openvino' is not installed: pip install 'zerogo[cpu-fast]' "
                                 "(or pip install openvino)")
    if "auto" not in (runtime, precision):
        if (runtime, precision) not in SUPPORTED:
            raise RuntimeChoiceError(f"{precision} needs OpenVINO (--runtime openvino): ONNX Runtime "
                                     f"has no {precision} kernels for the CPU")
        return [(runtime, precision)]
    order = auto_order(flags, have_openvino)
    if runtime != "auto":
        order = [s for s in order if s[0] == runtime] or [(runtime, "fp32")]
    if precision != "auto":
        order = [s for s in order if s[1] == precision]
        if not order:
            rts = ["onnxruntime", "openvino"] if precision != "bf16" else ["openvino"]
            order = [(rt, precision) for rt in rts if rt != "openvino" or have_openvino]
        if not order:
            raise RuntimeChoiceError(f"{precision} needs OpenVINO: pip install 'zerogo[cpu-fast]'")
    return order


# ------------------------------------------------------------------ cache
def cache_folder(request: RuntimeRequest) -> Path:
    """The converted-nets folder (made on demand)."""
    folder = Path(request.cache_dir) if request.cache_dir else Path.home() / ".cache" / "zerogo" / "onnx"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_digest(path: Path) -> str:
    """SHA-256 of a file, in hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_copy(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(f".tmp{os.getpid()}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


# ------------------------------------------------------------------ int8
def quantized_path(path: Path, probe_key: str, request: RuntimeRequest) -> Path:
    """Where the int8 copy of ``path`` calibrated on ``probe_key`` lives in the cache."""
    key = hashlib.sha256(f"{file_digest(path)}|{probe_key}|{QUANT_VERSION}".encode()).hexdigest()
    return cache_folder(request) / f"{Path(path).stem}-{key[:20]}-int8.onnx"


def quantize_int8(path: Path, calibration: list[dict], out: Path) -> Path:
    """Write a static QDQ int8 copy of ``path`` to ``out`` (per-channel weights, MinMax calibration).

    Needs ``onnxruntime`` (and the ``onnx`` package it uses), not torch. The
    source's metadata (feature version, config...) is copied over.
    """
    try:
        import onnx
        from onnxruntime.quantization import (
            CalibrationDataReader,
            CalibrationMethod,
            QuantFormat,
            QuantType,
            quantize_static,
        )
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as exc:
        raise RuntimeChoiceError(f"int8 quantization needs the 'onnx' package: pip install onnx ({exc})") \
            from exc

    class _Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter(calibration)

        def get_next(self):
            return next(self.items, None)

    with tempfile.TemporaryDirectory() as tmp:
        pre, q = Path(tmp) / "pre.onnx", Path(tmp) / "q.onnx"
        quant_pre_process(str(path), str(pre), skip_symbolic_shape=True)
        quantize_static(str(pre), str(q), _Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
        src, model = onnx.load(str(path), load_external_data=False), onnx.load(str(q))
        meta = {p.key: p.value for p in src.metadata_props}
        meta["precision"] = "int8"
        meta["quantization"] = QUANT_VERSION
        del model.metadata_props[:]
        for k, v in meta.items():
            model.metadata_props.add(key=k, value=v)
        onnx.save(model, str(q))
        out.parent.mkdir(parents=True, exist_ok=True)
        _atomic_copy(q, out)
    return out


def int8_model(path: Path, probe: Callable[[], Probe], request: RuntimeRequest) -> Path:
    """The cached int8 copy of ``path``, made now if missing."""
    out = quantized_path(path, request.probe_key, request)
    if not out.is_file():
        p = probe()
        log.info("quantizing %s to int8 on %d calibration batches (once; cached as %s)",
                 path, len(p.calibration), out)
        quantize_int8(path, p.calibration, out)
    return out


# ------------------------------------------------------------------ OpenVINO
class _Meta:
    def __init__(self, meta: dict):
        self.custom_metadata_map = meta


class _Arg:
    def __init__(self, name: str, shape, type_: str = "tensor(float)"):
        self.name, self.shape, self.type = name, shape, type_


class OpenVinoSession:
    """OpenVINO's CPU plugin behind the part of ``onnxruntime.InferenceSession`` the evaluator uses."""

    def __init__(self, path: Path, precision: str, threads: int, meta: dict):
        import openvino as ov
        core = ov.Core()
        model = core.read_model(str(path))
        config = {"INFERENCE_PRECISION_HINT": OV_PRECISION[precision], "PERFORMANCE_HINT": "LATENCY",
                  "NUM_STREAMS": "1", "ENABLE_CPU_PINNING": "NO"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = str(threads)
        self.compiled = core.compile_model(model, "CPU", config)
        self.request = self.compiled.create_infer_request()
        self.precision, self.meta = precision, meta
        self._outputs = {name: o for o in self.compiled.outputs for name in o.get_names()}

    def get_providers(self) -> list[str]:
        """One name, like ONNX Runtime's provider list."""
        return [f"OpenVINO CPU {self.precision}"]

    def get_modelmeta(self) -> _Meta:
        """The source file's metadata (as checked by the evaluator)."""
        return _Meta(self.meta)

    def get_inputs(self) -> list[_Arg]:
        """Input names and shapes."""
        return [_Arg(i.get_any_name(), [d.get_length() if d.is_static else None
                                        for d in i.get_partial_shape()]) for i in self.compiled.inputs]

    def get_outputs(self) -> list[_Arg]:
        """Output names."""
        return [_Arg(name, None) for name in self._outputs]  # every name of each output

    def run(self, names, feeds: dict) -> list[np.ndarray]:
        """Outputs ``names`` for ``feeds`` (copied: the request reuses its buffers)."""
        result = self.request.infer(feeds)
        return [np.array(result[self._outputs[n]]) for n in names]


# ------------------------------------------------------------------ accuracy
def log_softmax_legal(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax over legal moves (illegal -> -inf)."""
    x = np.where(legal, logits.astype(np.float64), -np.inf)
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def compare(ref: list[np.ndarray], got: list[np.ndarray], legal: np.ndarray) -> dict:
    """Per-position errors of ``got`` against ``ref`` (outputs: policy logits, value, score, ...).

    Returns arrays: ``top1`` (1 where the best legal move agrees), ``clear``
    (1 where fp32's best move leads its second by ``CLEAR_MARGIN``), ``kl``
    (KL(ref || got) over legal moves, nats), ``value_err`` and ``score_err``
    (absolute).
    """
    lp, lq = log_softmax_legal(ref[0], legal), log_softmax_legal(got[0], legal)
    p = np.exp(lp)
    with np.errstate(invalid="ignore"):
        kl = np.where(legal, p * (lp - lq), 0.0).sum(axis=1)
    two = -np.partition(-p, 1, axis=1)[:, :2] if p.shape[1] > 1 else np.concatenate([p, 0 * p], 1)
    return {"top1": (lp.argmax(1) == lq.argmax(1)).astype(float), "kl": np.maximum(kl, 0.0),
            "clear": (two[:, 0] - two[:, 1] >= CLEAR_MARGIN).astype(float),
            "value_err": np.abs(np.ravel(ref[1]) - np.ravel(got[1])),
            "score_err": np.abs(np.ravel(ref[2]) - np.ravel(got[2]))}


def summarize(parts: list[dict]) -> dict:
    """Means (and maxima) of ``compare`` results over several batches."""
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    clear = cat["clear"] > 0
    return {"positions": len(cat["top1"]), "top1": float(cat["top1"].mean()),
            "clear": int(clear.sum()),
            "top1_clear": float(cat["top1"][clear].mean()) if clear.any() else 1.0,
            "kl": float(cat["kl"].mean()), "value_mae": float(cat["value_err"].mean()),
            "value_max": float(cat["value_err"].max()), "score_mae": float(cat["score_err"].mean()),
            "score_max": float(cat["score_err"].max())}


def measure_speedup(base, session, names: list[str], feeds: dict, min_seconds: float = 1.0) -> float:
    """How many times faster ``session`` runs ``feeds`` than ``base``.

    Interleaved runs; the ratio of the fastest run of each, which other
    processes on a shared machine disturb least (medians swung from 0.1x to
    1.1x between two loads of the same net on a busy 2-core machine).
    """
    import time
    base.run(names, feeds)
    session.run(names, feeds)
    tb: list[float] = []
    ts: list[float] = []
    start = time.perf_counter()
    while len(tb) < 5 or (time.perf_counter() - start < min_seconds and len(tb) < 30):
        t = time.perf_counter()
        base.run(names, feeds)
        tb.append(time.perf_counter() - t)
        t = time.perf_counter()
        session.run(names, feeds)
        ts.append(time.perf_counter() - t)
    return float(min(tb) / min(ts))


def check_accuracy(base, session, names: list[str], probe: Probe) -> dict:
    """``summarize`` of ``session`` against the fp32 ``base`` on the probe's check feeds."""
    parts = [compare(base.run(names, feeds), session.run(names, feeds), legal)
             for feeds, legal in zip(probe.check, probe.legal)]
    return summarize(parts)


# ------------------------------------------------------------------ opening
def open_setting(path: Path, setting: tuple[str, str], request: RuntimeRequest, meta: dict,
                 open_ort: Callable[[Path], object], probe: Callable[[], Probe]):
    """A session for one (runtime, precision); RuntimeChoiceError when it cannot be made."""
    runtime, precision = setting
    source = int8_model(path, probe, request) if precision == "int8" else path
    if runtime == "onnxruntime":
        return open_ort(source)
    try:
        return OpenVinoSession(source, precision, request.threads, meta)
    except ImportError as exc:
        raise RuntimeChoiceError(f"OpenVINO is not installed ({exc}): pip install 'zerogo[cpu-fast]'") \
            from exc


def _verdict_path(path: Path, setting: tuple[str, str], probe_key: str, request: RuntimeRequest) -> Path:
    key = hashlib.sha256(f"{file_digest(path)}|{probe_key}|{setting}|{QUANT_VERSION}|{CHECK_VERSION}|"
                         f"{request.threads}|"
                         f"{json.dumps(asdict(request.bounds), sort_keys=True)}".encode()).hexdigest()
    return cache_folder(request) / f"{Path(path).stem}-{key[:20]}-{setting[0]}-{setting[1]}-check.json"


def choose_session(path: Path, base, meta: dict, names: list[str], request: RuntimeRequest,
                   open_ort: Callable[[Path], object], probe: Callable[[], Probe],
                   flags: frozenset[str] | None = None, have_openvino: bool | None = None):
    """The session to play with and its label ``runtime precision``.

    ``base`` is the fp32 ONNX Runtime session already open. An explicit
    setting is opened as asked (errors raise RuntimeChoiceError); with ``auto``
    each candidate must load and pass ``request.bounds`` against ``base``,
    else the next is tried, down to ``base`` itself.
    """
    flags = cpu_flags() if flags is None else flags
    have_openvino = openvino_available() if have_openvino is None else have_openvino
    order = candidates(request.runtime, request.precision, flags, have_openvino)
    auto = "auto" in (request.runtime.lower(), request.precision.lower())
    if not auto:
        setting = order[0]
        if setting == ("onnxruntime", "fp32"):
            return base, "onnxruntime fp32"
        return open_setting(path, setting, request, meta, open_ort, probe), " ".join(setting)
    tried = []
    for setting in order:
        if setting == ("onnxruntime", "fp32"):
            break
        try:
            session = open_setting(path, setting, request, meta, open_ort, probe)
        except Exception as exc:  # noqa: BLE001  (any failure to build or load: try the next one)
            tried.append(f"{' '.join(setting)} did not load ({str(exc).splitlines()[0][:120]})")
            continue
        verdict = _verdict_path(path, setting, request.probe_key, request)
        if verdict.is_file():
            metrics = json.loads(verdict.read_text())
        else:
            metrics = check_accuracy(base, session, names, probe())
            if request.bounds.passes(metrics):
                metrics["speedup"] = measure_speedup(base, session, names, probe().check[0])
            verdict.write_text(json.dumps(metrics))
        if not request.bounds.passes(metrics):
            tried.append(f"{' '.join(setting)} failed the accuracy check (top-1 {metrics['top1_clear']:.3f} "
                         f"where fp32's choice is clear, "
                         f"KL {metrics['kl']:.4f}, value error {metrics['value_mae']:.4f})")
        elif metrics["speedup"] < request.bounds.min_speedup:
            tried.append(f"{' '.join(setting)} was not faster here ({metrics['speedup']:.2f}x fp32)")
        else:
            log.warning("auto runtime: chose %s, %.2fx fp32 here (CPU flags %s; vs fp32 on %d positions: "
                        "top-1 %.3f (%.3f of %d clear), KL %.4f, value error %.4f, score error %.3f)%s",
                        " ".join(setting), metrics["speedup"],
                        ",".join(sorted(flags & _FLAGS_OF_INTEREST)) or "none", metrics["positions"],
                        metrics["top1"], metrics["top1_clear"], metrics["clear"], metrics["kl"],
                        metrics["value_mae"],
                        metrics["score_mae"], f"; skipped: {'; '.join(tried)}" if tried else "")
            return session, " ".join(setting)
    log.warning("auto runtime: chose onnxruntime fp32 (CPU flags %s)%s",
                ",".join(sorted(flags & _FLAGS_OF_INTEREST)) or "none",
                f"; skipped: {'; '.join(tried)}" if tried else "")
    return base, "onnxruntime fp32"


_FLAGS_OF_INTEREST = frozenset({"amx_bf16", "amx_int8", "avx512_bf16", "avx512_vnni", "avx_vnni",
                                "avx512f", "avx2"})
