"""Hosts from ``TUITRAIN_HOME/config.toml``::

    [hosts.gpu1]
    ssh = "gpu1"                  # passed to ssh as it is: ~/.ssh/config aliases,
                                  # keys, agent, ProxyJump and ports all work
    ssh_options = ["Port=2222"]   # more `ssh -o` options (optional)
    ssh_config = "~/.ssh/lab"     # an ssh config file (`ssh -F`, optional)
    workdir = "~/tuitrain"        # run folders, datasets and runners on the host
    connect_timeout = 10          # seconds
    gpus = [0, 1]                 # GPUs tuitrain may use (see tuitrain.gpus.config)

    [hosts.gpu1.environments]     # see tuitrain.frameworks.environments
    yolo = "~/envs/yolo/bin/python"

``local`` (this machine) is always there and needs no ``ssh``. Every mistake is a
:class:`HostsError` naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrain.frameworks.environments import CONFIG_FILE, SettingsError, load_settings

LOCAL = "local"
DEFAULT_WORKDIR = "~/tuitrain"
DEFAULT_CONNECT_TIMEOUT_S = 10.0
HOST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
# Keys read elsewhere (environments, runners, GPUs and the queue) are known here too.
KNOWN_KEYS = frozenset(
    {
        "ssh",
        "ssh_options",
        "ssh_config",
        "workdir",
        "connect_timeout",
        "gpus",
        "environments",
        "runners_dir",
        "nvidia_smi",
        "busy_memory_percent",
        "busy_utilization_percent",
    }
)


class HostsError(SettingsError):
    """A host entry of config.toml that cannot be used; names the key."""


@dataclass(frozen=True, slots=True)
class HostConfig:
    name: str
    ssh: str = ""  # empty for the local host
    ssh_options: tuple[str, ...] = ()
    ssh_config: str | None = None
    workdir: str = DEFAULT_WORKDIR
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S
    gpus: tuple[int, ...] | None = None

    @property
    def is_local(self) -> bool:
        return not self.ssh


def _text(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise HostsError(f"{CONFIG_FILE}: {where} must be a non-empty text")
    return value.strip()


def parse_host(name: str, table: object) -> HostConfig:
    where = f"hosts.{name}"
    if not HOST_NAME.match(name):
        raise HostsError(f"{CONFIG_FILE}: [{where}]: a host name is letters, digits, . _ -")
    if not isinstance(table, Mapping):
        raise HostsError(f"{CONFIG_FILE}: {where} must be a table ([{where}])")
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        known = ", ".join(sorted(KNOWN_KEYS))
        raise HostsError(f"{CONFIG_FILE}: {where}.{unknown[0]} is not a known key ({known})")
    ssh = _text(f"{where}.ssh", table["ssh"]) if "ssh" in table else ""
    if name != LOCAL and not ssh:
        raise HostsError(f'{CONFIG_FILE}: {where} needs ssh = "user@host" or an ssh alias')
    if name == LOCAL and ssh:
        raise HostsError(f"{CONFIG_FILE}: {where}.ssh: the local host is this machine")
    options = table.get("ssh_options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) and o for o in options):
        raise HostsError(f'{CONFIG_FILE}: {where}.ssh_options must be a list like ["Port=22"]')
    config = table.get("ssh_config")
    if config is not None:
        config = _text(f"{where}.ssh_config", config)
    workdir = _text(f"{where}.workdir", table.get("workdir", DEFAULT_WORKDIR))
    timeout = table.get("connect_timeout", DEFAULT_CONNECT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise HostsError(f"{CONFIG_FILE}: {where}.connect_timeout must be seconds (such as 10)")
    gpus = table.get("gpus")
    if gpus is not None and (
        not isinstance(gpus, list)
        or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in gpus)
    ):
        raise HostsError(f"{CONFIG_FILE}: {where}.gpus must be a list of GPU indices")
    return HostConfig(
        name=name,
        ssh=ssh,
        ssh_options=tuple(options),
        ssh_config=config,
        workdir=workdir,
        connect_timeout=float(timeout),
        gpus=tuple(gpus) if gpus is not None else None,
    )


def parse_hosts(settings: Mapping[str, Any]) -> dict[str, HostConfig]:
    """Every host, ``local`` first."""
    table = settings.get("hosts", {})
    if not isinstance(table, Mapping):
        raise HostsError(f"{CONFIG_FILE}: hosts must be a table ([hosts.NAME])")
    hosts = {LOCAL: parse_host(LOCAL, table.get(LOCAL, {}))}
    for name, entry in table.items():
        if name != LOCAL:
            hosts[str(name)] = parse_host(str(name), entry)
    return hosts


def load_hosts(home: Path | None = None) -> dict[str, HostConfig]:
    return parse_hosts(load_settings(home))
