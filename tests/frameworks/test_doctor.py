"""``tuitrain doctor`` through the real CLI: environments found or not, packages with
versions or the command that installs them, CUDA or CPU only, ffmpeg for RAVE."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import cli
from tests.frameworks.real_support import training_python, write_environments

FAKE_MODULES = {
    "torch": "__version__ = '9.9.9'\nclass cuda:\n    is_available = staticmethod(lambda: False)\n",
    "torchvision": "__version__ = '8.8.8'\n",
    "ultralytics": "__version__ = '7.7.7'\n",
    "torchaudio": "__version__ = '6.6.6'\n",
    "pytorch_lightning": "__version__ = '1.9.0'\n",
    "rave": "__version__ = '2.3.1'\n",
}


def fake_env(tmp_path: Path, path: str = "/usr/bin:/bin") -> str:
    """A "python" whose ML packages are stand-ins, with ``path`` as its PATH."""
    site = tmp_path / "fake-site"
    site.mkdir()
    for name, code in FAKE_MODULES.items():
        (site / f"{name}.py").write_text(code)
    python = tmp_path / "fake-env" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nPYTHONPATH={site} PATH={path} exec {sys.executable} -S "$@"\n')
    python.chmod(0o755)
    return str(python)


def test_a_complete_environment_is_all_ok(home: Path, tmp_path: Path) -> None:
    python = fake_env(tmp_path)
    write_environments(home, yolo=python)
    out = cli(home, "doctor", "--framework", "yolo", check=True).stdout
    assert out.splitlines() == [
        f"yolo: {python}",
        f"  ok   python {sys.version.split()[0]} ({python})",
        "  ok   torch 9.9.9",
        "  ok   torchvision 8.8.8",
        "  ok   ultralytics 7.7.7",
        "  ok   CPU only (no CUDA device visible)",
    ]


def test_each_problem_comes_with_its_fix(home: Path, tmp_path: Path) -> None:
    (tmp_path / "empty-bin").mkdir()
    write_environments(
        home,
        yolo=str(tmp_path / "gone" / "bin" / "python"),
        rave=fake_env(tmp_path, path=str(tmp_path / "empty-bin")),
    )
    proc = cli(home, "doctor", "--json")
    assert proc.returncode == 1, proc.stderr
    reports = {r["framework"]: r for r in json.loads(proc.stdout)}
    [yolo] = reports["yolo"]["checks"]
    assert not yolo["ok"] and yolo["text"].endswith("/gone/bin/python not found")
    venv = tmp_path / "gone"
    assert yolo["fix"].startswith(f"python3 -m venv {venv} && {venv}/bin/pip install torch==2.14.1")
    # DETR in tuitrain's own interpreter: no torch there, one command installs it all.
    detr = reports["detr"]
    assert "(default: tuitrain's own interpreter)" in detr["environment"]
    failed = [c for c in detr["checks"] if not c["ok"]]
    assert failed[0]["text"] == "torch: ModuleNotFoundError: No module named 'torch'"
    assert failed[-1]["fix"].startswith(f"{sys.executable} -m pip install torch==2.14.1 ")
    # RAVE with everything but ffmpeg.
    rave = reports["rave"]["checks"]
    assert [c["text"] for c in rave if c["ok"]][1:] == [
        "torch 9.9.9",
        "torchaudio 6.6.6",
        "pytorch-lightning 1.9.0",
        "acids-rave 2.3.1",
        "CPU only (no CUDA device visible)",
    ]
    assert rave[-1]["text"] == "ffmpeg not found (rave preprocess needs it)"
    assert rave[-1]["fix"].startswith("apt-get install ffmpeg")


def test_a_broken_config_says_where(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text("[hosts\n")
    proc = cli(home, "doctor")
    assert proc.returncode == 1
    assert proc.stdout.startswith("FAIL cannot read ")
    assert f"fix: edit {home / 'config.toml'}" in proc.stdout
    assert cli(home, "doctor", "--host", "gpu1").returncode == 2


def test_the_real_environments(home: Path) -> None:
    yolo = training_python("TUITRAIN_YOLO_PYTHON")
    rave = training_python("TUITRAIN_RAVE_PYTHON")
    write_environments(home, yolo=yolo, detr=yolo, rave=rave)
    proc = cli(home, "doctor", timeout=600)
    assert proc.returncode == 0, proc.stdout
    out = proc.stdout
    for line in ("ok   ultralytics ", "ok   scipy ", "ok   acids-rave ", "ok   ffmpeg "):
        assert line in out
    assert out.count("CPU only") + out.count("CUDA: ") == 3
