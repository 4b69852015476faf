"""Convert a KataGo network to ONNX once and keep it in a cache keyed by the file's SHA-256.

``converted_path("kata1-b18c384nbt-....bin.gz")`` returns
``~/.cache/zerogo/onnx/<sha256>-c<N>.onnx`` (N: the converter's version, so a
changed graph layout never reuses an old conversion; the folder is settable with
``ZEROGO_ONNX_CACHE`` or the ``cache_dir`` argument), converting the file the
first time and reusing it afterwards. The file is written to a temporary name
in the same folder and renamed, so a crash or a concurrent conversion never
leaves a half-written network behind.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from engine.atomic_files import replacing
from engine.katago.modelfile import KataModelError, file_sha256, load_model

log = logging.getLogger(__name__)

CONVERTER_VERSION = 2
MODEL_SUFFIXES = (".bin.gz", ".txt.gz", ".bin", ".txt", ".gz")


def is_katago_model(path) -> bool:
    """Whether ``path`` is named like a KataGo model file (rather than an ONNX network)."""
    return str(path).lower().endswith(MODEL_SUFFIXES)


def default_cache_dir() -> Path:
    """``$ZEROGO_ONNX_CACHE``, else ``~/.cache/zerogo/onnx``."""
    env = os.environ.get("ZEROGO_ONNX_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "zerogo" / "onnx"


def converted_path(model_file, cache_dir=None, mish: str = "sigmoid") -> Path:
    """The ONNX conversion of ``model_file``, made now if the cache does not hold it yet.

    A cached conversion is found without importing ``onnx``: that import holds
    the GIL for a second or more (its C++ extension), which froze the GTP
    thread when the status net was loaded in the background mid-game.
    """
    model_file = Path(model_file)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    digest = file_sha256(model_file) if model_file.is_file() else None
    if digest is None:
        load_model(model_file)  # raises KataModelError naming the missing file
    suffix = "" if mish == "sigmoid" else f"-mish-{mish}"
    target = folder / f"{digest}-c{CONVERTER_VERSION}{suffix}.onnx"
    if target.is_file():
        return target
    try:
        from engine.katago.onnx_build import write_onnx
    except ImportError as exc:  # onnx is only needed to convert, not to play
        raise KataModelError(f"{model_file}: converting a KataGo network needs the 'onnx' "
                             f"package ({exc}): pip install onnx (or zerogo[katago])") from None
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    model = load_model(model_file)
    with replacing(target) as tmp:   # a converter running beside this one writes its own temporary file
        write_onnx(model, tmp, mish=mish)
    log.info("converted %s to %s in %.1f s", model_file.name, target,
             time.perf_counter() - start)
    return target
