"""RAVE from a folder of audio: ``rave preprocess``, then ``rave train``, in one run.

Runs inside the RAVE environment (standard library only)::

    python rave_pipeline.py --input_path AUDIO --output_path ./db --channels 1 \\
        -- /env/bin/rave train --config v2 --db_path ./db ...

The flags before ``--`` go to ``rave preprocess`` as they are (run with the same
``rave`` as the training); its output is passed through and its file count becomes
progress in ``metrics.jsonl`` (step of total audio files). When it succeeds, this
process becomes ``rave train`` (``exec``: same process, same output), so the run's
log, progress bar and exit code are RAVE's own. A failed preprocessing ends the run
with its exit code before any training.

(Not named ``rave.py``: the runners' folder is first on ``sys.path`` here, and that
would hide the ``rave`` package.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuitrain.runners.emit import MetricsWriter
else:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from emit import MetricsWriter

# What ``rave preprocess`` reads by default (its --ext flag).
AUDIO_EXTENSIONS = (".aif", ".aiff", ".wav", ".opus", ".mp3", ".aac", ".flac", ".ogg")
# tqdm without a total: "dataset length: 0:00:11.888617: : 3it [00:00,  3.80it/s]"
_COUNT = re.compile(rb"(\d+)it \[")


def split_argv(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" not in argv:
        raise SystemExit("rave_pipeline: usage: PREPROCESS_FLAGS -- RAVE train ...")
    cut = argv.index("--")
    preprocess, train = argv[:cut], argv[cut + 1 :]
    if len(train) < 2 or train[1] != "train":
        raise SystemExit("rave_pipeline: after -- comes the rave train command")
    return preprocess, train


def input_paths(flags: list[str]) -> list[str]:
    """The ``--input_path`` values (``--input_path X`` or ``--input_path=X``)."""
    out = []
    for i, flag in enumerate(flags):
        if flag == "--input_path" and i + 1 < len(flags):
            out.append(flags[i + 1])
        elif flag.startswith("--input_path="):
            out.append(flag.split("=", 1)[1])
    return out


def count_audio(folders: list[str]) -> int:
    total = 0
    for folder in folders:
        for _root, _dirs, files in os.walk(folder):
            total += sum(1 for f in files if f.lower().endswith(AUDIO_EXTENSIONS))
    return total


def preprocess(rave: str, flags: list[str], writer: MetricsWriter) -> int:
    """Run ``rave preprocess``, its output passed through; its exit code."""
    total = count_audio(input_paths(flags)) or None
    print(f"== rave preprocess ({total or 'unknown number of'} audio files)", flush=True)
    out = sys.stdout.buffer
    proc = subprocess.Popen(
        [rave, "preprocess", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    done = -1
    while chunk := os.read(proc.stdout.fileno(), 65536):
        out.write(chunk)
        out.flush()
        counts = _COUNT.findall(chunk)
        if counts and int(counts[-1]) != done:
            done = int(counts[-1])
            writer.log({}, progress={"step": done, "total_steps": total})
    return proc.wait()


def main(argv: list[str]) -> int:
    flags, train = split_argv(argv)
    run_dir = os.environ.get("TUITRAIN_RUN_DIR") or os.getcwd()
    with MetricsWriter(os.path.join(run_dir, "metrics.jsonl")) as writer:
        code = preprocess(train[0], flags, writer)
    if code != 0:
        print(f"rave preprocess failed with exit code {code}: no training", flush=True)
        return code
    print("== rave train", flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(train[0], train)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
