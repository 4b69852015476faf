"""One training step: learning-rate schedule, the optimiser, targets (game and teacher mix), the losses.

Policy: cross-entropy against the search (or teacher) policy; value: MSE
against the result; score: Huber on the margin / ``SCORE_SCALE``; ownership:
per-point MSE on the board; each weighted by ``TrainSettings``; policy, score
and ownership count only the rows where the shard has that target. ``nets.train.Trainer`` runs these once per batch.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from engine.runtimes import cpu_flags
from nets.model import SCORE_SCALE
from nets.train_settings import TrainSettings


def lr_at(step: int, s: TrainSettings) -> float:
    """The learning rate for ``step`` (linear warm-up, then the schedule)."""
    if step < s.warmup_steps:
        return s.lr * (step + 1) / s.warmup_steps
    frac = min(1.0, step / max(1, s.steps))
    if s.lr_schedule == "cosine":
        return s.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
    if s.lr_schedule == "step":
        return s.lr * (0.1 ** ((frac >= 0.5) + (frac >= 0.75)))
    return s.lr


def teacher_targets(batch: dict, mix: float) -> dict:
    """``batch`` with value, score and ownership targets blended with the teacher's.

    Where a row has teacher targets (``teacher_valid``): target = (1 - mix) *
    game target + mix * teacher target; where the game target is unknown
    (resigned or unfinished games: ``score_valid`` / ``ownership_valid`` 0) the
    teacher's alone, and the row becomes valid. Rows without a teacher keep
    their game targets. ``mix`` 0 returns the batch unchanged.
    """
    if mix <= 0 or "teacher_valid" not in batch:
        return batch
    tv = batch["teacher_valid"]
    m = mix * tv
    out = dict(batch)
    out["value"] = (1 - m) * batch["value"] + m * batch["teacher_value"]
    for key, valid in (("score", "score_valid"), ("ownership", "ownership_valid")):
        game, teach, gv = batch[key], batch["teacher_" + key], batch[valid]
        w = m if game.dim() == 1 else m[:, None, None]
        g = gv if game.dim() == 1 else gv[:, None, None]
        t = tv if game.dim() == 1 else tv[:, None, None]
        blended = (1 - w) * game + w * teach
        only_teacher = t * teach + (1 - t) * game
        out[key] = g * blended + (1 - g) * only_teacher
        out[valid] = torch.maximum(gv, tv)
    return out


def compute_losses(out: dict, batch: dict, s: TrainSettings) -> dict:
    """Weighted losses of the model outputs ``out`` against a torch ``batch``.

    Each term is averaged over the batch (rows without a valid target count
    zero), so every process of a DDP run weighs its rows alike. Teacher
    targets are blended in by ``teacher_targets`` (``s.teacher_mix``).
    """
    batch = teacher_targets(batch, s.teacher_mix)
    n = batch["value"].shape[0]
    logp = F.log_softmax(out["policy_logits"].float(), dim=1)
    policy = -(batch["policy"] * logp).sum(1)
    policy = (policy * batch["policy_valid"]).sum() / n
    value = F.mse_loss(out["value"].float(), batch["value"])
    score = F.smooth_l1_loss(out["score_lead"].float() / SCORE_SCALE,
                             batch["score"] / SCORE_SCALE, reduction="none")
    score = (score * batch["score_valid"]).sum() / n
    mask = batch["planes"][:, 0]
    own = ((out["ownership"].float() - batch["ownership"]) ** 2 * mask).sum((1, 2))
    own = (own / mask.sum((1, 2)).clamp(min=1) * batch["ownership_valid"]).sum() / n
    total = (s.policy_weight * policy + s.value_weight * value + s.score_weight * score
             + s.ownership_weight * own)
    return {"loss": total, "loss_policy": policy, "loss_value": value,
            "loss_score": score, "loss_ownership": own}


def to_torch(batch: dict, device) -> dict:
    """Numpy batch arrays to float32 tensors on ``device``."""
    return {k: torch.from_numpy(np.asarray(v, np.float32)).to(device) for k, v in batch.items()}


def autocast_dtype(device_type: str, amp: bool, flags: frozenset[str] | None = None,
                   gpu_bf16: bool | None = None) -> torch.dtype | None:
    """The mixed precision a training step runs in: bf16 on a GPU that has it, else fp16; bf16 on a
    CPU with AMX-BF16, else None (fp32).

    bf16 keeps fp32's range, so no loss scaling and no overflow in the heads;
    GPUs before Ampere lack it and get fp16 with a loss scaler. A CPU without
    AMX would emulate bf16 matrix products and train slower than in fp32, so
    it keeps fp32. ``flags`` defaults to this CPU's, ``gpu_bf16`` to this GPU's.
    """
    if not amp:
        return None
    if device_type == "cuda":
        if gpu_bf16 is None:
            gpu_bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return torch.bfloat16 if gpu_bf16 else torch.float16
    if device_type == "cpu" and "amx_bf16" in (cpu_flags() if flags is None else flags):
        return torch.bfloat16
    return None


def train_step(model, optimizer, batch: dict, s: TrainSettings, scaler=None,
               dtype: torch.dtype | None = None) -> dict:
    """One optimiser step on a torch batch; returns the loss terms as floats.

    ``dtype`` (see ``autocast_dtype``) runs the forward pass under autocast;
    an enabled ``scaler`` (fp16 on an older GPU) scales the loss; bf16 needs none.
    """
    model.train()
    optimizer.zero_grad(set_to_none=True)
    device_type = batch["planes"].device.type
    with torch.autocast(device_type, dtype=dtype or torch.float32, enabled=dtype is not None):
        out = model(batch["planes"], batch["globals"])
    losses = compute_losses(out, batch, s)
    if scaler is not None and scaler.is_enabled():
        scaler.scale(losses["loss"]).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        losses["loss"].backward()
        optimizer.step()
    return {k: float(v.detach()) for k, v in losses.items()}


def make_optimizer(model, s: TrainSettings):
    """SGD with Nesterov momentum or AdamW, weight decay on weights only (not biases/BN)."""
    decay = [p for p in model.parameters() if p.ndim > 1]
    other = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": s.weight_decay},
              {"params": other, "weight_decay": 0.0}]
    if s.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=s.lr)
    return torch.optim.SGD(groups, lr=s.lr, momentum=s.momentum, nesterov=True)
