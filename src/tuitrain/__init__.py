"""tuitrain: launch, follow and compare trainings from the terminal."""

__version__ = "0.1.0"
