"""The nvidia-smi CSV reader on recorded outputs (see fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuitrain.gpus.model import SnapshotState
from tuitrain.gpus.smi_csv import (
    SmiOutputError,
    column_key,
    parse_gpus,
    parse_number,
    parse_processes,
    read_table,
    snapshot_from_output,
)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_two_h100s_with_units_in_header_and_values() -> None:
    gpus = parse_gpus(fixture("h100_two_gpus.csv"))
    assert [g.index for g in gpus] == [2, 3]
    first = gpus[0]
    assert first.name == "NVIDIA H100 80GB HBM3"
    assert first.uuid == "GPU-107f0d10-2c02-7c73-7b9f-680acd29b484"
    assert first.utilization == 100.0
    assert (first.memory_used_mib, first.memory_total_mib) == (29089.0, 81559.0)
    assert first.temperature_c == 35.0
    assert gpus[1].temperature_c == 29.0
    assert first.memory_percent == pytest.approx(35.67, abs=0.01)


def test_columns_in_another_order_and_missing_ones_are_none() -> None:
    gpus = parse_gpus(fixture("five_gpus_reordered.csv"))
    assert [g.index for g in gpus] == [0, 1, 2, 3, 4]
    assert gpus[1].name == "GeForce GTX 1080 Ti"
    assert gpus[4].uuid == "GPU-ff3318a7-f0dd-dc57-1fb8-cc95ba35c56e"
    assert all(g.utilization is None and g.memory_percent is None for g in gpus)


def test_not_supported_under_a_header_with_its_unit() -> None:
    table = read_table(fixture("gtx650_utilization_not_supported.csv"))
    assert table == [{"utilization.gpu": "[Not Supported]"}]
    assert parse_number(table[0]["utilization.gpu"]) is None
    with pytest.raises(SmiOutputError, match="no index column"):
        parse_gpus(fixture("gtx650_utilization_not_supported.csv"))


@pytest.mark.parametrize(
    "name", ["i3pystatus_na_noheader.csv", "i3pystatus_not_supported_noheader.csv"]
)
def test_na_and_not_supported_values(name: str) -> None:
    values = [parse_number(v) for v in fixture(name).strip().split(",")]
    assert values == [2004.0, 2004.0, 0.0, 44.0, None, 0.0, 0.0]


@pytest.mark.parametrize(
    ("text", "value"),
    [("29089 MiB", 29089.0), ("100 %", 100.0), ("154.88 W", 154.88), ("35", 35.0)]
    + [(v, None) for v in ("[N/A]", "N/A", "[Not Supported]", "[Unknown Error]", "")],
)
def test_numbers_with_units(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def test_units_and_aliases_leave_column_names() -> None:
    assert column_key("memory.used [MiB]") == "memory.used"
    assert column_key(" utilization.gpu [%]") == "utilization.gpu"
    assert column_key("used_gpu_memory [MiB]") == "used_memory"
    assert column_key("gpu_uuid") == "uuid"


def test_compute_apps() -> None:
    assert read_table(fixture("compute_apps_uuid_name.csv"))[2] == {
        "uuid": "GPU-777ead31-954e-837f-590f-6c4974d8e571",
        "process_name": "vgpu",
    }
    assert parse_processes(fixture("compute_apps_uuid_name.csv")) == []  # no pid: no use
    text = "pid, gpu_uuid, used_gpu_memory [MiB]\n1580, GPU-107f0d10, 340 MiB\n"
    (proc,) = parse_processes(text)
    assert (proc.pid, proc.gpu_uuid, proc.used_memory_mib) == (1580, "GPU-107f0d10", 340.0)
    assert read_table(fixture("compute_apps_pid_memory.csv"))[1]["used_memory"] == "394 MiB"


def test_a_row_with_the_wrong_number_of_fields_is_a_clear_error() -> None:
    with pytest.raises(SmiOutputError, match="line 2 has 2 fields, the header 3"):
        read_table("index, name, memory.used [MiB]\n0, broken\n")


@pytest.mark.parametrize(
    ("name", "code", "state", "message"),
    [
        ("no_driver.txt", 9, SnapshotState.NO_DRIVER, "no NVIDIA driver: NVIDIA-SMI has failed"),
        ("no_driver_typographic_quote.txt", 9, SnapshotState.NO_DRIVER, "no NVIDIA driver"),
        ("nvml_mismatch.txt", 18, SnapshotState.NO_DRIVER, "Driver/library version mismatch"),
        ("no_devices.txt", 6, SnapshotState.NO_GPU, "no GPU: nvidia-smi found none"),
    ],
)
def test_recorded_failures_are_plain_states(
    name: str, code: int, state: SnapshotState, message: str
) -> None:
    snap = snapshot_from_output("gpu1", code, fixture(name), "")
    assert snap.state is state and not snap.ok and snap.gpus == ()
    assert message in snap.message and "\n" not in snap.message
    assert snap.state.definitive


def test_not_installed_and_other_failures() -> None:
    snap = snapshot_from_output("local", 127, "", "nvidia-smi: command not found")
    assert snap.state is SnapshotState.NOT_INSTALLED
    assert snap.describe() == "no GPU: nvidia-smi is not installed (no NVIDIA driver)"
    down = snapshot_from_output("gpu1", 255, "", "ssh: connect to host gpu1 port 22: refused\n")
    assert down.state is SnapshotState.ERROR and not down.state.definitive
    assert down.message == "nvidia-smi failed: ssh: connect to host gpu1 port 22: refused"
    garbled = snapshot_from_output("gpu1", 0, "index, name\n0\n", "")
    assert garbled.state is SnapshotState.ERROR and "line 2" in garbled.message


def test_an_ok_snapshot_carries_gpus_and_processes() -> None:
    apps = "pid, gpu_uuid, used_gpu_memory [MiB]\n77, GPU-8c958eaa-b244-64cb-6283-d37792aac963, 1 MiB\n"
    snap = snapshot_from_output("gpu1", 0, fixture("h100_two_gpus.csv"), "", apps)
    assert snap.ok and snap.describe() == "2 GPUs"
    assert snap.gpu(3) is not None and snap.gpu(0) is None
    assert snap.processes[0].pid == 77
