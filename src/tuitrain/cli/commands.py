"""The headless subcommands. Each takes the manager and parsed arguments, returns the
exit status, and raises for a one-line error."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from typing import Any

from tuitrain.cli.gpus import cmd_gpus
from tuitrain.cli.main import _parse_value, write_csv
from tuitrain.runs.events import RunEvent, StatusChanged
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus
from tuitrain.runs.view import (
    describe,
    duration_seconds,
    eta_seconds,
    format_seconds,
    fraction_done,
    progress_of,
    progress_text,
)

FOLLOW_INTERVAL_S = 0.25


async def cmd_run(manager: TrainingManager, args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    recipe_run = not command and args.framework != "custom"
    if not command and not recipe_run:
        raise ValueError(
            "empty command: give it after --, e.g. tuitrain run --name x -- python train.py"
        )
    config: dict[str, Any] = {
        "name": args.name,
        "framework": args.framework,
        "parser": args.parser,
        "patterns": dict(args.pattern),
        "params": {k: _parse_value(v) for k, v in args.set},
    }
    config["host"] = args.host
    if args.gpus:
        config["gpus"] = args.gpus
    if args.dataset is not None:
        if not recipe_run:
            raise ValueError("--dataset goes with --framework yolo|detr|rave and no command")
        _set_dataset(config, args.dataset)
    if recipe_run:
        # The framework's recipe writes the command from --set parameters; it runs in
        # the run folder so everything it writes lands there.
        if args.cwd:
            config["cwd"] = os.path.abspath(args.cwd)
    elif args.host != "local":  # a folder of the host (default: the run folder)
        config["command"] = command
        if args.cwd:
            config["cwd"] = args.cwd
    else:
        config["command"] = command
        config["cwd"] = os.path.abspath(args.cwd) if args.cwd else os.getcwd()
    await manager.open(follow=False)
    preparing = manager.subscribe(_print_preparation)  # a dataset synced to a host
    run_id = await manager.start_training(config)
    await manager.events.flush()
    preparing.close()
    exp = manager.get_experiment(run_id)
    print(run_id)
    if exp.status == RunStatus.FAILED:
        print(
            f"tuitrain: error: run {run_id} failed to start: {exp.error_summary}", file=sys.stderr
        )
        return 1
    return 0


def _print_preparation(events: list[RunEvent]) -> None:
    """Progress of what happens before launch (syncing to the host), on stderr."""
    for event in events:
        if isinstance(event, StatusChanged) and event.reason:
            print(f"tuitrain: {event.reason}", file=sys.stderr, flush=True)


def _set_dataset(config: dict[str, Any], dataset: str) -> None:
    """``--dataset``: a store dataset's id, or a path, into the recipe's dataset parameter."""
    from tuitrain.frameworks import recipe_for

    recipe = recipe_for(config["framework"])
    if dataset.isdigit():
        from tuitrain.datasets.layout import training_path
        from tuitrain.datasets.service import DatasetService

        summary = DatasetService().get_dataset(int(dataset))
        config["dataset_id"] = summary.id
        path = training_path(summary.path, recipe.name)
    else:
        path = os.path.abspath(os.path.expanduser(dataset))
    config["params"][recipe.dataset_param] = path


async def _refresh_all(manager: TrainingManager) -> None:
    await manager.reconcile()
    for exp in manager.store.list_in((RunStatus.STARTING, RunStatus.RUNNING)):
        assert exp.id is not None
        await manager.refresh(exp.id)


async def cmd_ls(manager: TrainingManager, args: argparse.Namespace) -> int:
    await _refresh_all(manager)
    experiments = manager.list_experiments()
    from tuitrain.runs.queue import queue_positions

    places = queue_positions(experiments)
    if args.json:
        docs = [describe(e, json.loads(e.summary_metrics_json or "{}")) for e in experiments]
        print(json.dumps(docs, indent=2))
        return 0
    rows = []
    for e in experiments:
        prog = progress_of(e)
        frac = fraction_done(e, prog)
        rows.append(
            (
                str(e.id),
                e.name,
                e.framework,
                e.host,
                f"{e.status} #{places[e.id]}" if e.id in places else e.status,
                "-" if frac is None else f"{frac * 100:.0f}%",
                progress_text(prog),
                format_seconds(eta_seconds(e, prog)),
                format_seconds(duration_seconds(e)),
            )
        )
    header = ("ID", "NAME", "FRAMEWORK", "HOST", "STATUS", "DONE", "PROGRESS", "ETA", "DURATION")
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


async def cmd_show(manager: TrainingManager, args: argparse.Namespace) -> int:
    exp = await manager.refresh(args.id)
    doc = describe(exp, manager.store.last_metrics(args.id))
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    prog = progress_of(exp)
    print(f"{exp.id}  {exp.name}  [{exp.status}]  framework={exp.framework} host={exp.host}")
    print(
        f"progress: {progress_text(prog)}  eta {format_seconds(eta_seconds(exp, prog))}"
        f"  duration {format_seconds(duration_seconds(exp))}"
    )
    if exp.exit_code is not None:
        print(f"exit code: {exp.exit_code}")
    if exp.error_summary:
        print(f"error: {exp.error_summary}")
    if exp.gpu_ids:
        print(f"GPUs: {exp.gpu_ids}")
    if exp.status == RunStatus.QUEUED and exp.queue_reason:
        print(exp.queue_reason)
    for name, value in doc["metrics"].items():
        print(f"  {name} = {value:g}")
    print(f"run folder: {exp.run_dir}")
    return 0


async def cmd_logs(manager: TrainingManager, args: argparse.Namespace) -> int:
    exp = manager.get_experiment(args.id)
    # A remote run's output is read from its local copy, brought up to date first.
    executor = manager.executor_for(exp.host)
    path = executor.output_log(args.id, exp.run_dir)
    with contextlib.suppress(OSError):  # host unreachable: print what we have
        await asyncio.to_thread(executor.mirror_output, args.id, exp.run_dir)
    out = sys.stdout.buffer

    def pump(offset: int) -> int:
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
                    offset += len(chunk)
        except FileNotFoundError:
            pass
        out.flush()
        return offset

    offset = pump(0)
    if args.follow:
        while True:
            try:
                exp = await manager.refresh(args.id)
            except OSError as exc:  # the host dropped: say so, keep trying
                print(f"tuitrain: {exc}; retrying", file=sys.stderr)
                await asyncio.sleep(FOLLOW_INTERVAL_S * 8)
                continue
            offset = pump(offset)
            if RunStatus(exp.status).is_terminal:
                break
            await asyncio.sleep(FOLLOW_INTERVAL_S)
        pump(offset)
    return 0


async def cmd_stop(manager: TrainingManager, args: argparse.Namespace) -> int:
    try:
        exp = await manager.refresh(args.id)
    except OSError:  # an unreachable host: the stop below says so, in one line
        exp = manager.get_experiment(args.id)
    if not await manager.stop_training(args.id):
        raise ValueError(f"experiment {args.id} is not running ({exp.status})")
    print(f"{args.id} {manager.get_experiment(args.id).status}")
    return 0


async def cmd_wait(manager: TrainingManager, args: argparse.Namespace) -> int:
    await manager.refresh(args.id)
    exp = await manager.wait(args.id)
    print(f"{exp.id} {exp.status}" + (f" (exit code {exp.exit_code})" if exp.exit_code else ""))
    if exp.status != RunStatus.COMPLETED and exp.error_summary:
        print(exp.error_summary, file=sys.stderr)
    return 0 if exp.status == RunStatus.COMPLETED else 1


async def cmd_restart(manager: TrainingManager, args: argparse.Namespace) -> int:
    await manager.refresh(args.id)
    print(await manager.restart_training(args.id))
    return 0


async def cmd_models(manager: TrainingManager, args: argparse.Namespace) -> int:
    if args.id is not None:
        manager.get_experiment(args.id)  # an unknown id is an error, not an empty list
    models = manager.store.models(args.id)
    docs = [
        {
            "id": m.id,
            "experiment_id": m.experiment_id,
            "name": m.name,
            "framework": m.framework,
            "path": m.path,
            "metrics": json.loads(m.metrics_json or "{}"),
        }
        for m in models
    ]
    if args.json:
        print(json.dumps(docs, indent=2))
        return 0
    for d in docs:
        print(f"{d['id']}  run {d['experiment_id']}  {d['framework']}  {d['name']}  {d['path']}")
    return 0


async def cmd_metrics(manager: TrainingManager, args: argparse.Namespace) -> int:
    await manager.refresh(args.id)
    rows = manager.store.metrics(args.id)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "step": r.step,
                        "epoch": r.epoch,
                        "value": r.value,
                        "wall_time": r.wall_time,
                        "source": r.source,
                    }
                    for r in rows
                ]
            )
        )
        return 0
    write_csv(
        [
            (
                r.name,
                "" if r.step is None else r.step,
                "" if r.epoch is None else r.epoch,
                repr(r.value),
            )
            for r in rows
        ],
        ("name", "step", "epoch", "value"),
    )
    return 0


__all__ = ["cmd_gpus"]
