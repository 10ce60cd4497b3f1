"""Values every metric source produces: metric points and training progress.

Immutable named tuples, shared by stdout parsers, structured-file readers and the
manager. They are built for every console line a run prints, so they are cheap: hot
paths may even build them with ``tuple.__new__(MetricPoint, (name, value, step, epoch,
wall_time))``, which skips the Python-level constructor.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class MetricPoint(NamedTuple):
    """One scalar of a run, e.g. ``train/box_loss`` at epoch 3."""

    name: str
    value: float
    step: int | None = None
    epoch: int | None = None
    wall_time: float | None = None


class Progress(NamedTuple):
    """Where a run stands. Epochs are 1-based counts done/total as the tool prints them.

    ``step``/``total_steps`` are the batch position inside the current epoch when
    ``epoch`` is known, else the global step (RAVE, max_steps runs).
    """

    epoch: int | None = None
    total_epochs: int | None = None
    step: int | None = None
    total_steps: int | None = None
    rate: float | None = None  # iterations per second, as the bar shows it
    eta_s: float | None = None  # seconds left for the whole run, when the tool tells

    @property
    def fraction(self) -> float | None:
        """Overall completion in [0, 1], or None when totals are unknown."""
        if self.epoch is not None and self.total_epochs:
            inner = 0.0
            if self.step is not None and self.total_steps:
                inner = min(self.step / self.total_steps, 1.0)
            done = (self.epoch - 1) + inner
            return max(0.0, min(done / self.total_epochs, 1.0))
        if self.step is not None and self.total_steps:
            return max(0.0, min(self.step / self.total_steps, 1.0))
        return None

    def to_json(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Progress | None:
        if not data:
            return None
        fields = {k: data.get(k) for k in cls._fields}
        return cls(**fields)
