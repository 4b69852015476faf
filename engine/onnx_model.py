"""The ONNX network file contract and its ONNX Runtime session: tensor names, metadata checks, providers.

Tensor names and metadata are the ones ``zerogo export`` writes (see
``nets/export.py``) or ``zerogo import-katago`` (``feature_set=katago-v7``).
``open_session`` refuses a missing, empty or corrupt file and ``check_model``
a mismatched one, both with a ``ModelLoadError`` that says what is wrong;
``check_outputs`` does the same for outputs that do not fit the board.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from engine import features as F


INPUT_NAMES = ("planes", "globals")


OUTPUT_NAMES = ("policy_logits", "value", "score_lead", "ownership")


META_KEYS = ("feature_version", "config", "board_sizes", "training_step", "provenance")


ZEROGO_FEATURES = "zerogo-v1"


KATAGO_FEATURES = "katago-v7"


KATAGO_META_KEYS = ("feature_set", "katago_model_version", "config", "source_sha256")


PROVIDERS = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}


AUTO_ORDER = ("tensorrt", "cuda", "cpu")


class ModelLoadError(RuntimeError):
    """A network file that is missing, unreadable or does not match this engine."""


class ModelShapeError(ModelLoadError):
    """A network whose outputs do not fit the board it was asked about."""


def check_outputs(outputs, n: int, height: int, width: int):
    """The raw outputs ``(logits [n, area+1], value [n], score [n], ownership [n, h, w])``.

    ``value``/``score`` may come as ``[n, 1]`` and ownership as ``[n, 1, h, w]``;
    anything else raises ModelShapeError naming the output and both shapes.
    """
    if len(outputs) != 4:
        raise ModelShapeError(f"the network gave {len(outputs)} outputs, expected 4 "
                              f"({', '.join(OUTPUT_NAMES)})")
    area = height * width
    want = {"policy_logits": (n, area + 1), "value": (n,), "score_lead": (n,),
            "ownership": (n, height, width)}
    fixed = []
    for name, arr in zip(OUTPUT_NAMES, outputs):
        arr = np.asarray(arr, np.float32)
        shape = want[name]
        if arr.shape != shape and arr.size == int(np.prod(shape)) and arr.shape[:1] == (n,):
            arr = arr.reshape(shape)            # [n, 1] or [n, 1, h, w]
        if arr.shape != shape:
            raise ModelShapeError(f"output {name!r} has shape {list(arr.shape)} on a "
                                  f"{width}x{height} board, expected {list(shape)}: this "
                                  "network does not fit this board size")
        fixed.append(arr)
    return fixed


def physical_cores() -> int:
    """Physical cores this process may use (hyper-threads not counted)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    cores = set()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            phys = core = None
            for line in f:
                if line.startswith("physical id"):
                    phys = line.split(":")[1].strip()
                elif line.startswith("core id"):
                    core = line.split(":")[1].strip()
                    cores.add((phys, core))
    except OSError:
        pass
    return max(1, min(usable, len(cores) or usable))


def choose_providers(requested: str, available: list[str]) -> list[str]:
    """ONNX Runtime providers to try, best first; raises ModelLoadError for an unavailable one."""
    key = requested.strip().lower()
    if key == "auto":
        return [PROVIDERS[k] for k in AUTO_ORDER if PROVIDERS[k] in available]
    name = PROVIDERS.get(key, requested)
    if name not in available:
        raise ModelLoadError(f"execution provider {requested!r} is not available here "
                             f"(available: {', '.join(available)})")
    return [name] + ([PROVIDERS["cpu"]] if name != PROVIDERS["cpu"] else [])


def provider_entry(provider: str):
    """TensorRT (fp16) keeps built engines in ~/.cache/zerogo/trt so a restart need not rebuild."""
    if provider != PROVIDERS["tensorrt"]:
        return provider
    cache = Path.home() / ".cache" / "zerogo" / "trt"
    cache.mkdir(parents=True, exist_ok=True)
    return (provider, {"trt_engine_cache_enable": True, "trt_engine_cache_path": str(cache),
                       "trt_fp16_enable": True})


