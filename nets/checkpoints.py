"""Reading and writing checkpoint files, with one-line errors that say which file, what, and what to do.

``read_checkpoint`` wraps ``torch.load``: a missing, empty, truncated,
zeroed or random file, a bare ``state_dict`` (weights only) or one lacking
the keys the caller needs raises ``CheckpointError`` (a ``ConfigError``, so
every CLI that handles bad configs handles it) instead of torch's
``RuntimeError``/``UnpicklingError``/``EOFError`` (click turns a stray
``EOFError`` into a bare ``Aborted!``).

``atomic_save`` writes through ``NAME.tmp`` + fsync + ``os.replace``: a
reader never sees a torn file, and a failed write (a full disk) removes the
temporary file and keeps the previous checkpoint.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from nets.model import ConfigError

TRAINING_KEYS = ("config", "model", "step", "optimizer", "scaler", "data", "rng", "meta")


class CheckpointError(ConfigError):
    """A checkpoint file that cannot be read or does not hold what is needed."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def read_checkpoint(path, map_location="cpu", need: tuple[str, ...] = ("config", "model"),
                    advice: str = "") -> dict:
    """The checkpoint dict at ``path`` holding every key in ``need``, or CheckpointError.

    ``advice`` ends the message (what to do); a generic one is used by default.
    """
    path = Path(path)
    advice = advice or "restore a good copy or point to another checkpoint"
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"{path} is not a regular file (a directory?): {advice}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path} is empty (0 bytes; an interrupted copy or a full disk?): "
                              f"{advice}")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=False)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001  (torch raises RuntimeError, UnpicklingError, EOFError...)
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated or corrupt: "
                              f"{type(exc).__name__}: {_first_line(exc)}): {advice}") from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(f"{path} holds a {type(ckpt).__name__}, not a zerogo checkpoint "
                              f"dict: {advice}")
    if "model" not in ckpt and ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise CheckpointError(f"{path} holds bare weights (a state_dict), not a zerogo checkpoint "
                              f"with a config: save it with nets.model.save_checkpoint, or "
                              f"{advice}")
    missing = [k for k in need if k not in ckpt]
    if missing:
        raise CheckpointError(f"{path} lacks {', '.join(missing)}: {advice}")
    return ckpt


def load_weights(model, state: dict, path) -> None:
    """``model.load_state_dict(state)``, CheckpointError when the shapes or names do not fit."""
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path}: the weights do not fit the network "
                              f"({_first_line(exc)})") from None


def atomic_save(obj, path) -> None:
    """torch.save through ``NAME.tmp``, fsync and os.replace; no temporary file is ever left behind."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save(obj, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(exc, (OSError, RuntimeError)):   # torch wraps write errors in RuntimeError
            raise CheckpointError(f"cannot write checkpoint {path} ({_first_line(exc)}; disk "
                                  "full?): the previous checkpoint, if any, is kept; free space "
                                  "and run again to resume from it") from None
        raise
