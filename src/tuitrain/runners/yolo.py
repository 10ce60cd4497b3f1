"""YOLO training through the Ultralytics API, with structured metrics for tuitrain.

Runs inside the training environment (Ultralytics and torch installed, tuitrain not):
standard library and Ultralytics only, ``emit.py`` imported as a sibling file::

    python /path/to/tuitrain/runners/yolo.py model=yolo11n.yaml data=data.yaml epochs=2 ...

The arguments are Ultralytics' own ``key=value`` pairs, read as its CLI reads them,
and handed to ``YOLO(model).train(**kwargs)``. Callbacks append to
``$TUITRAIN_RUN_DIR/metrics.jsonl`` (the run folder, else the working directory):

- per epoch (``epoch`` 1-based, as in ``results.csv``, with the same names):
  ``train/box_loss``, ``train/cls_loss``, ``train/dfl_loss``, ``metrics/precision(B)``,
  ``metrics/recall(B)``, ``metrics/mAP50(B)``, ``metrics/mAP50-95(B)``,
  ``val/box_loss``, ``val/cls_loss``, ``val/dfl_loss`` and ``lr/pg0``.. (each group);
- per sampled batch (``step``: global batch count): ``batch/loss``, ``batch/<loss item>``
  and ``batch/lr``, with progress (epoch/total, batch/total, rate, ETA);
- once, after the final validation of ``best.pt``: its metrics as ``final/mAP50(B)``...
  (no epoch), as tuitrain's Ultralytics console parser names them.
  Ultralytics reports that validation through one more ``on_fit_epoch_end`` (with its
  epoch counter raised by one); it is told apart from a real epoch because no
  ``on_train_epoch_end`` came before it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuitrain.runners.emit import MetricsWriter
else:  # inside the training environment: the sibling file
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from emit import MetricsWriter

# Per-batch points per epoch, at most (plus the last batch of each epoch).
BATCH_SAMPLES = 50


def parse_args(argv: list[str]) -> dict[str, Any]:
    """``key=value`` pairs as Ultralytics' CLI reads them (``smart_value``)."""
    from ultralytics.cfg import smart_value  # type: ignore[import-not-found]

    kwargs: dict[str, Any] = {}
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep or not key:
            raise SystemExit(f"yolo runner: expected key=value, got {arg!r}")
        kwargs[key.strip()] = smart_value(value.strip())
    if "model" not in kwargs or "data" not in kwargs:
        raise SystemExit("yolo runner: model=... and data=... are required")
    return kwargs


def final_name(name: str) -> str:
    """``metrics/mAP50(B)`` -> ``final/mAP50(B)``."""
    return "final/" + name.removeprefix("metrics/")


class MetricCallbacks:
    """Ultralytics callbacks writing ``metrics.jsonl``."""

    def __init__(self, writer: MetricsWriter) -> None:
        self.writer = writer
        self.batch = 0  # batches done in the current epoch
        self.global_step = 0
        self.epoch_ended: int | None = None  # trainer.epoch of the last on_train_epoch_end
        self.started = time.monotonic()

    def attach(self, model: Any) -> None:
        model.add_callback("on_train_epoch_start", self.on_train_epoch_start)
        model.add_callback("on_train_batch_end", self.on_train_batch_end)
        model.add_callback("on_train_epoch_end", self.on_train_epoch_end)
        model.add_callback("on_fit_epoch_end", self.on_fit_epoch_end)

    def on_train_epoch_start(self, trainer: Any) -> None:
        self.batch = 0
        self.epoch_started = time.monotonic()

    def on_train_batch_end(self, trainer: Any) -> None:
        self.batch += 1
        self.global_step += 1
        total = len(trainer.train_loader)
        every = max(1, total // BATCH_SAMPLES)
        if self.batch % every and self.batch != total:
            return
        items = {f"batch/{k}": float(v) for k, v in dict(trainer.loss_items or {}).items()}
        metrics: dict[str, Any] = dict(items)
        if items:
            metrics["batch/loss"] = sum(items.values())
        metrics["batch/lr"] = trainer.optimizer.param_groups[0]["lr"]
        self.writer.log(
            metrics,
            step=self.global_step,
            epoch=trainer.epoch + 1,
            progress=self._progress(trainer, total),
        )

    def _progress(self, trainer: Any, total: int) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.epoch_started, 1e-9)
        rate = self.batch / elapsed
        left = (total - self.batch) + (trainer.epochs - trainer.epoch - 1) * total
        return {
            "epoch": trainer.epoch + 1,
            "total_epochs": trainer.epochs,
            "step": self.batch,
            "total_steps": total,
            "rate": rate,
            "eta_s": left / rate if rate > 0 else None,
        }

    def on_train_epoch_end(self, trainer: Any) -> None:
        self.epoch_ended = trainer.epoch

    def on_fit_epoch_end(self, trainer: Any) -> None:
        metrics = {k: v for k, v in dict(trainer.metrics or {}).items() if k != "fitness"}
        if trainer.epoch != self.epoch_ended:
            # The final validation of best.pt: not an epoch. Named as tuitrain's
            # console parser names it (final/mAP50(B)), so the two sources agree.
            self.writer.log({final_name(k): v for k, v in metrics.items()})
            return
        losses = trainer.label_loss_items(trainer.tloss) if trainer.tloss else {}
        record = {**losses, **metrics, **dict(trainer.lr or {})}
        self.writer.log(
            record,
            epoch=trainer.epoch + 1,
            # The epoch is done: all its batches (else it would read as just begun).
            progress={
                "epoch": trainer.epoch + 1,
                "total_epochs": trainer.epochs,
                "step": len(trainer.train_loader),
                "total_steps": len(trainer.train_loader),
            },
        )


def main(argv: list[str]) -> int:
    run_dir = os.environ.get("TUITRAIN_RUN_DIR") or os.getcwd()
    # Ultralytics writes its settings file at import: keep it out of the user's home
    # (and out of other runs' way) unless one was chosen.
    os.environ.setdefault("YOLO_CONFIG_DIR", os.path.join(run_dir, ".ultralytics"))
    kwargs = parse_args(argv)
    if "project" in kwargs:
        # Through the API, Ultralytics nests a relative project under runs/detect/.
        kwargs["project"] = os.path.join(run_dir, os.path.expanduser(str(kwargs["project"])))
    from ultralytics import YOLO  # type: ignore[import-not-found]

    model = YOLO(kwargs.pop("model"))
    with MetricsWriter(os.path.join(run_dir, "metrics.jsonl")) as writer:
        MetricCallbacks(writer).attach(model)
        model.train(**kwargs)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
