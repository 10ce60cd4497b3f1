"""What a completed run produced, registered as models with their metrics.

- YOLO: ``weights/best.pt`` with the metrics of its final validation (``final/...``,
  named back ``metrics/...``; the last epoch's when there was none) and
  ``weights/last.pt`` with the last epoch's;
- DETR: the runner's ``final_model.pt`` and ``loss_plot.png`` with the last values of
  the run's metrics;
- RAVE: its checkpoints (``*.ckpt``), with the last values of the run's metrics.

Metrics come from the run's summary (the last value of each metric, as the manager
settled it), so nothing here reads a framework's files or imports its libraries; files
are only listed, through the run's executor.
"""

from __future__ import annotations

import glob
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import NamedTuple

from tuitrain.store.experiments import ExperimentStore
from tuitrain.store.models import Experiment

log = logging.getLogger(__name__)

ListFiles = Callable[[str, str], list[str]]
YOLO_EPOCH_PREFIXES = ("train/", "val/", "metrics/", "lr/")
FINAL_PREFIX = "final/"
DETR_FILES = ("final_model.pt", "loss_plot.png")


class Artifact(NamedTuple):
    name: str
    path: str
    metrics: dict[str, float]


def _local_files(folder: str, pattern: str) -> list[str]:
    return sorted(glob.glob(os.path.join(glob.escape(folder), pattern), recursive=True))


def collect_artifacts(
    framework: str,
    run_dir: str,
    summary: Mapping[str, float] | None = None,
    list_files: ListFiles = _local_files,
) -> list[Artifact]:
    """The artifacts of a finished run of ``framework`` in ``run_dir``."""
    summary = dict(summary or {})
    kind = {"ultralytics": "yolo"}.get(framework.lower(), framework.lower())
    found: list[tuple[str, dict[str, float]]] = []
    if kind == "yolo":
        last = {k: v for k, v in summary.items() if k.startswith(YOLO_EPOCH_PREFIXES)}
        best = {_from_final(k): v for k, v in summary.items() if k.startswith(FINAL_PREFIX)}
        found += [(p, best or last) for p in list_files(run_dir, "**/weights/best.pt")]
        found += [(p, last) for p in list_files(run_dir, "**/weights/last.pt")]
    elif kind == "detr":
        for name in DETR_FILES:
            found += [(p, summary) for p in list_files(run_dir, name)]
    elif kind == "rave":
        found += [(p, summary) for p in list_files(run_dir, "**/*.ckpt")]
    return _named(found, run_dir)


def _from_final(name: str) -> str:
    """``final/mAP50(B)`` (the final validation of best.pt) -> ``metrics/mAP50(B)``,
    the name of the epochs' values."""
    rest = name[len(FINAL_PREFIX) :]
    return rest if "/" in rest else f"metrics/{rest}"


def _named(found: list[tuple[str, dict[str, float]]], run_dir: str) -> list[Artifact]:
    """File names, or paths inside the run folder where two files share a name."""
    names = [os.path.basename(p) for p, _ in found]
    out = []
    for (path, metrics), name in zip(found, names, strict=True):
        shown = name if names.count(name) == 1 else os.path.relpath(path, run_dir)
        out.append(Artifact(shown, path, dict(metrics)))
    return out


def register_artifacts(
    store: ExperimentStore, exp: Experiment, list_files: ListFiles = _local_files
) -> int:
    """Record the artifacts of a COMPLETED run as models; how many. Never raises: a
    run's end must be settled whatever its folder holds."""
    try:
        assert exp.id is not None
        summary = json.loads(exp.summary_metrics_json or "{}")
        found = collect_artifacts(exp.framework, exp.run_dir, summary, list_files)
        return len(store.add_models(exp.id, exp.framework, found))
    except Exception:
        log.exception("registering the models of run %s failed", exp.id)
        return 0
