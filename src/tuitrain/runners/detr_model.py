"""The DETR model of the runner: the seed's ``Detr`` LightningModule, the model it wraps
(pretrained from the local cache, else a tiny one from scratch) and the data loaders.

Runs inside the training environment (torch, transformers, pytorch-lightning).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl  # type: ignore[import-not-found]
import torch  # type: ignore[import-not-found]
from torch.utils.data import DataLoader, Dataset  # type: ignore[import-not-found]

if TYPE_CHECKING:
    from tuitrain.runners.detr_data import Split
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from detr_data import Split

# Largest image side relative to the shortest, as DETR's processor has it (800 / 1333).
LONGEST_RATIO = 1333 / 800


def image_processor(image_size: int) -> Any:
    from transformers import DetrImageProcessor  # type: ignore[import-not-found]

    longest = max(image_size, round(image_size * LONGEST_RATIO))
    return DetrImageProcessor(size={"shortest_edge": image_size, "longest_edge": longest})


class CocoDetection(Dataset):  # type: ignore[misc]
    """Images of a split with their boxes as COCO annotations (``bbox`` = x, y, w, h)."""

    def __init__(self, split: Split) -> None:
        self.images = split.images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[Any, dict[str, Any]]:
        from PIL import Image

        path, _w, _h, boxes = self.images[index]
        with Image.open(path) as img:
            image = img.convert("RGB")
        annotations = [
            {"bbox": box, "category_id": label, "area": box[2] * box[3], "iscrowd": 0}
            for label, box in boxes
        ]
        return image, {"image_id": index, "annotations": annotations}


class Collate:
    """Batches of ``pixel_values``, ``pixel_mask`` and ``labels``: resized, normalised
    and padded by the processor. A class, not a closure: loader workers started by
    spawn or forkserver must pickle it."""

    def __init__(self, processor: Any) -> None:
        self.processor = processor

    def __call__(self, items: list[tuple[Any, dict[str, Any]]]) -> Any:
        images = [image for image, _ in items]
        targets = [target for _, target in items]
        return self.processor(images=images, annotations=targets, return_tensors="pt")


def make_loader(split: Split, processor: Any, batch_size: int, shuffle: bool, workers: int) -> Any:
    return DataLoader(
        CocoDetection(split),
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=workers,
        collate_fn=Collate(processor),
        persistent_workers=workers > 0,
    )


def tiny_config(id2label: dict[int, str], num_queries: int) -> Any:
    """A small DETR from scratch: a 4-stage basic ResNet (no pretrained weights, no
    timm), a 2+2-layer transformer of width 64."""
    from transformers import DetrConfig, ResNetConfig

    backbone = ResNetConfig(
        embedding_size=32,
        hidden_sizes=[32, 64, 128, 256],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=["stage4"],
    )
    return DetrConfig(
        backbone_config=backbone,
        d_model=64,
        encoder_layers=2,
        decoder_layers=2,
        encoder_ffn_dim=256,
        decoder_ffn_dim=256,
        encoder_attention_heads=4,
        decoder_attention_heads=4,
        num_queries=num_queries,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )


def build_model(checkpoint: str, id2label: dict[int, str], num_queries: int) -> tuple[Any, str]:
    """``(model, what was done)``: ``checkpoint`` when the local Hugging Face cache has
    it (never downloaded), else a tiny DETR from scratch."""
    from transformers import DetrForObjectDetection

    reason = "no checkpoint was asked for"
    if checkpoint:
        try:
            model = DetrForObjectDetection.from_pretrained(
                checkpoint,
                id2label=id2label,
                label2id={v: k for k, v in id2label.items()},
                ignore_mismatched_sizes=True,
                local_files_only=True,
            )
            return model, f"DETR: fine-tuning {checkpoint} from the local cache"
        except (OSError, ValueError, ImportError, RuntimeError) as exc:
            reason = f"{checkpoint} is not usable offline ({str(exc).splitlines()[0][:200]})"
    model = DetrForObjectDetection(tiny_config(id2label, num_queries))
    # transformers freezes a ResNet backbone's first stages, as for pretrained weights;
    # random ones must learn.
    model.model.unfreeze_backbone()
    return model, f"DETR: {reason}; training a tiny DETR from scratch instead"


class Detr(pl.LightningModule):  # type: ignore[misc]
    """The seed's module: DETR's loss (Hungarian matching) on COCO batches, AdamW with a
    lower learning rate for the backbone."""

    def __init__(
        self,
        lr: float,
        lr_backbone: float,
        weight_decay: float,
        id2label: dict[int, str],
        batch_size: int,
        freeze_backbone: bool,
        model: Any,
    ) -> None:
        super().__init__()
        self.model = model
        self.lr = lr
        self.lr_backbone = lr_backbone
        self.weight_decay = weight_decay
        self.id2label = id2label
        self.batch_size = batch_size
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            for name, param in self.model.named_parameters():
                if "backbone" in name:
                    param.requires_grad_(False)

    def forward(self, pixel_values: Any, pixel_mask: Any) -> Any:
        return self.model(pixel_values=pixel_values, pixel_mask=pixel_mask)

    def common_step(self, batch: Any) -> tuple[Any, dict[str, Any]]:
        outputs = self.model(
            pixel_values=batch["pixel_values"],
            pixel_mask=batch["pixel_mask"],
            labels=list(batch["labels"]),
        )
        return outputs.loss, outputs.loss_dict

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        loss, loss_dict = self.common_step(batch)
        size = len(batch["labels"])
        self.log("train_loss", loss, on_step=True, on_epoch=True, prog_bar=True, batch_size=size)
        for key, value in loss_dict.items():
            self.log(f"train_{key}", value.item(), on_step=False, on_epoch=True, batch_size=size)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> Any:
        loss, loss_dict = self.common_step(batch)
        size = len(batch["labels"])
        self.log("val_loss", loss, on_epoch=True, prog_bar=True, batch_size=size)
        for key, value in loss_dict.items():
            self.log(f"val_{key}", value.item(), on_epoch=True, batch_size=size)
        return loss

    def configure_optimizers(self) -> Any:
        named = [(n, p) for n, p in self.named_parameters() if p.requires_grad]
        groups: list[dict[str, Any]] = [
            {"params": [p for n, p in named if "backbone" not in n], "name": "transformer"},
            {
                "params": [p for n, p in named if "backbone" in n],
                "lr": self.lr_backbone,
                "name": "backbone",
            },
        ]
        groups = [g for g in groups if g["params"]]
        return torch.optim.AdamW(groups, lr=self.lr, weight_decay=self.weight_decay)
