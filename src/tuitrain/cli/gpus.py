"""``tuitrain gpus [HOST] [--json]``: each host's GPUs, their load and who uses them."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from tuitrain.runs.manager import ACTIVE, TrainingManager


def add_gpus_parser(sub: Any) -> None:
    gpus = sub.add_parser(
        "gpus", help="GPUs of each host: load, memory, temperature, who uses them"
    )
    gpus.add_argument("host", nargs="?", default=None, help="only this host")
    gpus.add_argument("--json", action="store_true")


async def cmd_gpus(manager: TrainingManager, args: argparse.Namespace) -> int:
    from tuitrain.gpus.panel import memory_text, percent_text, read_host_gpus, temperature_text

    await manager.reconcile()
    hosts = [args.host] if args.host else list(manager.executors)
    active = manager.store.list_in(ACTIVE)
    found = [
        await asyncio.to_thread(read_host_gpus, h, manager.executor_for(h), active) for h in hosts
    ]
    if args.json:
        print(json.dumps([h.to_json() for h in found], indent=2))
        return 0
    for host in found:
        if not host.snapshot.ok:
            print(f"{host.host}: {host.snapshot.describe()}")
            continue
        print(f"{host.host}: {host.snapshot.describe()}")
        for row in host.rows:
            gpu = row.gpu
            note = " (not for tuitrain)" if not row.usable else ""
            busy = f"  busy: {row.busy}" if row.busy else ""
            print(
                f"  [{gpu.index}] {gpu.name}{note}  util {percent_text(gpu.utilization)}"
                f"  mem {memory_text(gpu)}  {temperature_text(gpu.temperature_c)}"
                f"  {row.user_text}{busy}"
            )
    return 0
