"""DETR training with transformers and PyTorch Lightning: the seed's flow.

Runs inside the training environment (torch, transformers, pytorch-lightning, scipy;
tuitrain is not installed there), as a script with its siblings beside it::

    python /path/to/tuitrain/runners/detr.py --data DATASET --epochs 2 --batch-size 2 ...

``TrainingConfig`` from the flags; :func:`prepare_dataset` returns the train and
validation loaders and ``id2label`` (a local COCO folder or a YOLO data.yaml, see
``detr_data.py``); the ``Detr`` LightningModule; :func:`initialize_trainer` with
``LearningRateMonitor``, checkpointing, the metrics emitter and a ``CSVLogger`` in the
run folder; ``fit``; then the final model (``torch.save``) at ``final_model_path`` and a
loss plot PNG at ``loss_plot_path``.

Failures that can be told before training end it at once with one clear line: scipy
missing (DETR's Hungarian matcher needs it), a dataset that cannot be read. Pretrained
weights come from the local Hugging Face cache only (``HF_HUB_OFFLINE=1``): never a
download, and a tiny model from scratch when they are not there.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuitrain.runners.detr_data import DatasetProblem, load_detection_data
    from tuitrain.runners.emit import MetricsWriter
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from detr_data import DatasetProblem, load_detection_data
    from emit import MetricsWriter

DEFAULT_CHECKPOINT = "facebook/detr-resnet-50"
MIN_QUERIES = 20


@dataclass
class TrainingConfig:
    data: str
    epochs: int = 50
    batch_size: int = 4
    lr: float = 1e-4
    lr_backbone: float = 1e-5
    weight_decay: float = 1e-4
    freeze_backbone: bool = False
    device: str = "auto"
    checkpoint: str = DEFAULT_CHECKPOINT
    image_size: int = 800
    workers: int = 0
    run_dir: str = "."
    final_model_path: str = ""
    loss_plot_path: str = ""

    @classmethod
    def from_args(cls, argv: list[str]) -> TrainingConfig:
        ap = argparse.ArgumentParser(prog="detr.py", description="DETR training for tuitrain")
        ap.add_argument("--data", required=True, help="a COCO folder or a YOLO data.yaml")
        ap.add_argument("--epochs", type=int, default=cls.epochs)
        ap.add_argument("--batch-size", type=int, default=cls.batch_size)
        ap.add_argument("--lr", type=float, default=cls.lr)
        ap.add_argument("--lr-backbone", type=float, default=cls.lr_backbone)
        ap.add_argument("--weight-decay", type=float, default=cls.weight_decay)
        ap.add_argument("--freeze-backbone", action=argparse.BooleanOptionalAction, default=False)
        ap.add_argument("--device", default=cls.device, help="auto, cpu or GPU ids (0,1)")
        ap.add_argument("--checkpoint", default=cls.checkpoint, help="'' trains from scratch")
        ap.add_argument("--image-size", type=int, default=cls.image_size)
        ap.add_argument("--workers", type=int, default=cls.workers)
        ap.add_argument("--final-model-path", default="")
        ap.add_argument("--loss-plot-path", default="")
        args = ap.parse_args(argv)
        run_dir = os.environ.get("TUITRAIN_RUN_DIR") or os.getcwd()
        return cls(
            data=args.data,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            lr_backbone=args.lr_backbone,
            weight_decay=args.weight_decay,
            freeze_backbone=args.freeze_backbone,
            device=args.device,
            checkpoint=args.checkpoint,
            image_size=args.image_size,
            workers=args.workers,
            run_dir=run_dir,
            final_model_path=args.final_model_path or os.path.join(run_dir, "final_model.pt"),
            loss_plot_path=args.loss_plot_path or os.path.join(run_dir, "loss_plot.png"),
        )


def check_requirements() -> str | None:
    """Why training cannot start in this interpreter, or None. Only what would fail
    later, mid-epoch: DETR's Hungarian matcher imports scipy at the first loss."""
    try:
        import scipy.optimize  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
    except ImportError as exc:
        return (
            f"DETR needs scipy (its Hungarian matcher uses scipy.optimize) and it cannot be "
            f"imported here ({exc}): install it with {sys.executable} -m pip install scipy"
        )
    return None


