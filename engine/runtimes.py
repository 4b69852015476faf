"""CPU inference runtimes and precisions: ONNX Runtime fp32/int8, OpenVINO fp32/bf16/int8, auto.

A *setting* is a pair ``(runtime, precision)``:

==============  =========  ===========================================================
runtime         precision  how
==============  =========  ===========================================================
onnxruntime     fp32       the exported file as it is (the default; always available)
onnxruntime     int8       a static QDQ copy (per-channel int8 weights, uint8
                           activations; the stem and 1x1 convolutions stay fp32)
                           calibrated on positions from real games, made once
                           with ``onnxruntime.quantization`` and cached
openvino        fp32       OpenVINO's CPU plugin (``pip install 'zerogo[cpu-fast]'``)
openvino        bf16       the same with ``INFERENCE_PRECISION_HINT=bf16`` (AMX or
                           AVX-512 BF16 units)
openvino        int8       OpenVINO running the int8 QDQ copy
==============  =========  ===========================================================

``auto`` (for either half) reads the CPU's flags (``amx_bf16``,
``avx512_bf16``, ``avx512_vnni``, ``avx_vnni``, ``avx2``), orders the settings the CPU
supports by the speed measured on such CPUs (``auto_order``), and takes the
first one that passes an accuracy check against fp32 on held-out real
positions (``AccuracyBounds``); it says on stderr (the log) what it chose and
why. The check's verdict and every converted file live in the converted-nets
cache, ``~/.cache/zerogo/onnx/``, keyed by the source file's SHA-256 and the
settings, so the work is done once per network.

This module knows nothing of Go: it sees ONNX files, feeds (input name ->
array) and outputs. ``engine.evaluator`` hands it the fp32 session and a
``Probe`` (calibration feeds and check feeds made from real positions);
the accuracy check is ``engine.runtime_accuracy``, OpenVINO's session
``engine.openvino_session``.
"""

from __future__ import annotations

import functools
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

from engine.atomic_files import replacing
from engine.openvino_session import OpenVinoSession
from engine.runtime_accuracy import AccuracyBounds, Probe, check_accuracy, measure_speedup

log = logging.getLogger(__name__)

RUNTIMES = ("onnxruntime", "openvino")
PRECISIONS = ("fp32", "bf16", "int8")
RUNTIME_CHOICES = RUNTIMES + ("auto",)      # what a command line may ask for
PRECISION_CHOICES = PRECISIONS + ("auto",)
SUPPORTED = {("onnxruntime", "fp32"), ("onnxruntime", "int8"), ("openvino", "fp32"),
             ("openvino", "bf16"), ("openvino", "int8")}
QUANT_VERSION = "qdq-pc-minmax-spatial-3"
CHECK_VERSION = 3                   # bump when the accuracy check changes (verdict cache key)


class RuntimeChoiceError(ValueError):
    """A runtime/precision that does not exist, is not installed, or cannot run this net."""


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
def _cpuinfo_value(key: str, cpuinfo: str) -> str | None:
    """The value of the first ``key : value`` line of Linux ``/proc/cpuinfo`` (None where unknown)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1]
    except OSError:
        pass
    return None


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where unknown."""
    return frozenset((_cpuinfo_value("flags", cpuinfo) or "").split())


def cpu_features(flags: frozenset[str] | None = None) -> str:
    """The flags that matter for choosing a runtime, comma-separated ('' when none; default: this CPU's)."""
    return ",".join(sorted((cpu_flags() if flags is None else flags) & _FLAGS_OF_INTEREST))


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``; else ``platform.processor()``, else 'unknown CPU')."""
    name = " ".join((_cpuinfo_value("model name", cpuinfo) or "").split())
    if name:
        return name
    import platform
    return platform.processor() or "unknown CPU"


@functools.lru_cache(maxsize=1)
def machine_summary() -> str:
    """One line naming this machine for a match record: CPU model, usable CPUs, the runtime-relevant flags."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return f"{cpu_model()}, {cpus} CPUs, flags {cpu_features() or 'none of interest'}"


def openvino_available() -> bool:
    """True when the optional ``openvino`` package is importable."""
    return importlib.util.find_spec("openvino") is not None


