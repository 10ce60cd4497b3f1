"""``tuitrain hosts`` (each host: reachable or why not, GPUs, running experiments) and
``tuitrain hosts check NAME`` (ordered checks, each OK or what is wrong and the fix).

The environment checks reuse ``tuitrain doctor``'s probe script, run on the host in
each configured environment through the host's executor.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tuitrain.cli.doctor import MARK, PROBE, PROBE_TIMEOUT_S, REQUIREMENTS, Check, _report
from tuitrain.executors.base import Executor
from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_connection import AuthenticationFailed, HostUnreachable
from tuitrain.frameworks.environments import (
    FRAMEWORKS,
    SettingsError,
    config_path,
    environment_for,
    load_settings,
)
from tuitrain.hosts import HostConfig, executor_for, load_hosts
from tuitrain.paths import tuitrain_home


def add_hosts_parser(sub: Any) -> None:
    hosts = sub.add_parser("hosts", help="hosts: reachable, GPUs, running experiments")
    hosts.add_argument("--json", action="store_true")
    actions = hosts.add_subparsers(dest="hosts_cmd")
    check = actions.add_parser("check", help="check one host step by step, with fixes")
    check.add_argument("name")
    check.add_argument("--json", action="store_true")


def run_hosts(args: argparse.Namespace) -> int:
    home = tuitrain_home()
    try:
        hosts = load_hosts(home)
    except SettingsError as exc:
        print(f"tuitrain: error: {exc}")
        return 2
    if getattr(args, "hosts_cmd", None) == "check":
        return _run_check(hosts, args.name, args.json)
    running = _running_by_host()
    with ThreadPoolExecutor(max_workers=max(1, len(hosts))) as pool:
        rows = list(pool.map(lambda h: _describe(h, running.get(h.name, [])), hosts.values()))
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = "reachable" if row["reachable"] else f"UNREACHABLE: {row['error']}"
        runs = ", ".join(f"#{i}" for i in row["running"]) or "none running"
        print(f"{row['name']:<12} {row['target']:<24} {state}  ·  {row['gpus']}  ·  {runs}")
    return 0


def _running_by_host() -> dict[str, list[int]]:
    from tuitrain.engine import make_manager
    from tuitrain.runs.manager import ACTIVE

    manager = make_manager(executors={})
    try:
        out: dict[str, list[int]] = {}
        for exp in manager.store.list_in(ACTIVE):
            assert exp.id is not None
            out.setdefault(exp.host, []).append(exp.id)
        return out
    finally:
        manager.store.db.dispose()


def _describe(host: HostConfig, running: list[int]) -> dict[str, Any]:
    from tuitrain.gpus.config import gpu_settings
    from tuitrain.gpus.probe import query_gpus

    row: dict[str, Any] = {
        "name": host.name,
        "target": host.ssh or "this machine",
        "reachable": True,
        "error": None,
        "gpus": "",
        "running": running,
    }
    executor = executor_for(host, tuitrain_home())
    if isinstance(executor, SshExecutor):
        try:
            executor.connection.ensure_master()
        except HostUnreachable as exc:
            row.update(reachable=False, error=str(exc), gpus="GPUs unknown")
            return row
    try:
        snapshot = query_gpus(executor, gpu_settings(host.name))
        row["gpus"] = snapshot.describe() if snapshot.ok else "no GPU"
    except SettingsError as exc:
        row["gpus"] = str(exc)
    return row


# -- hosts check -------------------------------------------------------------------------
@dataclass
class Step:
    name: str
    check: Check


def _run_check(hosts: dict[str, HostConfig], name: str, as_json: bool) -> int:
    if name not in hosts:
        known = ", ".join(hosts)
        print(
            f"tuitrain: error: unknown host {name!r} (known: {known}; add [hosts.{name}] "
            f"to {config_path()})"
        )
        return 2
    steps = check_host(hosts[name])
    if as_json:
        docs = [
            {"step": s.name, "ok": s.check.ok, "text": s.check.text, "fix": s.check.fix}
            for s in steps
        ]
        print(json.dumps(docs, indent=2))
    else:
        for step in steps:
            print(f"{'ok  ' if step.check.ok else 'FAIL'} {step.name}: {step.check.text}")
            if step.check.fix:
                print(f"     fix: {step.check.fix}")
    return 0 if all(s.check.ok for s in steps) else 1


def _connect_fix(host: HostConfig, exc: HostUnreachable) -> str:
    text = str(exc)
    if isinstance(exc, AuthenticationFailed):
        return (
            f"ssh-copy-id {host.ssh}  (or ssh-add your key; tuitrain uses BatchMode "
            f"and never asks for a password)"
        )
    if "DNS" in text:
        return f"check the host name, or its HostName in ~/.ssh/config (ssh -G {host.ssh})"
    if "refused" in text:
        return "start sshd on the host, or set the right Port (~/.ssh/config or ssh_options)"
    if "timed out" in text:
        return "check the network, VPN or ProxyJump; raise connect_timeout if it is slow"
    if "host key" in text:
        return f"ssh {host.ssh} once by hand to check and accept its host key"
    return f"try: ssh {host.ssh} true"


def check_host(host: HostConfig) -> list[Step]:
    """Ordered checks; later ones are skipped when the connection fails."""
    executor = executor_for(host, tuitrain_home())
    steps: list[Step] = []
    if isinstance(executor, SshExecutor):
        try:
            executor.connection.ensure_master()
            home = executor.remote_home()
            steps.append(Step("ssh", Check(True, f"{host.ssh} reachable (home {home})")))
        except HostUnreachable as exc:
            steps.append(Step("ssh", Check(False, str(exc), _connect_fix(host, exc))))
            return steps
        workdir = executor.workdir_path()
    else:
        steps.append(Step("ssh", Check(True, "this machine (no ssh)")))
        workdir = ""
    if workdir:
        steps.append(
            _shell_step(
                executor,
                "workdir",
                [
                    "sh",
                    "-c",
                    'mkdir -p "$1" && t="$1/.tuitrain-write-test" && : > "$t" && rm "$t"',
                    "sh",
                    workdir,
                ],
                f"{workdir} writable",
                f"make {workdir} writable, or set workdir = ... under [hosts.{host.name}]",
            )
        )
        steps.append(
            _shell_step(
                executor,
                "tools",
                ["sh", "-c", "command -v setsid && command -v find && find /dev/null -printf ''"],
                "setsid and GNU find present",
                "install util-linux and findutils on the host",
            )
        )
    python = _shell_step(
        executor,
        "python3",
        ["python3", "--version"],
        "",
        "install python3 on the host (apt-get install python3)",
    )
    steps.append(python)
    steps += _environment_steps(host, executor)
    return steps


def _shell_step(executor: Executor, name: str, argv: list[str], ok_text: str, fix: str) -> Step:
    done = executor.run_command(argv, timeout=30)
    if done.returncode == 0:
        return Step(name, Check(True, ok_text or (done.stdout or done.stderr).strip()))
    why = (done.stderr or done.stdout).strip().splitlines()
    return Step(name, Check(False, why[-1] if why else f"exit code {done.returncode}", fix))


def _environment_steps(host: HostConfig, executor: Executor) -> list[Step]:
    settings = load_settings()
    configured = (settings.get("hosts") or {}).get(host.name, {}).get("environments") or {}
    steps: list[Step] = []
    probe: Callable[[tuple[str, ...], list[tuple[str, str]]], dict[str, Any]]
    probe = lambda argv, mods: _remote_probe(executor, argv, mods)  # noqa: E731
    for framework in FRAMEWORKS:
        if framework not in configured and "default" not in configured and not host.is_local:
            hint = f"[hosts.{host.name}.environments] {framework} = PYTHON to train it there"
            steps.append(Step(framework, Check(True, f"no environment configured (set {hint})")))
            continue
        env = environment_for(framework, host.name, settings)
        report = _report(env, probe((*env.prefix, env.python), list(REQUIREMENTS[framework])))
        for check in report.checks:
            steps.append(Step(framework, check))
    return steps


def _remote_probe(
    executor: Executor, argv: tuple[str, ...], modules: list[tuple[str, str]]
) -> dict[str, Any]:
    done = executor.run_command([*argv, "-c", PROBE, json.dumps(modules)], PROBE_TIMEOUT_S)
    for line in done.stdout.splitlines():
        if line.startswith(MARK):
            found: dict[str, Any] = json.loads(line[len(MARK) :])
            return found
    if done.returncode == 127:
        return {"missing": f"{argv[0]} not found"}
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"failed": f"exit code {done.returncode}: " + " | ".join(tail)}
