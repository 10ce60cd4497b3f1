"""The error summary of a failed run, from the end of its output."""

from __future__ import annotations

import re

from tuitrain.output.lines import LineSplitter

_EXCEPTION_LINE = re.compile(
    r"^([A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)|[A-Z]\w*Error)\b.*"
)
TAIL_BYTES = 64 * 1024
MAX_SUMMARY = 2000


def summarize_failure(tail: bytes, exit_code: int | None, max_lines: int = 8) -> str:
    """The traceback's last line when there is one, with the lines leading to it;
    otherwise the last non-empty lines of output."""
    segments, _ = LineSplitter().split(tail, eof=True)
    lines = [s.text.rstrip() for s in segments if s.final and s.text.strip()]
    summary = ""
    for i in range(len(lines) - 1, -1, -1):
        if _EXCEPTION_LINE.match(lines[i].strip()):
            start = i
            # Include the "Traceback" header's last frame line for context.
            if i > 0 and lines[i - 1].startswith("    "):
                start = i - 1
            summary = "\n".join(lines[start : i + 1])
            break
    if not summary:
        summary = "\n".join(lines[-max_lines:]) if lines else ""
    prefix = ""
    if exit_code is not None:
        prefix = f"exit code {exit_code}" + (
            f" (signal {exit_code - 128})" if exit_code > 128 else ""
        )
    text = f"{prefix}: {summary}" if prefix and summary else (prefix or summary)
    return text[-MAX_SUMMARY:]
