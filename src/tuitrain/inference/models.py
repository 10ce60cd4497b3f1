"""Which trained models can be tried on images: weights of COMPLETED runs, still on disk
here or registered by a run of an SSH host (fetched once into a local cache before use,
see ``fetching.py``).

A model is named by its id in the models table (``tuitrain models``) or by a path to a
weights file; a path the table knows keeps its framework, an unknown one is YOLO
unless told otherwise.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tuitrain.hosts.config import LOCAL
from tuitrain.runs.states import RunStatus
from tuitrain.store.experiments import ExperimentStore, UnknownExperiment
from tuitrain.store.models import Experiment, TrainedModel

FRAMEWORKS = ("yolo", "detr")
WEIGHT_SUFFIXES = (".pt", ".pth")


class ModelLookupError(ValueError):
    """The model cannot be used for inference; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class PredictableModel:
    """A weights file the inference runner can load."""

    path: str
    framework: str
    name: str
    id: int | None = None
    experiment_id: int | None = None
    experiment_name: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    host: str = LOCAL  # another host: ``path`` is on that host until fetched
    fetched: bool = False  # ``path`` is the local copy of the host's file

    @property
    def is_remote(self) -> bool:
        return self.host != LOCAL

    def title(self) -> str:
        if self.id is None:
            return f"{self.framework} {self.path}"
        where = f" on {self.host}" if self.is_remote else ""
        return f"model {self.id} ({self.framework} {self.name} of run {self.experiment_id}{where})"


def _framework(name: str) -> str:
    return {"ultralytics": "yolo"}.get(name.lower(), name.lower())


def _why_not(model: TrainedModel, exp: Experiment | None) -> str | None:
    """Why a registered model cannot be used, or None."""
    framework = _framework(model.framework)
    if framework not in FRAMEWORKS:
        return f"model {model.id} is a {model.framework} model: inference takes YOLO or DETR"
    if not model.path.endswith(WEIGHT_SUFFIXES):
        return f"model {model.id} ({model.name}) is not a weights file"
    if exp is None or exp.status != RunStatus.COMPLETED:
        status = exp.status if exp is not None else "deleted"
        return f"model {model.id} comes from run {model.experiment_id}, which is {status}"
    if exp.host == LOCAL and not os.path.isfile(model.path):
        return f"model {model.id}: its weights file is gone ({model.path})"
    return None


def _experiment(store: ExperimentStore, experiment_id: int | None) -> Experiment | None:
    if experiment_id is None:
        return None
    try:
        return store.get(experiment_id)
    except UnknownExperiment:
        return None


def _predictable(model: TrainedModel, exp: Experiment | None) -> PredictableModel:
    try:
        metrics = {
            k: float(v) for k, v in json.loads(model.metrics_json or "{}").items() if v is not None
        }
    except (ValueError, TypeError, AttributeError):
        metrics = {}
    return PredictableModel(
        path=model.path,
        framework=_framework(model.framework),
        name=model.name,
        id=model.id,
        experiment_id=model.experiment_id,
        experiment_name=exp.name if exp is not None else "",
        metrics=metrics,
        host=exp.host if exp is not None else LOCAL,
    )


def predictable_models(store: ExperimentStore) -> list[PredictableModel]:
    """Every registered model that can be used now: the newest run's first, each run's
    in the order it registered them (YOLO's best.pt before last.pt)."""
    out = []
    newest_first = sorted(store.models(), key=lambda m: (-(m.experiment_id or 0), m.id or 0))
    for model in newest_first:
        exp = _experiment(store, model.experiment_id)
        if _why_not(model, exp) is None:
            out.append(_predictable(model, exp))
    return out


def find_model(store: ExperimentStore, spec: str, framework: str | None = None) -> PredictableModel:
    """The model named by ``spec``: a model id, or a path to a weights file."""
    if framework is not None and framework not in FRAMEWORKS:
        raise ModelLookupError(f"unknown framework {framework!r}: yolo or detr")
    if spec.strip().isdigit():
        model_id = int(spec)
        found = [m for m in store.models() if m.id == model_id]
        if not found:
            raise ModelLookupError(f"no model {model_id} (see tuitrain models)")
        exp = _experiment(store, found[0].experiment_id)
        why = _why_not(found[0], exp)
        if why:
            raise ModelLookupError(why)
        return _predictable(found[0], exp)
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ModelLookupError(f"no such model file: {spec} (give a model id or a weights file)")
    path = path.resolve()
    known = [m for m in store.models() if os.path.abspath(m.path) == str(path)]
    guess = _framework(known[-1].framework) if known else "yolo"
    chosen = framework or guess
    if chosen not in FRAMEWORKS:
        raise ModelLookupError(f"{path} is a {chosen} model: inference takes YOLO or DETR")
    return PredictableModel(path=str(path), framework=chosen, name=path.name)