def prepare_dataset(config: TrainingConfig) -> tuple[Any, Any, dict[str, Any]]:
    """Train and validation loaders, and ``id2label``."""
    # torch and transformers: imported only once the checks passed
    from detr_model import image_processor, make_loader  # type: ignore[import-not-found]

    data = load_detection_data(config.data)
    processor = image_processor(config.image_size)
    train = make_loader(data.train, processor, config.batch_size, True, config.workers)
    val = make_loader(data.val, processor, config.batch_size, False, config.workers)
    print(
        f"dataset: {len(data.train.images)} train, {len(data.val.images)} val images, "
        f"classes {data.id2label}",
        flush=True,
    )
    most = max((len(boxes) for *_, boxes in data.train.images), default=0)
    return train, val, {"id2label": data.id2label, "max_boxes": most}


def accelerator_of(device: str) -> tuple[str, Any]:
    if device == "cpu":
        return "cpu", 1
    if device == "auto":
        return "auto", 1
    return "gpu", [int(d) for d in device.split(",")]


def initialize_trainer(config: TrainingConfig, emitter: Any, steps_per_epoch: int) -> Any:
    import pytorch_lightning as pl  # type: ignore[import-not-found]
    from pytorch_lightning.callbacks import (  # type: ignore[import-not-found]
        LearningRateMonitor,
        ModelCheckpoint,
        TQDMProgressBar,
    )
    from pytorch_lightning.loggers import CSVLogger  # type: ignore[import-not-found]

    accelerator, devices = accelerator_of(config.device)
    checkpoints = ModelCheckpoint(
        dirpath=os.path.join(config.run_dir, "checkpoints"),
        filename="detr-{epoch}",
        monitor="val_loss",
        save_top_k=1,
        save_last=True,
    )
    return pl.Trainer(
        max_epochs=config.epochs,
        accelerator=accelerator,
        devices=devices,
        callbacks=[
            LearningRateMonitor(logging_interval="step"),
            checkpoints,
            emitter,
            TQDMProgressBar(refresh_rate=1),
        ],
        logger=CSVLogger(config.run_dir, name="lightning_logs", flush_logs_every_n_steps=10),
        log_every_n_steps=max(1, min(50, steps_per_epoch)),
        gradient_clip_val=0.1,
    )


def main(argv: list[str]) -> int:
    config = TrainingConfig.from_args(argv)
    problem = check_requirements()
    if problem:
        print(problem, file=sys.stderr, flush=True)
        return 1
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        train_loader, val_loader, info = prepare_dataset(config)
    except DatasetProblem as exc:
        print(f"dataset error: {exc}", file=sys.stderr, flush=True)
        return 2
    import torch  # type: ignore[import-not-found]
    from detr_metrics import MetricsEmitter, plot_losses  # type: ignore[import-not-found]
    from detr_model import Detr, build_model  # type: ignore[import-not-found,unused-ignore]

    id2label = info["id2label"]
    queries = max(MIN_QUERIES, info["max_boxes"])
    model, message = build_model(config.checkpoint, id2label, queries)
    print(message, flush=True)
    module = Detr(
        lr=config.lr,
        lr_backbone=config.lr_backbone,
        weight_decay=config.weight_decay,
        id2label=id2label,
        batch_size=config.batch_size,
        freeze_backbone=config.freeze_backbone,
        model=model,
    )
    with MetricsWriter(os.path.join(config.run_dir, "metrics.jsonl")) as writer:
        emitter = MetricsEmitter(writer)
        trainer = initialize_trainer(config, emitter, len(train_loader))
        trainer.fit(module, train_dataloaders=train_loader, val_dataloaders=val_loader)
    os.makedirs(os.path.dirname(os.path.abspath(config.final_model_path)), exist_ok=True)
    torch.save(
        {
            "model_state_dict": module.model.state_dict(),
            "config": module.model.config.to_dict(),
            "id2label": id2label,
            "image_size": config.image_size,
        },
        config.final_model_path,
    )
    plot_losses(emitter, config.loss_plot_path)
    print(f"final model: {config.final_model_path}\nloss plot: {config.loss_plot_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
