"""Reading and writing checkpoint files, with one-line errors that say which file, what, and what to do.

``read_checkpoint`` (in ``nets.model``, next to ``load_checkpoint``, re-exported
here) wraps ``torch.load``: a missing, empty, truncated,
zeroed or random file, a bare ``state_dict`` (weights only) or one lacking
the keys the caller needs raises ``CheckpointError`` (a ``ConfigError``, so
every CLI that handles bad configs handles it) instead of torch's
``RuntimeError``/``UnpicklingError``/``EOFError`` (click turns a stray
``EOFError`` into a bare ``Aborted!``).

``atomic_save`` writes through a temporary file + fsync + ``os.replace``: a
reader never sees a torn file, and a failed write (a full disk) removes the
temporary file and keeps the previous checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import torch

from engine.atomic_files import replacing
from nets.model import CheckpointError, _first_line, load_weights, read_checkpoint  # noqa: F401

TRAINING_KEYS = ("config", "model", "step", "optimizer", "scaler", "data", "rng", "meta")


def write_weights_only(checkpoint, path, advice: str = "restore it, or train it again") -> dict:
    """Write a training checkpoint's weights alone (config, model, step, meta) to ``path``; returns them."""
    ck = read_checkpoint(checkpoint, need=("config", "model", "step"), advice=advice)
    slim = {"config": ck["config"], "model": ck["model"], "step": ck["step"], "meta": ck.get("meta", {})}
    atomic_save(slim, path)
    return slim


def atomic_save(obj, path) -> None:
    """torch.save atomically and durably (engine.atomic_files); no temporary file is ever left behind."""
    path = Path(path)
    try:
        with replacing(path, durable=True) as tmp:
            torch.save(obj, tmp)
    except BaseException as exc:
        if isinstance(exc, (OSError, RuntimeError)):   # torch wraps write errors in RuntimeError
            raise CheckpointError(f"cannot write checkpoint {path} ({_first_line(exc)}; disk "
                                  "full?): the previous checkpoint, if any, is kept; free space "
                                  "and run again to resume from it") from None
        raise
