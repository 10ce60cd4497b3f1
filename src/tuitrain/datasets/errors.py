"""Errors of the dataset domain. All are ``ValueError`` so the CLI prints them as one
line and exits 2."""

from __future__ import annotations


class DatasetError(ValueError):
    """Bad input or a state that forbids the operation; the message is one line."""


class UnknownDataset(DatasetError):
    def __init__(self, dataset_id: int) -> None:
        super().__init__(f"no dataset with id {dataset_id}")
        self.dataset_id = dataset_id


class ArchiveRefused(DatasetError):
    """An archive member would land outside its target folder, or is a link or device."""


class MediaProblem(Exception):
    """Why one file is refused by an import, in one line (not an error of the command)."""
