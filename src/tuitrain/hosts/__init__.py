"""Hosts tuitrain runs on: this machine and SSH hosts named in config.toml."""

from tuitrain.hosts.config import LOCAL, HostConfig, HostsError, load_hosts, parse_hosts
from tuitrain.hosts.registry import build_executors, executor_for, install_id

__all__ = [
    "LOCAL",
    "HostConfig",
    "HostsError",
    "build_executors",
    "executor_for",
    "install_id",
    "load_hosts",
    "parse_hosts",
]
