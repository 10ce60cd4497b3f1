"""Where each line of a log starts, in 4 bytes a line.

A 1 GB training log has about ten million lines: Python ints would cost 280 MB, an
``array('q')`` 80 MB, this 40 MB, and it grows block by block, so adding lines never
copies (and briefly doubles) the whole index.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence


class LineStarts:
    """Ascending byte offsets at 4 bytes each: the low 32 bits in ``array('I')``
    blocks of 64Ki (growing never copies the whole index), plus the line numbers
    where the high bits step up (none below 4 GiB)."""

    SHIFT = 16

    def __init__(self) -> None:
        self.blocks: list[array[int]] = []
        self.steps = array("q")
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i: int) -> int:
        low = self.blocks[i >> self.SHIFT][i & ((1 << self.SHIFT) - 1)]
        return (bisect_right(self.steps, i) << 32) | low

    def extend(self, lows: Sequence[int]) -> None:
        """Append offsets given by their low 32 bits (see :meth:`raise_high`)."""
        done, size = 0, 1 << self.SHIFT
        while done < len(lows):
            if not self.blocks or len(self.blocks[-1]) == size:
                self.blocks.append(array("I"))
            block = self.blocks[-1]
            take = size - len(block)
            block.extend(lows[done : done + take])
            done += take
        self._count += len(lows)

    def raise_high(self, high: int) -> None:
        """The next offsets appended have ``high`` as their bits above 32."""
        self.steps.extend([self._count] * (high - len(self.steps)))

    def nbytes(self) -> int:
        return 4 * self._count + self.steps.itemsize * len(self.steps)
