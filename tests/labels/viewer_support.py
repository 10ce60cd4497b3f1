"""A real small viewer: a script that records its argv (one JSON list per line) to a
file and exits, so tests see exactly what tuitrain started."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

SCRIPT = """#!{python}
import json, sys
with open({record!r}, "a", encoding="utf-8") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
sys.exit({code})
"""


def recording_viewer(folder: Path, record: Path, code: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "record-viewer"
    script.write_text(SCRIPT.format(python=sys.executable, record=str(record), code=code))
    script.chmod(0o755)
    return script


def recorded_argvs(record: Path, count: int = 1, limit_s: float = 15.0) -> list[list[str]]:
    """The argvs once ``count`` were recorded (a separate process: polling is all there is)."""
    deadline = time.monotonic() + limit_s
    while True:
        if record.exists():
            lines = record.read_text(encoding="utf-8").splitlines()
            if len(lines) >= count:
                return [json.loads(line) for line in lines]
        if time.monotonic() > deadline:
            raise AssertionError(f"the viewer did not record {count} start(s) in {limit_s} s")
        time.sleep(0.02)
