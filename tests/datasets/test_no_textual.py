"""The dataset domain and its CLI never import Textual."""

from __future__ import annotations

import subprocess
import sys


def test_dataset_modules_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import tuitrain.datasets.service, tuitrain.datasets.roboflow_download, tuitrain.cli.dataset\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
