"""Audio datasets for RAVE: files checked, described, and the preprocess command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.datasets.helpers import write_wav
from tuitrain.datasets.audio import inspect_audio, rave_preprocess_command
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.service import DatasetService


def test_audio_folder_import_and_stats(service: DatasetService, tmp_path: Path) -> None:
    src = tmp_path / "audio"
    write_wav(src / "a.wav", seconds=0.5, rate=8000)
    write_wav(src / "b.wav", seconds=1.0, rate=16000, channels=2)
    cut = write_wav(src / "cut.wav", seconds=1.0)
    cut.write_bytes(cut.read_bytes()[:-4000])
    (src / "notes.wav").write_text("not audio")
    (src / "empty.wav").write_bytes(b"")
    (src / "zz_copy.wav").write_bytes((src / "a.wav").read_bytes())

    ds = service.create_dataset("voices", "audio")
    report = service.import_files(ds.id, [src])
    outcome = {Path(o.path).name: o for o in report.outcomes}
    assert outcome["a.wav"].detail == "-> audio/a.wav"
    assert outcome["b.wav"].outcome == "imported"
    assert "truncated WAV: header says 8000 frames, file has 6000" in outcome["cut.wav"].detail
    assert outcome["notes.wav"].detail == "not an audio file: unknown content"
    assert outcome["empty.wav"].detail == "empty file (0 bytes)"
    assert outcome["zz_copy.wav"].outcome == "duplicate"

    st = service.stats(ds.id)
    assert st.audio == {
        "files": 2,
        "total_duration_s": 1.5,
        "sample_rates": {"16000": 1, "8000": 1},
        "channels": {"1": 1, "2": 1},
    }
    assert "mixed sample rates" in st.warnings[0]
    assert service.validate(ds.id, framework="rave").ok
    layout = service.store.layout(ds.id)
    assert service.rave_preprocess_command(ds.id) == [
        "rave",
        "preprocess",
        "--input_path",
        str(layout.audio),
        "--output_path",
        str(layout.root / "rave_db"),
        "--channels",
        "2",
        "--sampling_rate",
        "16000",
    ]
    with pytest.raises(DatasetError, match="takes no labels"):
        service.import_files(ds.id, [src], "yolo", src)
    with pytest.raises(DatasetError, match="not split"):
        service.split(ds.id, val=0.2)


def test_rave_command_options() -> None:
    command = rave_preprocess_command(Path("in"), Path("out"), 1, 48000, lazy=True)
    assert command[-1] == "--lazy" and command[command.index("--sampling_rate") + 1] == "48000"
    with pytest.raises(ValueError, match="channels"):
        rave_preprocess_command(Path("in"), Path("out"), 0)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg and ffprobe")
def test_other_formats_through_ffprobe(service: DatasetService, tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "tone.wav", seconds=2.0, rate=22050)
    flac = tmp_path / "tone.flac"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(wav), str(flac)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    info = inspect_audio(flac)
    assert (info.format, info.sample_rate, info.channels) == ("flac", 22050, 1)
    assert abs(info.duration_s - 2.0) < 0.01
    broken = tmp_path / "broken.flac"
    broken.write_bytes(flac.read_bytes()[:200])
    ds = service.create_dataset("flac", "audio")
    report = service.import_files(ds.id, [flac, broken])
    assert [o.outcome for o in report.outcomes] == ["imported", "refused"]
