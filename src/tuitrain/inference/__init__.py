"""Trying a trained model on images: the model is loaded once in its framework's
environment (``runners/predict.py``) and answers image after image.

No ML library is imported here; the runner does that in its own process.
"""

from tuitrain.inference.batch import PredictOptions, predict_images
from tuitrain.inference.images import collect_images
from tuitrain.inference.models import (
    ModelLookupError,
    PredictableModel,
    find_model,
    predictable_models,
)
from tuitrain.inference.predictor import Predictor, PredictorError
from tuitrain.inference.results import Box, ImageResult, RunnerReady

__all__ = [
    "Box",
    "ImageResult",
    "ModelLookupError",
    "PredictOptions",
    "PredictableModel",
    "Predictor",
    "PredictorError",
    "RunnerReady",
    "collect_images",
    "find_model",
    "predict_images",
    "predictable_models",
]
