"""``tuitrain fetch MODEL_ID [--to DIR]`` / ``tuitrain fetch --run ID``: artifacts of a
run (best.pt, the final model, plots) copied to this machine, with progress. Models of
an SSH host are streamed over its master connection; local ones are copied."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_transfer import fetch_file


def add_fetch_parser(sub: Any) -> None:
    fetch = sub.add_parser("fetch", help="copy a run's model files to this machine")
    fetch.add_argument("model", type=int, nargs="?", help="a model id (see tuitrain models)")
    fetch.add_argument("--run", type=int, default=None, help="every model of this experiment")
    fetch.add_argument("--to", default=".", help="folder to copy into (default: here)")


def _progress(name: str) -> Any:
    shown = {"last": -1}

    def report(done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        if (percent != shown["last"] and sys.stderr.isatty()) or percent == 100:
            shown["last"] = percent
            end = "\n" if percent == 100 else "\r"
            print(f"{name}: {percent:3d}% of {total / 1e6:.1f} MB", end=end, file=sys.stderr)

    return report


def run_fetch(args: argparse.Namespace) -> int:
    from tuitrain.engine import make_manager

    if (args.model is None) == (args.run is None):
        print("tuitrain: error: give a model id or --run EXPERIMENT_ID", file=sys.stderr)
        return 2
    manager = make_manager()
    try:
        if args.run is not None:
            manager.get_experiment(args.run)
            models = manager.store.models(args.run)
            if not models:
                print(f"tuitrain: error: run {args.run} has no models", file=sys.stderr)
                return 1
        else:
            models = [m for m in manager.store.models() if m.id == args.model]
            if not models:
                print(
                    f"tuitrain: error: no model {args.model} (see tuitrain models)", file=sys.stderr
                )
                return 2
        target = Path(args.to).expanduser()
        for model in models:
            assert model.experiment_id is not None
            exp = manager.get_experiment(model.experiment_id)
            executor = manager.executor_for(exp.host)
            rel = os.path.relpath(model.path, exp.run_dir)
            local = target / f"run{exp.id}" / rel
            if isinstance(executor, SshExecutor):
                fetch_file(executor, model.path, str(local), _progress(rel))
            else:
                local.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(model.path, local)
            print(local)
        return 0
    except (OSError, LookupError, ValueError) as exc:
        print(f"tuitrain: error: {exc}", file=sys.stderr)
        return 1
    finally:
        manager.store.db.dispose()
