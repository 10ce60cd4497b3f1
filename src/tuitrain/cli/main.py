"""The ``tuitrain`` command. With no arguments it opens the TUI; the subcommands are a
headless contract that scripts and tests rely on."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from tuitrain import __version__


class CliError(Exception):
    """A one-line error for the user; exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return key, value


def _parse_value(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tuitrain", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tuitrain {__version__}")
    sub = parser.add_subparsers(dest="cmd", parser_class=_Parser)

    run = sub.add_parser("run", help="start a command as a detached, followed run; prints its id")
    run.add_argument("--name", required=True)
    run.add_argument("--framework", default="custom")
    run.add_argument("--parser", default="auto")
    run.add_argument(
        "--pattern", action="append", type=_key_value, default=[], metavar="NAME=REGEX"
    )
    run.add_argument("--set", action="append", type=_key_value, default=[], metavar="KEY=VALUE")
    run.add_argument("--cwd", default=None, help="working directory (default: the run folder)")
    run.add_argument(
        "--dataset",
        default=None,
        help="for --framework yolo|detr|rave: a dataset id, or a data.yaml, COCO folder, "
        "audio folder or RAVE database",
    )
    run.add_argument("--host", default="local", help="a host, or any (with --gpus)")
    run.add_argument(
        "--gpus",
        type=int,
        default=0,
        metavar="N",
        help="GPUs the run needs; it waits QUEUED until N are free on the host. A "
        "queue-worker started here launches it even after tuitrain exits: for a remote "
        "host this machine must stay on until the run has started",
    )
    run.add_argument("command", nargs=argparse.REMAINDER)

    ls = sub.add_parser("ls", help="list experiments")
    ls.add_argument("--json", action="store_true")

    show = sub.add_parser("show", help="one experiment: status, progress, last metrics")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")

    logs = sub.add_parser("logs", help="print a run's output")
    logs.add_argument("id", type=int)
    logs.add_argument("--follow", "-f", action="store_true")

    for name, text in (
        ("stop", "stop a run (SIGTERM, then SIGKILL)"),
        ("wait", "follow a run until it ends; exit 0 only if it COMPLETED"),
        ("restart", "run a finished experiment again as a new one"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("id", type=int)

    models = sub.add_parser("models", help="trained models registered by completed runs")
    models.add_argument("id", type=int, nargs="?", default=None, help="only this run's")
    models.add_argument("--json", action="store_true")

    metrics = sub.add_parser("metrics", help="a run's metrics")
    metrics.add_argument("id", type=int)
    metrics.add_argument(
        "--csv", action="store_true", help="CSV with columns name,step,epoch,value"
    )
    metrics.add_argument("--json", action="store_true")

    from tuitrain.cli.dataset import add_dataset_parser

    add_dataset_parser(sub)
    from tuitrain.cli.doctor import add_doctor_parser

    add_doctor_parser(sub)
    from tuitrain.cli.predict import add_predict_parser

    add_predict_parser(sub)
    from tuitrain.cli.fetch import add_fetch_parser
    from tuitrain.cli.hosts import add_hosts_parser

    add_hosts_parser(sub)
    add_fetch_parser(sub)
    from tuitrain.cli.gpus import add_gpus_parser

    add_gpus_parser(sub)
    sub.add_parser(
        "queue-worker",
        help="start queued runs as GPUs free up, then exit (started by itself when a run "
        "is queued; one at a time). It runs on this machine, also for remote hosts: "
        "keep it on for a remote queue to move",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        from tuitrain.cli.tui import run_tui

        return run_tui()
    try:
        args = build_parser().parse_args(args_list)
        if args.cmd is None:
            raise CliError("missing command (try --help)")
        if args.cmd == "dataset":
            return _run_dataset(args)
        if args.cmd == "doctor":
            from tuitrain.cli.doctor import run_doctor

            return run_doctor(args)
        if args.cmd == "predict":
            return _run_predict(args)
        if args.cmd == "queue-worker":
            from tuitrain.paths import tuitrain_home
            from tuitrain.runs.queue_worker import run_queue_worker

            return run_queue_worker(tuitrain_home())
        if args.cmd in ("hosts", "fetch"):
            from tuitrain.cli.fetch import run_fetch
            from tuitrain.cli.hosts import run_hosts

            return run_hosts(args) if args.cmd == "hosts" else run_fetch(args)
        return asyncio.run(_dispatch(args))
    except CliError as exc:
        print(f"tuitrain: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run_dataset(args: argparse.Namespace) -> int:
    from tuitrain.cli.dataset import run_dataset_command

    try:
        return run_dataset_command(args)
    except ValueError as exc:
        raise CliError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc


def _run_predict(args: argparse.Namespace) -> int:
    from tuitrain.cli.predict import run_predict
    from tuitrain.frameworks.environments import SettingsError
    from tuitrain.store.db import StoreError

    try:
        return run_predict(args)
    except (ValueError, StoreError, SettingsError) as exc:
        raise CliError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc


async def _dispatch(args: argparse.Namespace) -> int:
    from tuitrain.cli import commands
    from tuitrain.engine import make_manager
    from tuitrain.runs.config import ConfigError
    from tuitrain.store.db import StoreError
    from tuitrain.store.experiments import UnknownExperiment

    handler: Callable[..., Any] = getattr(commands, f"cmd_{args.cmd}")
    try:
        manager = make_manager()
    except (StoreError, ValueError) as exc:  # ValueError: config.toml's hosts
        raise CliError(str(exc)) from exc
    try:
        result: int = await handler(manager, args)
        return result
    except BrokenPipeError:
        raise
    except (ConfigError, UnknownExperiment, ValueError, OSError) as exc:  # OSError: a host
        raise CliError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
    finally:
        await manager.close()


def write_csv(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
