"""``tuitrain dataset ...``: create, import, split, stats, export, roboflow, ls.

Synchronous; everything goes through :class:`~tuitrain.datasets.service.DatasetService`.
Bad input raises ``ValueError`` with a one-line message; results go to stdout,
progress to stderr.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from typing import Any, TextIO

from tuitrain.datasets.import_report import ImportReport
from tuitrain.datasets.roboflow_download import FORMATS as ROBOFLOW_FORMATS
from tuitrain.datasets.service import DatasetService, DatasetSummary
from tuitrain.datasets.stats import DatasetStats, bar_chart


def add_dataset_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("dataset", help="create, import, split and inspect datasets")
    sub = parser.add_subparsers(dest="dataset_cmd", metavar="COMMAND")

    create = sub.add_parser("create", help="create an empty dataset; prints its id")
    create.add_argument("name")
    create.add_argument("--task", required=True, choices=("detection", "audio"))
    create.add_argument("--classes", default="", help="comma-separated class names, in order")

    imp = sub.add_parser("import", help="import images (files, folders, globs) and labels")
    imp.add_argument("id", type=int)
    imp.add_argument("paths", nargs="*", metavar="PATH")
    imp.add_argument("--labels", nargs=2, metavar=("yolo|coco", "PATH"), help="labels to import")
    imp.add_argument("--max-size", type=float, default=None, metavar="MIB", help="size limit")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")

    split = sub.add_parser("split", help="split into train/val(/test), stratified by class")
    split.add_argument("id", type=int)
    split.add_argument("--val", type=float, required=True)
    split.add_argument("--test", type=float, default=0.0)
    split.add_argument("--seed", type=int, default=0)
    split.add_argument("--json", action="store_true")

    stats = sub.add_parser("stats", help="images, labels, boxes per class, warnings")
    stats.add_argument("id", type=int)
    stats.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="export as YOLO or COCO into a new folder")
    export.add_argument("id", type=int)
    export.add_argument("--format", required=True, choices=("yolo", "coco"))
    export.add_argument("dest")

    rf = sub.add_parser("roboflow", help="download a Roboflow version as a new dataset")
    rf.add_argument("--workspace", required=True)
    rf.add_argument("--project", required=True)
    rf.add_argument("--version", required=True, type=int)
    rf.add_argument("--format", required=True, choices=ROBOFLOW_FORMATS)
    rf.add_argument("--name", default=None, help="dataset name (default: PROJECT-vN)")
    rf.add_argument(
        "--key-stdin",
        action="store_true",
        help="read the API key from standard input and store it in the credentials file",
    )

    ls = sub.add_parser("ls", help="list datasets")
    ls.add_argument("--json", action="store_true")


def run_dataset_command(args: argparse.Namespace) -> int:
    command = getattr(args, "dataset_cmd", None)
    if command is None:
        raise ValueError(
            "missing dataset command: create, import, split, stats, export, roboflow or ls"
        )
    service = DatasetService()
    try:
        handler = _HANDLERS[command]
        return handler(service, args)
    finally:
        service.close()


def _create(service: DatasetService, args: argparse.Namespace) -> int:
    classes = [c for c in args.classes.split(",")] if args.classes.strip() else []
    ds = service.create_dataset(args.name, args.task, classes)
    print(ds.id)
    return 0


def _import(service: DatasetService, args: argparse.Namespace) -> int:
    fmt, labels_path = args.labels if args.labels else (None, None)
    max_bytes = None
    if args.max_size is not None:
        if args.max_size <= 0:
            raise ValueError("--max-size must be positive")
        max_bytes = int(args.max_size * 1024 * 1024)
    progress = ProgressLine("importing")
    try:
        report = service.import_files(args.id, args.paths, fmt, labels_path, progress, max_bytes)
    finally:
        progress.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print_import(report)
    return 0 if report.ok else 1


def _print_import(report: ImportReport) -> None:
    for o in report.outcomes:
        sep = " " if o.outcome == "imported" else ": "
        print(f"{o.outcome:<9} {o.path}{sep}{o.detail}")
        for problem in o.problems:
            print(f"          {problem}")
    for note in report.notes:
        print(f"note      {note}")
    if report.classes_added:
        print(f"note      new classes: {', '.join(report.classes_added)}")
    print(
        f"dataset {report.dataset_id}: {report.count('imported')} imported, "
        f"{report.count('duplicate')} duplicate(s) skipped, {report.count('refused')} refused"
        + (f", labels applied to {report.count('labels')}" if report.count("labels") else "")
    )


def _split(service: DatasetService, args: argparse.Namespace) -> int:
    report = service.split(args.id, args.val, args.test, args.seed)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    counts = ", ".join(f"{s} {n}" for s, n in report.counts.items() if n)
    print(f"dataset {report.dataset_id} split with seed {report.seed}: {counts}")
    if report.excluded_unlabeled:
        print(f"{report.excluded_unlabeled} unlabeled image(s) left out")
    if report.copied_instead_of_linked:
        print(f"{report.copied_instead_of_linked} image(s) copied (links not possible here)")
    return 0


def _stats(service: DatasetService, args: argparse.Namespace) -> int:
    stats = service.stats(args.id)
    if args.json:
        print(json.dumps(stats.to_dict(), indent=2))
    else:
        _print_stats(stats)
    return 0


def _print_stats(st: DatasetStats) -> None:
    print(f"dataset {st.dataset_id} {st.name!r} ({st.task})")
    if st.task == "audio":
        a = st.audio
        print(f"files {a['files']}, total {a['total_duration_s']:.1f} s")
        print(f"sample rates: {a['sample_rates']}  channels: {a['channels']}")
    else:
        print(f"classes: {', '.join(st.classes) or '(none)'}")
        print(
            f"images {st.images}: labeled {st.labeled} (reviewed {st.reviewed}, "
            f"background {st.background}), unlabeled {st.unlabeled}"
        )
        per = st.boxes_per_image
        print(f"boxes {st.boxes}; per image min {per['min']} mean {per['mean']} max {per['max']}")
        print("splits: " + ", ".join(f"{k} {v}" for k, v in st.splits.items()))
        if st.boxes_per_class:
            print("boxes per class:")
            for line in bar_chart(st.boxes_per_class):
                print(f"  {line}")
        if st.image_sizes:
            common = ", ".join(f"{c['size']} ({c['count']})" for c in st.image_sizes["common"])
            print(f"image sizes: {common}")
    for warning in st.warnings:
        print(f"warning: {warning}")


def _export(service: DatasetService, args: argparse.Namespace) -> int:
    report = service.export(args.id, args.format, args.dest)
    print(
        f"exported {report.images} image(s), {report.labeled} labeled, {report.boxes} box(es) "
        f"as {report.format} to {report.dest}"
    )
    return 0


def _roboflow(service: DatasetService, args: argparse.Namespace) -> int:
    if args.key_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            raise ValueError("--key-stdin: no key on standard input")
        print(f"key stored in {service.save_roboflow_key(key)}", file=sys.stderr)
    elif service.roboflow_key_source() is None:
        if not sys.stdin.isatty():
            raise ValueError(
                "no Roboflow API key: set ROBOFLOW_API_KEY, or pipe it to --key-stdin once"
            )
        key = getpass.getpass("Roboflow API key (stored with mode 0600): ")
        service.save_roboflow_key(key)
    download = ProgressLine("downloading", unit="bytes")
    progress = ProgressLine("importing")
    try:
        result = service.download_roboflow(
            args.workspace, args.project, args.version, args.format, args.name, download, progress
        )
    finally:
        download.close()
        progress.close()
    print(result.dataset.id)
    report = result.report
    print(
        f"dataset {result.dataset.id} {result.dataset.name!r}: {report.count('imported')} "
        f"imported, {report.count('refused')} refused, classes: {', '.join(result.dataset.classes)}",
        file=sys.stderr,
    )
    for o in report.outcomes:
        if o.outcome == "refused":
            print(f"refused {o.path}: {o.detail}", file=sys.stderr)
    return 0 if report.ok else 1


def _ls(service: DatasetService, args: argparse.Namespace) -> int:
    datasets = service.list_datasets()
    if args.json:
        print(json.dumps([d.to_dict() for d in datasets], indent=2))
        return 0
    _print_table(datasets)
    return 0


def _print_table(datasets: list[DatasetSummary]) -> None:
    header = ("ID", "NAME", "TASK", "SOURCE", "ITEMS", "LABELED", "CLASSES")
    rows = [
        (str(d.id), d.name, d.task, d.source, str(d.items), str(d.labeled), ",".join(d.classes))
        for d in datasets
    ]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


class ProgressLine:
    """An updating ``label done/total`` line on stderr, when stderr is a terminal."""

    def __init__(self, label: str, unit: str = "", stream: TextIO | None = None) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (done < total and now - self.last < 0.1):
            return
        self.last = now
        percent = f" {done * 100 // total}%" if total else ""
        self.stream.write(f"\r{self.label} {done}/{total} {self.unit}{percent}".rstrip() + " ")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


_HANDLERS = {
    "create": _create,
    "import": _import,
    "split": _split,
    "stats": _stats,
    "export": _export,
    "roboflow": _roboflow,
    "ls": _ls,
}
