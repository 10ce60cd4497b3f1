"""Audio for RAVE: is each file readable, at what sample rate, how many channels, how
long? WAV is read with the standard library (every frame, so truncation shows); other
formats need ``ffprobe``. Also builds the ``rave preprocess`` command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuitrain.datasets.errors import MediaProblem
from tuitrain.datasets.images import file_sha256

DEFAULT_MAX_AUDIO_BYTES = 2 * 1024**3
FFPROBE_TIMEOUT_S = 60.0


class AudioProblem(MediaProblem):
    pass


class _WavEncodingUnknown(Exception):
    """A WAV the ``wave`` module does not decode (float, extensible): ffprobe's turn."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    format: str  # wav, flac, mp3, ogg, aiff, m4a
    sample_rate: int
    channels: int
    duration_s: float
    size_bytes: int
    sha256: str

    @property
    def extension(self) -> str:
        return "." + self.format

    def row_fields(self) -> dict[str, Any]:
        return {
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "duration_s": self.duration_s,
        }


def sniff_audio(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[4:8] == b"ftyp":
        return "m4a"
    return None


def inspect_audio(path: Path, max_bytes: int = DEFAULT_MAX_AUDIO_BYTES) -> AudioInfo:
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise AudioProblem(f"cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise AudioProblem("empty file (0 bytes)")
    if size > max_bytes:
        raise AudioProblem(f"too large: {size} bytes > limit {max_bytes}")
    kind = sniff_audio(head)
    if kind is None:
        raise AudioProblem("not an audio file: unknown content")
    if kind == "wav":
        try:
            rate, channels, duration = _wav(path)
        except _WavEncodingUnknown as exc:  # e.g. float or extensible WAV
            if not ffprobe_available():
                raise AudioProblem(f"{exc}; install ffmpeg to check it with ffprobe") from exc
            rate, channels, duration = _ffprobe(path)
    else:
        if not ffprobe_available():
            raise AudioProblem(f"cannot check {kind} without ffprobe (install ffmpeg)")
        rate, channels, duration = _ffprobe(path)
    if rate <= 0 or channels <= 0 or duration <= 0:
        raise AudioProblem(f"no audio: {rate} Hz, {channels} channel(s), {duration:.3f} s")
    return AudioInfo(kind, rate, channels, round(duration, 6), size, file_sha256(path))


def _wav(path: Path) -> tuple[int, int, float]:
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, declared = w.getframerate(), w.getnchannels(), w.getnframes()
            frame_bytes = w.getsampwidth() * channels
            frames = 0
            while chunk := w.readframes(65536):
                frames += len(chunk) // max(frame_bytes, 1)
    except wave.Error as exc:
        if "unknown format" in str(exc):
            raise _WavEncodingUnknown(
                f"WAV encoding the standard library cannot read ({exc})"
            ) from exc
        raise AudioProblem(f"unreadable WAV: {exc}") from exc
    except (EOFError, OSError) as exc:
        raise AudioProblem(f"unreadable WAV: {exc}") from exc
    if frames < declared:
        raise AudioProblem(f"truncated WAV: header says {declared} frames, file has {frames}")
    return rate, channels, frames / rate if rate else 0.0


def ffprobe_available() -> bool:
    return shutil.which("ffprobe") is not None


def _ffprobe(path: Path) -> tuple[int, int, float]:
    command = ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)]
    try:
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=FFPROBE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AudioProblem(f"ffprobe failed: {exc}") from exc
    if proc.returncode != 0:
        message = (proc.stderr.strip().splitlines() or ["unreadable"])[-1]
        raise AudioProblem(f"unreadable audio: {message}")
    doc = json.loads(proc.stdout or "{}")
    streams = [s for s in doc.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioProblem("no audio stream")
    stream = streams[0]
    duration = stream.get("duration") or doc.get("format", {}).get("duration") or 0
    return int(stream.get("sample_rate") or 0), int(stream.get("channels") or 0), float(duration)


@dataclass(slots=True)
class AudioFolderReport:
    files: list[tuple[str, AudioInfo | None, str]] = field(default_factory=list)

    @property
    def good(self) -> list[AudioInfo]:
        return [info for _, info, _ in self.files if info is not None]

    @property
    def total_duration_s(self) -> float:
        return sum(i.duration_s for i in self.good)

    def to_dict(self) -> dict[str, Any]:
        good = self.good
        return {
            "files": len(self.files),
            "readable": len(good),
            "total_duration_s": round(self.total_duration_s, 3),
            "sample_rates": dict(Counter(str(i.sample_rate) for i in good)),
            "channels": dict(Counter(str(i.channels) for i in good)),
            "problems": {path: problem for path, info, problem in self.files if info is None},
        }


def check_audio_files(paths: list[Path]) -> AudioFolderReport:
    report = AudioFolderReport()
    for path in paths:
        try:
            report.files.append((str(path), inspect_audio(path), ""))
        except AudioProblem as exc:
            report.files.append((str(path), None, str(exc)))
    return report


def rave_preprocess_command(
    input_path: Path,
    output_path: Path,
    channels: int = 1,
    sampling_rate: int = 44100,
    lazy: bool = False,
) -> list[str]:
    """The ``rave preprocess`` argv (RAVE v2) that turns a folder of audio into the
    database ``rave train --db_path`` reads."""
    if channels < 1:
        raise ValueError("channels must be at least 1")
    if sampling_rate < 1:
        raise ValueError("sampling rate must be positive")
    command = [
        "rave",
        "preprocess",
        "--input_path",
        str(input_path),
        "--output_path",
        str(output_path),
        "--channels",
        str(channels),
        "--sampling_rate",
        str(sampling_rate),
    ]
    if lazy:
        command.append("--lazy")
    return command
