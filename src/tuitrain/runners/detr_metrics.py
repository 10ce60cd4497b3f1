"""The DETR runner's metrics: a Lightning callback that writes ``metrics.jsonl`` and
keeps the loss history, and the loss plot drawn from that history.

Names are Lightning's own, as its ``CSVLogger`` writes them (``train_loss_step``,
``train_loss_epoch``, ``val_loss``, ``train_loss_ce``, ...; the learning rates as
``LearningRateMonitor`` names them, ``lr-AdamW/transformer``), and ``epoch`` is
Lightning's 0-based ``current_epoch``, so each value can be checked against
``metrics.csv``. Progress epochs are 1-based, as everywhere in tuitrain.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl  # type: ignore[import-not-found]

if TYPE_CHECKING:
    from tuitrain.runners.emit import MetricsWriter
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from emit import MetricsWriter

# Per-batch points per epoch, at most (plus the last batch of each epoch).
BATCH_SAMPLES = 50


def learning_rates(trainer: Any) -> dict[str, float]:
    """Each parameter group's learning rate, named as ``LearningRateMonitor`` does."""
    out: dict[str, float] = {}
    for optimizer in trainer.optimizers:
        name = f"lr-{type(optimizer).__name__}"
        groups = optimizer.param_groups
        for i, group in enumerate(groups):
            suffix = group.get("name") or ("" if len(groups) == 1 else f"pg{i + 1}")
            out[f"{name}/{suffix}" if suffix else name] = float(group["lr"])
    return out


class MetricsEmitter(pl.Callback):  # type: ignore[misc]
    """Sampled per-batch loss and learning rates with progress, then every epoch-level
    metric Lightning holds at the end of each training epoch (after validation)."""

    def __init__(self, writer: MetricsWriter) -> None:
        self.writer = writer
        self.step_losses: list[tuple[int, float]] = []
        self.epoch_losses: dict[str, list[tuple[int, float]]] = {}
        self.epoch_started = time.monotonic()

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self.epoch_started = time.monotonic()

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        total = int(trainer.num_training_batches)
        done = batch_idx + 1
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        value = float(loss.detach()) if loss is not None else float("nan")
        self.step_losses.append((trainer.global_step, value))
        if done % max(1, total // BATCH_SAMPLES) and done != total:
            return
        elapsed = max(time.monotonic() - self.epoch_started, 1e-9)
        rate = done / elapsed
        left = (total - done) + (trainer.max_epochs - trainer.current_epoch - 1) * total
        self.writer.log(
            {"train_loss_step": value, **learning_rates(trainer)},
            step=trainer.global_step,
            epoch=trainer.current_epoch,
            progress={
                "epoch": trainer.current_epoch + 1,
                "total_epochs": trainer.max_epochs,
                "step": done,
                "total_steps": total,
                "rate": rate,
                "eta_s": left / rate,
            },
        )

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        held = trainer.callback_metrics
        metrics = {
            k: float(v)
            for k, v in held.items()
            # Lightning also holds each on-step-and-epoch value under its bare name,
            # and the learning rates rounded to float32: those are written precisely.
            if not k.endswith("_step") and f"{k}_epoch" not in held and not k.startswith("lr-")
        }
        for key in ("train_loss_epoch", "val_loss"):
            if key in metrics:
                self.epoch_losses.setdefault(key, []).append((trainer.current_epoch, metrics[key]))
        self.writer.log(
            {**metrics, **learning_rates(trainer)},
            step=trainer.global_step,
            epoch=trainer.current_epoch,
            progress={"epoch": trainer.current_epoch + 1, "total_epochs": trainer.max_epochs},
        )


def plot_losses(emitter: MetricsEmitter, path: str) -> None:
    """The training loss per step and the epoch losses (train and validation), as PNG."""
    import matplotlib  # type: ignore[import-not-found,unused-ignore]

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-not-found,unused-ignore]

    fig, (steps, epochs) = plt.subplots(1, 2, figsize=(10, 4))
    if emitter.step_losses:
        xs, ys = zip(*emitter.step_losses, strict=True)
        steps.plot(xs, ys, linewidth=1)
    steps.set(title="training loss per step", xlabel="step", ylabel="loss")
    for key, points in emitter.epoch_losses.items():
        xs, ys = zip(*points, strict=True)
        epochs.plot(xs, ys, marker="o", label=key)
    epochs.set(title="loss per epoch", xlabel="epoch", ylabel="loss")
    if emitter.epoch_losses:
        epochs.legend()
    fig.tight_layout()
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
