"""The run's ``output.log`` as a metric source: line splitting plus a stdout parser."""

from __future__ import annotations

from typing import Any

from tuitrain.output.lines import LineSplitter
from tuitrain.parsers.base import OutputParser, feed_many
from tuitrain.sources.base import CHUNK_BYTES, ReadAt, SourceBatch

MAX_LINES_PER_BATCH = 2000  # console lines handed on to listeners per poll


class ConsoleLogSource:
    kind = "log"

    def __init__(self, parser: OutputParser, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.parser = parser
        self.offset = 0
        self.splitter = LineSplitter()
        self.chunk_bytes = chunk_bytes

    def poll(self, read_at: ReadAt, size: int, eof: bool) -> SourceBatch:
        if size < self.offset:
            # The log was replaced or truncated: nothing sensible to resume; start over.
            self.offset = 0
        want = min(size - self.offset, self.chunk_bytes)
        if want <= 0:
            return SourceBatch()
        data = read_at(self.offset, want)
        at_end = self.offset + len(data) >= size
        segments, consumed = self.splitter.split(data, eof=eof and at_end)
        if consumed == 0 and len(data) >= self.chunk_bytes:
            consumed = len(data)  # cannot happen with the splitter's cap; stay safe
        self.offset += consumed
        metrics, progress = feed_many(self.parser, segments)
        lines = [text for text, final in segments if final]
        dropped = max(0, len(lines) - MAX_LINES_PER_BATCH)
        if dropped:
            lines = lines[-MAX_LINES_PER_BATCH:]
        return SourceBatch(
            metrics=metrics,
            progress=progress,
            lines=lines,
            lines_dropped=dropped,
            more=self.offset < size,
        )

    def state(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "skipping": self.splitter.skipping,
            "parser": self.parser.state(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.offset = int(state.get("offset", 0))
        self.splitter.skipping = bool(state.get("skipping", False))
        parser_state = state.get("parser")
        if isinstance(parser_state, dict):
            self.parser.restore(parser_state)
