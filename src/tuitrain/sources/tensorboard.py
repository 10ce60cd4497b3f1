"""TensorBoard event files (``events.out.tfevents.*``): scalars, without TensorFlow.

One source follows one file. The file is a sequence of TFRecords::

    uint64 length (little-endian) | uint32 masked CRC32C of those 8 bytes
    | data[length] | uint32 masked CRC32C of data

and each ``data`` is a serialized ``tensorflow.Event``. Decoded here by hand
(varints and length-delimited fields, no protobuf import)::

    Event:        wall_time = 1 (double), step = 2 (int64), summary = 5
    Summary:      value = 1 (repeated Value)
    Value:        tag = 1, simple_value = 2 (float), tensor = 8, metadata = 9
    TensorProto:  dtype = 1, tensor_shape = 2, tensor_content = 4, float_val = 5,
                  double_val = 6, int_val = 7, int64_val = 10, half_val = 13

Each scalar becomes ``MetricPoint(name=tag, value, step=step, wall_time=wall_time)``
(``epoch`` None; an absent step is 0 as in proto3, an absent wall time None):
an old-style ``simple_value`` (tensorboardX ``add_scalar``, Lightning's
TensorBoardLogger, RAVE), or a new-style one-element tensor of a float, double,
half, bfloat16, int32 or int64 dtype (``torch.utils.tensorboard`` with
``new_style=True``, TF2 ``tf.summary.scalar``), either in the typed value lists
(packed or not) or in ``tensor_content``. A tensor whose metadata names a plugin other
than ``scalars`` (histograms, text, hparams, ...) is not a scalar. Images, audio and
histograms are skipped. ``add_scalars`` writes one file per sub-tag in
sub-folders, all with the main tag as their tag: the caller names them.

Robustness: a record whose header is not complete yet, or whose data is not all
there, is left for the next poll (it is being written). A header with a bad CRC is
corruption: the reader moves on one byte at a time until a valid header (at most
:data:`MAX_SCAN_BYTES` a poll, then it reports ``more``). A record
with a bad data CRC, or that does not decode, is skipped. Records larger than
:data:`MAX_DECODE_BYTES` (images, audio) are skipped unchecked, and unread when they
lie beyond the current read.
A file shorter than the saved offset was replaced: reading restarts from byte 0 (its
scalars are reported as new). Event files are never rewritten by their writers.

State: ``{"offset": int}``, always at a record boundary (or at the byte where the
search for the next valid header goes on).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from typing import Any

from tuitrain.metrics import MetricPoint
from tuitrain.sources.base import CHUNK_BYTES, ReadAt, SourceBatch

MAX_DECODE_BYTES = 1024 * 1024
# Bytes searched for a valid header (after corruption) in one poll, to keep polls short.
MAX_SCAN_BYTES = 64 * 1024

_HEADER = 12  # length + its CRC
_FOOTER = 4  # data CRC


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as TFRecord uses."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """``data`` framed as one TFRecord (for writing test files)."""
    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", masked_crc32c(length))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


# --- protobuf wire format -------------------------------------------------------


class _DecodeError(Exception):
    pass


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    end = len(buf)
    while True:
        if pos >= end or shift > 63:
            raise _DecodeError("bad varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7


def _signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """``(field number, wire type, value)``: an int for varints, bytes otherwise."""
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise _DecodeError("field 0")
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield field, wire, value
            continue
        if wire == 1:
            size = 8
        elif wire == 5:
            size = 4
        elif wire == 2:
            size, pos = _varint(buf, pos)
        else:  # groups (3, 4) and invalid types
            raise _DecodeError("unsupported wire type")
        if pos + size > end:
            raise _DecodeError("truncated field")
        yield field, wire, buf[pos : pos + size]
        pos += size


def _fixed(fmt: str, wire: int, raw: int | bytes, width: int) -> list[float]:
    """Values of a repeated fixed-width field, packed (wire 2) or not."""
    if not isinstance(raw, bytes):
        return []
    if wire == 2:
        if len(raw) % width:
            raise _DecodeError("bad packed field")
        return list(struct.unpack(f"<{len(raw) // width}{fmt}", raw))
    return list(struct.unpack(f"<{fmt}", raw))


def _varints(wire: int, raw: int | bytes) -> list[int]:
    """Values of a repeated varint field, packed (wire 2) or not."""
    if isinstance(raw, int):
        return [raw]
    if wire != 2:
        raise _DecodeError("bad varint field")
    out = []
    pos = 0
    while pos < len(raw):
        value, pos = _varint(raw, pos)
        out.append(value)
    return out


# --- Event decoding -------------------------------------------------------------

_DT_FLOAT, _DT_DOUBLE, _DT_INT32, _DT_INT64, _DT_BFLOAT16, _DT_HALF = 1, 2, 3, 9, 14, 19


def _elements(shape: bytes) -> int:
    count = 1
    for field, _wire, raw in _fields(shape):
        if field == 2 and isinstance(raw, bytes):  # Dim
            size = 0
            for f, _w, v in _fields(raw):
                if f == 1 and isinstance(v, int):
                    size = _signed64(v)
            count *= size
        elif field == 3 and raw:  # unknown_rank
            return -1
    return count


def _half(bits: int) -> float:
    return float(struct.unpack("<e", struct.pack("<H", bits & 0xFFFF))[0])


def _bfloat16(bits: int) -> float:
    return float(struct.unpack("<f", struct.pack("<I", (bits & 0xFFFF) << 16))[0])


def _tensor_scalar(buf: bytes) -> float | None:
    dtype = 0
    elements = 1
    content: bytes | None = None
    floats: list[float] = []
    ints: list[int] = []  # int_val, int64_val or half_val, whichever the dtype uses
    for field, wire, raw in _fields(buf):
        if field == 1 and isinstance(raw, int):
            dtype = raw
        elif field == 2 and isinstance(raw, bytes):
            elements = _elements(raw)
        elif field == 4 and isinstance(raw, bytes):
            content = raw
        elif field == 5 and wire in (2, 5):
            floats += _fixed("f", wire, raw, 4)
        elif field == 6 and wire in (1, 2):
            floats += _fixed("d", wire, raw, 8)
        elif field in (7, 10, 13):
            ints += _varints(wire, raw)
    if elements != 1:
        return None
    if content:
        formats = {_DT_FLOAT: "<f", _DT_DOUBLE: "<d", _DT_INT32: "<i", _DT_INT64: "<q"}
        if dtype in formats and len(content) == struct.calcsize(formats[dtype]):
            return float(struct.unpack(formats[dtype], content)[0])
        if dtype in (_DT_HALF, _DT_BFLOAT16) and len(content) == 2:
            bits = int.from_bytes(content, "little")
            return _half(bits) if dtype == _DT_HALF else _bfloat16(bits)
        return None
    if dtype in (_DT_FLOAT, _DT_DOUBLE):
        return float(floats[0]) if len(floats) == 1 else None
    if len(ints) != 1:
        return None
    if dtype == _DT_HALF:
        return _half(ints[0])
    if dtype == _DT_BFLOAT16:
        return _bfloat16(ints[0])
    if dtype in (_DT_INT32, _DT_INT64):
        return float(_signed64(ints[0]))
    return None


def _plugin_name(metadata: bytes) -> str:
    for field, _wire, raw in _fields(metadata):
        if field == 1 and isinstance(raw, bytes):  # plugin_data
            for f, _w, v in _fields(raw):
                if f == 1 and isinstance(v, bytes):
                    return v.decode("utf-8", "replace")
    return ""


def _value(buf: bytes) -> tuple[str, float] | None:
    tag = ""
    simple: float | None = None
    tensor: bytes | None = None
    plugin = ""
    for field, wire, raw in _fields(buf):
        if field == 1 and isinstance(raw, bytes):
            tag = raw.decode("utf-8", "replace")
        elif field == 2 and wire == 5 and isinstance(raw, bytes):
            simple = float(struct.unpack("<f", raw)[0])
        elif field == 8 and isinstance(raw, bytes):
            tensor = raw
        elif field == 9 and isinstance(raw, bytes):
            plugin = _plugin_name(raw)
    if not tag:
        return None
    if simple is not None:
        return tag, simple
    if tensor is not None and plugin in ("", "scalars"):
        value = _tensor_scalar(tensor)
        if value is not None:
            return tag, value
    return None


def parse_event(data: bytes) -> list[MetricPoint]:
    """The scalars of one serialized ``Event``; nothing when it does not decode."""
    try:
        wall: float | None = None
        step = 0  # proto3: an absent step is 0
        summaries: list[bytes] = []
        for field, wire, raw in _fields(data):
            if field == 1 and wire == 1 and isinstance(raw, bytes):
                wall = float(struct.unpack("<d", raw)[0])
            elif field == 2 and isinstance(raw, int):
                step = _signed64(raw)
            elif field == 5 and isinstance(raw, bytes):
                summaries.append(raw)
        if wall is not None and not (math.isfinite(wall) and wall > 0):
            wall = None
        points: list[MetricPoint] = []
        for summary in summaries:
            for field, _wire, raw in _fields(summary):
                if field == 1 and isinstance(raw, bytes):
                    scalar = _value(raw)
                    if scalar is not None:
                        points.append(MetricPoint(scalar[0], scalar[1], step, None, wall))
        return points
    except (_DecodeError, struct.error, OverflowError):
        return []


# --- the source -----------------------------------------------------------------


class TensorBoardEventSource:
    """Incremental reader of one ``events.out.tfevents.*`` file (see the module doc)."""

    kind = "tfevents"

    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.chunk_bytes = max(64, chunk_bytes)
        self.offset = 0

    def state(self) -> dict[str, Any]:
        return {"offset": self.offset}

    def restore(self, state: dict[str, Any]) -> None:
        offset = state.get("offset")
        ok = isinstance(offset, int) and not isinstance(offset, bool) and offset > 0
        self.offset = offset if ok and isinstance(offset, int) else 0

    def poll(self, read_at: ReadAt, size: int, eof: bool) -> SourceBatch:
        batch = SourceBatch()
        if size < self.offset:  # replaced: a new file
            self.offset = 0
        base = self.offset
        remaining = size - base
        if remaining < _HEADER:
            return batch
        n = min(remaining, self.chunk_bytes)
        buf = read_at(base, n)[:n]
        avail = len(buf)
        pos = 0
        scanned = 0
        more = False
        while True:
            if pos + _HEADER > avail:
                more = base + avail < size
                break
            length_bytes = buf[pos : pos + 8]
            if masked_crc32c(length_bytes) != int.from_bytes(buf[pos + 8 : pos + 12], "little"):
                pos += 1  # corrupt: look for the next valid header
                scanned += 1
                if scanned >= MAX_SCAN_BYTES:  # about 1 µs a byte: go on next poll
                    more = True
                    break
                continue
            length = int.from_bytes(length_bytes, "little")
            total = _HEADER + length + _FOOTER
            if base + pos + total > size:
                break  # still being written
            if length > MAX_DECODE_BYTES:
                pos += total  # images, audio: not scalars, skip unread
                if pos > avail:
                    more = True
                    break
                continue
            if pos + total <= avail:
                record = buf[pos : pos + total]
            elif pos == 0:  # larger than a whole read: read it alone
                record = read_at(base, total)[:total]
                if len(record) < total:
                    break
            else:
                more = True
                break
            data = record[_HEADER : _HEADER + length]
            if masked_crc32c(data) == int.from_bytes(record[_HEADER + length :], "little"):
                batch.metrics.extend(parse_event(data))
            pos += total
        self.offset = base + pos
        batch.more = more and pos > 0
        return batch
