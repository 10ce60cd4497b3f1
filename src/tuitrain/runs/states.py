"""Run states, as a supervisor would have them: explicit, with allowed transitions."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    PENDING = "PENDING"
    QUEUED = "QUEUED"
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"
    LOST = "LOST"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_active(self) -> bool:
        """The process may exist (or be about to)."""
        return self in (RunStatus.STARTING, RunStatus.RUNNING)


TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.STOPPED, RunStatus.LOST})

_ALLOWED: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.PENDING: frozenset(
        {RunStatus.QUEUED, RunStatus.STARTING, RunStatus.FAILED, RunStatus.STOPPED}
    ),
    RunStatus.QUEUED: frozenset({RunStatus.STARTING, RunStatus.FAILED, RunStatus.STOPPED}),
    RunStatus.STARTING: frozenset({RunStatus.RUNNING} | TERMINAL),
    RunStatus.RUNNING: TERMINAL,
    # A LOST run whose exit-code file shows up later (an unreachable host came back)
    # is corrected to what really happened.
    RunStatus.LOST: frozenset({RunStatus.COMPLETED, RunStatus.FAILED}),
    RunStatus.COMPLETED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.STOPPED: frozenset(),
}


class InvalidTransition(ValueError):
    pass


def check_transition(current: RunStatus, new: RunStatus) -> None:
    if new not in _ALLOWED[current]:
        raise InvalidTransition(f"cannot go from {current} to {new}")
