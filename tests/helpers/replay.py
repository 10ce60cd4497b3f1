"""A stand-in training: replays a recorded console output at a steady pace.

Used as a real child process by the tests. Options:
  --pace SECONDS    total time the replay should take (spread over its segments)
  --pause-at FRACTION --gate PATH   stop after that fraction of the bytes until PATH exists
  --exit CODE       exit status at the end
  --jsonl N         also write N records to $TUITRAIN_RUN_DIR/metrics.jsonl as it goes
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time

GATE_TIMEOUT_S = 120.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--pace", type=float, default=1.0)
    ap.add_argument("--pause-at", type=float, default=None)
    ap.add_argument("--gate", default=None)
    ap.add_argument("--exit", type=int, default=0)
    ap.add_argument("--jsonl", type=int, default=0)
    args = ap.parse_args()
    with open(args.path, "rb") as fh:
        data = fh.read()
    # Segments end after \r or \n, as a tool would flush them.
    pieces = [m.group(0) for m in re.finditer(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", data)]
    delay = args.pace / max(len(pieces), 1)
    out = sys.stdout.buffer
    paused = args.pause_at is None
    written = 0
    jsonl_path = os.path.join(os.environ.get("TUITRAIN_RUN_DIR", "."), "metrics.jsonl")
    jsonl_every = max(1, len(pieces) // args.jsonl) if args.jsonl else 0
    for i, piece in enumerate(pieces):
        out.write(piece)
        out.flush()
        written += len(piece)
        if jsonl_every and i % jsonl_every == 0:
            with open(jsonl_path, "a") as js:
                js.write(json.dumps({"step": i, "metrics": {"replay/index": float(i)}}) + "\n")
        if not paused and written >= args.pause_at * len(data):
            paused = True
            deadline = time.monotonic() + GATE_TIMEOUT_S  # never outlive a failed test
            while not os.path.exists(args.gate):
                if time.monotonic() > deadline:
                    return 124
                time.sleep(0.01)
        time.sleep(delay)
    return args.exit


if __name__ == "__main__":
    raise SystemExit(main())