def auto_order(flags: frozenset[str], have_openvino: bool) -> list[tuple[str, str]]:
    """Settings this CPU supports, fastest first (by measurements on such CPUs; see README).

    AMX: OpenVINO bf16 (5.3x fp32 measured on a Xeon with AMX). VNNI without
    AMX: int8 (ONNX Runtime int8 about 2x fp32 on AVX-512 VNNI; OpenVINO
    running the same int8 file was no faster, and bf16 without AMX slower).
    AVX2 alone: int8 too, OpenVINO's first (about 1.85x fp32 in a 19x19
    search on an AVX2-only EPYC, ONNX Runtime's 1.6x). fp32 ONNX Runtime
    last: it always works.
    """
    order: list[tuple[str, str]] = []
    if have_openvino and "amx_bf16" in flags:
        order.append(("openvino", "bf16"))
    if flags & {"avx512_vnni", "avx_vnni", "amx_int8"}:
        order.append(("onnxruntime", "int8"))
    if have_openvino and "avx512_bf16" in flags and ("openvino", "bf16") not in order:
        order.append(("openvino", "bf16"))
    if not order and "avx2" in flags:      # none of the above: AVX2 alone
        if have_openvino:
            order.append(("openvino", "int8"))
        order.append(("onnxruntime", "int8"))
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


# ------------------------------------------------------------------ int8
def quantized_path(path: Path, probe_key: str, request: RuntimeRequest) -> Path:
    """Where the int8 copy of ``path`` calibrated on ``probe_key`` lives in the cache."""
    key = hashlib.sha256(f"{file_digest(path)}|{probe_key}|{QUANT_VERSION}".encode()).hexdigest()
    return cache_folder(request) / f"{Path(path).stem}-{key[:20]}-int8.onnx"


def float_convs(model) -> list[str]:
    """Names of the convolutions ``quantize_int8`` keeps fp32: the stem (it reads the net's inputs), the 1x1 ones.

    The 1x1 convolutions are the heads'. Quantizing the stem tripled the 19x19
    net's value error against fp32 (0.011 -> 0.033-0.037: outside ``auto``'s
    bounds), and it and the heads are a small share of the work.
    """
    weights = {init.name: tuple(init.dims) for init in model.graph.initializer}
    inputs = {i.name for i in model.graph.input}
    names = []
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        kernel = next((tuple(a.ints) for a in node.attribute if a.name == "kernel_shape"), None)
        if kernel is None and len(node.input) > 1:
            kernel = weights.get(node.input[1], ())[2:]
        if (kernel and all(k == 1 for k in kernel)) or node.input[0] in inputs:
            names.append(node.name)
    return names


def quantize_int8(path: Path, calibration: list[dict], out: Path) -> Path:
    """Write a static QDQ int8 copy of ``path`` to ``out`` (per-channel weights, MinMax calibration).

    Only the convolutions are quantized, and of those not ``float_convs``.

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
                        op_types_to_quantize=["Conv"], nodes_to_exclude=float_convs(onnx.load(str(pre))),
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
        with replacing(out) as tmp:   # another process may be quantizing the same net
            shutil.copyfile(q, tmp)
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


def _verdict_path(path: Path, setting: tuple[str, str], probe_key: str, request: RuntimeRequest,
                  flags: frozenset[str]) -> Path:
    """Where auto's verdict on ``setting`` is cached: per net, probe, threads, bounds and CPU features
    (a home folder shared by machines with different CPUs must not carry one's speed-up to another)."""
    key = hashlib.sha256(f"{file_digest(path)}|{probe_key}|{setting}|{QUANT_VERSION}|{CHECK_VERSION}|"
                         f"{request.threads}|{cpu_features(flags)}|"
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
        verdict = _verdict_path(path, setting, request.probe_key, request, flags)
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
                        cpu_features(flags) or "none", metrics["positions"],
                        metrics["top1"], metrics["top1_clear"], metrics["clear"], metrics["kl"],
                        metrics["value_mae"],
                        metrics["score_mae"], f"; skipped: {'; '.join(tried)}" if tried else "")
            return session, " ".join(setting)
    # a plain CPU has nothing faster to offer: say so without a warning on every start
    (log.warning if tried else log.info)("auto runtime: chose onnxruntime fp32 (CPU flags %s)%s",
                cpu_features(flags) or "none",
                f"; skipped: {'; '.join(tried)}" if tried else "")
    return base, "onnxruntime fp32"


_FLAGS_OF_INTEREST = frozenset({"amx_bf16", "amx_int8", "avx512_bf16", "avx512_vnni", "avx_vnni",
                                "avx512f", "avx2"})
