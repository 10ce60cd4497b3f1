"""The brief cache of remote folder listings never outlives what the manager learnt
since: a listing that was under way when a probe found the run ended must not serve the
final catch-up (it would miss the run's last bytes: lost metrics, a short log)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.remote.sshd import SshServer
from tuitrain.executors import ssh_scripts as scripts
from tuitrain.executors.base import ProcessIdentity
from tuitrain.executors.ssh import SshExecutor
from tuitrain.runs.manager import TrainingManager


def test_a_listing_under_way_during_a_probe_is_not_used_after_it(
    remote_manager: TrainingManager, sshd: SshServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = remote_manager.executor_for("gpu")
    assert isinstance(executor, SshExecutor)
    folder = sshd.workdir / "listing"
    folder.mkdir()
    jsonl = folder / "metrics.jsonl"
    jsonl.write_bytes(b'{"a": 1}\n')
    listed, release = threading.Event(), threading.Event()
    real_sh = executor._sh

    def held_listing(script: str, *args: str, **kwargs: object) -> bytes:
        out = real_sh(script, *args, **kwargs)  # type: ignore[arg-type]
        if script == scripts.LIST and not listed.is_set():
            listed.set()  # a follower's listing, answered but not yet cached
            assert release.wait(30)
        return out

    monkeypatch.setattr(executor, "_sh", held_listing)
    follower = threading.Thread(target=executor.list_files, args=(str(folder), "*"))
    follower.start()
    assert listed.wait(30)
    jsonl.write_bytes(b'{"a": 1}\n{"a": 2}\n')  # the run's last line, then it ends
    executor.probe(ProcessIdentity(pid=1, pgid=1, start="ticks:0", boot_id="other"))
    release.set()
    follower.join(30)
    # The final catch-up after the probe sees the file as it is now.
    assert executor.file_size(str(jsonl)) == jsonl.stat().st_size
    assert executor.list_files(str(folder), "*") == [str(jsonl)]
    assert executor.file_size(str(Path(folder, "missing"))) is None