def open_session(path: Path, provider: str = "auto", threads: int = 0, spin: bool = False):
    """An ONNX Runtime session for ``path``, or ModelLoadError saying why not (see ``EvaluatorConfig``)."""
    import onnxruntime as ort
    if path.is_dir():
        raise ModelLoadError(f"network file {path} is a directory, not an ONNX file")
    if not path.exists():
        raise ModelLoadError(f"network file {path} does not exist")
    if not path.is_file():
        raise ModelLoadError(f"network file {path} is not a regular file")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"network file {path} is empty (0 bytes)")
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads or physical_cores()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    providers = [provider_entry(p) for p in
                 choose_providers(provider, ort.get_available_providers())]
    try:
        return ort.InferenceSession(str(path), opts, providers=providers)
    except Exception as exc:  # ORT raises several unrelated types for a bad file
        raise ModelLoadError(f"{path} is not a readable ONNX network (truncated or corrupt?): "
                             f"{str(exc).strip().splitlines()[0][:300]}") from exc


def check_model(session, path: Path) -> dict:
    """The model's metadata after checking it against this engine; ModelLoadError if it differs."""
    meta = dict(session.get_modelmeta().custom_metadata_map)
    feature_set = meta.get("feature_set", ZEROGO_FEATURES)
    if feature_set == KATAGO_FEATURES:
        return _check_katago_model(session, path, meta)
    if feature_set != ZEROGO_FEATURES:
        raise ModelLoadError(f"{path} needs input features {feature_set!r}, which this engine "
                             f"does not compute (it knows {ZEROGO_FEATURES}, {KATAGO_FEATURES})")
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise ModelLoadError(f"{path} lacks zerogo metadata ({', '.join(missing)}): "
                             "export networks with `zerogo export`")
    if meta["feature_version"] != str(F.FEATURE_VERSION):
        raise ModelLoadError(f"{path} was trained on input features version "
                             f"{meta['feature_version']}, this engine computes version "
                             f"{F.FEATURE_VERSION}: use a matching network or re-export it")
    inputs = {i.name: i.shape for i in session.get_inputs()}
    if sorted(inputs) != sorted(INPUT_NAMES):
        raise ModelLoadError(f"{path} has inputs {sorted(inputs)}, expected {list(INPUT_NAMES)}")
    want = {"planes": (4, F.NUM_PLANES), "globals": (2, F.NUM_GLOBALS)}
    for name, (rank, channels) in want.items():
        shape = inputs[name]
        if len(shape) != rank or shape[1] != channels:
            raise ModelLoadError(f"{path}: input {name!r} has shape {shape}, expected rank "
                                 f"{rank} with {channels} channels in axis 1")
    outputs = {o.name for o in session.get_outputs()}
    if not set(OUTPUT_NAMES) <= outputs:
        raise ModelLoadError(f"{path} lacks outputs {sorted(set(OUTPUT_NAMES) - outputs)}")
    return meta


def _check_katago_model(session, path: Path, meta: dict) -> dict:
    """Checks for a network converted from KataGo (``zerogo import-katago``)."""
    from engine.katago import features as katago_features
    missing = [k for k in KATAGO_META_KEYS if k not in meta]
    if missing:
        raise ModelLoadError(f"{path} lacks KataGo metadata ({', '.join(missing)}): "
                             "convert KataGo networks with `zerogo import-katago`")
    inputs = {i.name: i.shape for i in session.get_inputs()}
    want = {"planes": (4, katago_features.NUM_SPATIAL),
            "globals": (2, katago_features.NUM_GLOBAL)}
    for name, (rank, channels) in want.items():
        shape = inputs.get(name)
        if shape is None or len(shape) != rank or shape[1] != channels:
            raise ModelLoadError(f"{path}: input {name!r} has shape {shape}, expected rank "
                                 f"{rank} with {channels} channels in axis 1")
    outputs = {o.name for o in session.get_outputs()}
    if not set(OUTPUT_NAMES) <= outputs:
        raise ModelLoadError(f"{path} lacks outputs {sorted(set(OUTPUT_NAMES) - outputs)}")
    meta.setdefault("training_step", "?")
    return meta
