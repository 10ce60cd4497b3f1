"""How a run reads to a person: progress, ETA, durations (shared by CLI and TUI)."""

from __future__ import annotations

import json
import time
from typing import Any

from tuitrain.metrics import Progress
from tuitrain.store.models import Experiment


def progress_of(exp: Experiment) -> Progress | None:
    try:
        return Progress.from_json(json.loads(exp.progress_json or "{}"))
    except (ValueError, TypeError):
        return None


def fraction_done(exp: Experiment, progress: Progress | None) -> float | None:
    """Overall completion: all of it once the run COMPLETED, whatever the tool's last
    progress line said (it may have been printed at the start of the last epoch)."""
    if exp.status == "COMPLETED":
        return 1.0
    return progress.fraction if progress is not None else None


def eta_seconds(
    exp: Experiment, progress: Progress | None, at: float | None = None
) -> float | None:
    """The tool's own estimate when it gives one, else elapsed time scaled by progress."""
    if progress is None or exp.completed_at is not None:
        return None
    if progress.eta_s is not None:
        return max(0.0, progress.eta_s)
    fraction = progress.fraction
    if not fraction or exp.started_at is None:
        return None
    elapsed = (at or time.time()) - exp.started_at
    return max(0.0, elapsed * (1 - fraction) / fraction)


def duration_seconds(exp: Experiment, at: float | None = None) -> float | None:
    if exp.started_at is None:
        return None
    end = exp.completed_at or at or time.time()
    return max(0.0, end - exp.started_at)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def progress_text(progress: Progress | None) -> str:
    if progress is None:
        return "-"
    if progress.epoch is not None:
        text = f"epoch {progress.epoch}/{progress.total_epochs or '?'}"
        if progress.step is not None:
            text += f" step {progress.step}/{progress.total_steps or '?'}"
        return text
    if progress.step is not None:
        return f"step {progress.step}/{progress.total_steps or '?'}"
    return "-"


def describe(exp: Experiment, last_metrics: dict[str, float]) -> dict[str, Any]:
    """The JSON document of ``tuitrain show --json``."""
    progress = progress_of(exp)
    return {
        "id": exp.id,
        "name": exp.name,
        "framework": exp.framework,
        "host": exp.host,
        "status": exp.status,
        "exit_code": exp.exit_code,
        "error_summary": exp.error_summary,
        "pid": exp.pid,
        "run_dir": exp.run_dir,
        "created_at": exp.created_at,
        "started_at": exp.started_at,
        "completed_at": exp.completed_at,
        "duration_s": duration_seconds(exp),
        "progress": None
        if progress is None
        else {
            **progress.to_json(),
            "fraction": fraction_done(exp, progress),
            "eta_s": eta_seconds(exp, progress),
        },
        "metrics": last_metrics,
        "config": json.loads(exp.config_json or "{}"),
        "restarted_from": exp.restarted_from,
    }
