"""Datasets: import, labels (YOLO and COCO), splits, statistics, validation, Roboflow
downloads and audio folders.

Free of any UI: the CLI and the TUI both go through :class:`DatasetService` in
:mod:`tuitrain.datasets.service`.
"""
