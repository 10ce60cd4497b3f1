"""``tuitrain doctor``: can each framework's environment train here?

For each environment of ``config.toml`` (or the default, tuitrain's own interpreter):
the interpreter is found, the packages import (with their versions), CUDA devices or
"CPU only", and ffmpeg for RAVE. Each problem comes with the command that fixes it.

The checks run in the environment itself, as a small probe script in a child process:
tuitrain's process never imports an ML library.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tuitrain.frameworks.environments import (
    FRAMEWORKS,
    Environment,
    SettingsError,
    config_path,
    environments,
)

# (module to import, distribution for its version and for pip) per framework.
REQUIREMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "yolo": (("torch", "torch"), ("torchvision", "torchvision"), ("ultralytics", "ultralytics")),
    "detr": (
        ("torch", "torch"),
        ("transformers", "transformers"),
        ("pytorch_lightning", "pytorch-lightning"),
        ("scipy", "scipy"),
        ("matplotlib", "matplotlib"),
    ),
    "rave": (
        ("torch", "torch"),
        ("torchaudio", "torchaudio"),
        ("pytorch_lightning", "pytorch-lightning"),
        ("rave", "acids-rave"),
    ),
}
# What pip installs for a missing distribution: the versions tuitrain is tested with.
_TORCH_214 = {"torch": "torch==2.14.1", "torchvision": "torchvision==0.29.1"}
PINS: dict[str, dict[str, str]] = {
    "yolo": _TORCH_214,
    "detr": _TORCH_214,
    "rave": {
        "torch": "torch==2.11.0",
        "torchaudio": "torchaudio==2.11.0",
        "pytorch-lightning": "pytorch-lightning==1.9.0",
        "acids-rave": "acids-rave 'setuptools<81'",
    },
}
PROBE_TIMEOUT_S = 300.0
MARK = "TUITRAIN_PROBE "
PROBE = r"""
import importlib, json, shutil, sys
from importlib import metadata
out = {"python": sys.version.split()[0], "packages": {}, "ffmpeg": shutil.which("ffmpeg")}
for module, dist in json.loads(sys.argv[1]):
    try:
        mod = importlib.import_module(module)
    except BaseException as exc:
        out["packages"][dist] = {"error": (type(exc).__name__ + ": " + str(exc))[:300]}
        continue
    try:
        version = metadata.version(dist)
    except Exception:
        version = str(getattr(mod, "__version__", "?"))
    out["packages"][dist] = {"version": version}
torch = sys.modules.get("torch")
if torch is not None:
    cuda = torch.cuda.is_available()
    out["cuda"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []
print("TUITRAIN_PROBE " + json.dumps(out), flush=True)
"""


@dataclass
class Check:
    ok: bool
    text: str
    fix: str = ""


@dataclass
class Report:
    env: Environment
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def add_doctor_parser(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="check each framework's training environment")
    doctor.add_argument("--framework", action="append", choices=FRAMEWORKS, default=[])
    doctor.add_argument("--host", default="local")
    doctor.add_argument("--json", action="store_true")


def run_doctor(args: argparse.Namespace) -> int:
    if args.host != "local":
        print(f"tuitrain: error: doctor checks this machine's environments only, not {args.host}")
        return 2
    try:
        envs = environments(args.host)
    except SettingsError as exc:
        print(f"FAIL {exc}\n     fix: edit {config_path()}")
        return 1
    envs = [e for e in envs if not args.framework or e.framework in args.framework]
    reports = check_environments(envs)
    if args.json:
        print(json.dumps([_as_json(r) for r in reports], indent=2))
    else:
        for report in reports:
            _print_report(report)
    return 0 if all(r.ok for r in reports) else 1


def check_environments(envs: list[Environment]) -> list[Report]:
    """One probe per distinct environment (YOLO and DETR often share one), in parallel."""
    wanted: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for env in envs:
        mods = wanted.setdefault(_argv(env), [])
        mods += [m for m in REQUIREMENTS[env.framework] if m not in mods]
    with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
        probes = dict(zip(wanted, pool.map(lambda k: _probe(k, wanted[k]), wanted), strict=True))
    return [_report(env, probes[_argv(env)]) for env in envs]


def _argv(env: Environment) -> tuple[str, ...]:
    return (*env.prefix, env.python)


def _probe(argv: tuple[str, ...], modules: list[tuple[str, str]]) -> dict[str, Any]:
    """The probe's findings, or ``{"missing": why}`` / ``{"failed": why}``."""
    head = argv[0]
    if shutil.which(head) is None and not os.access(head, os.X_OK):
        return {"missing": f"{head} not found"}
    try:
        proc = subprocess.run(
            [*argv, "-c", PROBE, json.dumps(modules)],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"failed": str(exc)}
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            found: dict[str, Any] = json.loads(line[len(MARK) :])
            return found
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"failed": f"exit code {proc.returncode}: " + " | ".join(tail)}


def _report(env: Environment, probe: dict[str, Any]) -> Report:
    report = Report(env)
    shown = " ".join(_argv(env))
    if "missing" in probe or "failed" in probe:
        why = probe.get("missing") or probe.get("failed")
        report.checks.append(Check(False, f"interpreter {shown}: {why}", _env_fix(env)))
        return report
    report.checks.append(Check(True, f"python {probe.get('python', '?')} ({shown})"))
    packages = probe.get("packages", {})
    missing: list[str] = []
    for _module, dist in REQUIREMENTS[env.framework]:
        found = packages.get(dist, {})
        if "version" in found:
            report.checks.append(Check(True, f"{dist} {found['version']}"))
        else:
            missing.append(_pip_spec(env.framework, dist))
            report.checks.append(Check(False, f"{dist}: {found.get('error', 'not checked')}"))
    if missing:  # one command for all of them, under the last
        pip = shlex.join([*_argv(env), "-m", "pip", "install"])
        [c for c in report.checks if not c.ok][-1].fix = f"{pip} {' '.join(missing)}"
    cuda = probe.get("cuda")
    if cuda:
        report.checks.append(Check(True, f"CUDA: {len(cuda)} device(s): {', '.join(cuda)}"))
    elif cuda is not None:
        report.checks.append(Check(True, "CPU only (no CUDA device visible)"))
    if env.framework == "rave":
        if probe.get("ffmpeg"):
            report.checks.append(Check(True, f"ffmpeg {probe['ffmpeg']}"))
        else:
            fix = "apt-get install ffmpeg  (or: conda install -c conda-forge ffmpeg)"
            report.checks.append(Check(False, "ffmpeg not found (rave preprocess needs it)", fix))
    return report


def _pip_spec(framework: str, dist: str) -> str:
    return PINS[framework].get(dist, dist)


def _env_fix(env: Environment) -> str:
    where = f"[hosts.{env.host}.environments] {env.framework} = ... in {config_path()}"
    if env.prefix:
        return f"check that {shlex.join(env.prefix)} works, or set {where}"
    specs = " ".join(_pip_spec(env.framework, dist) for _m, dist in REQUIREMENTS[env.framework])
    bindir = os.path.dirname(env.python)
    if os.path.basename(bindir) == "bin":
        venv = os.path.dirname(bindir)
        return f"python3 -m venv {venv} && {venv}/bin/pip install {specs}  (or set {where})"
    return f"set {where}: a Python with {specs}"


def _as_json(report: Report) -> dict[str, Any]:
    return {
        "framework": report.env.framework,
        "environment": report.env.describe(),
        "ok": report.ok,
        "checks": [{"ok": c.ok, "text": c.text, "fix": c.fix} for c in report.checks],
    }


def _print_report(report: Report) -> None:
    print(f"{report.env.framework}: {report.env.describe()}")
    for check in report.checks:
        print(f"  {'ok  ' if check.ok else 'FAIL'} {check.text}")
        if check.fix:
            print(f"       fix: {check.fix}")
