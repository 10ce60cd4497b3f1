"""The ingester over real files and a real store, without a process."""

from __future__ import annotations

import json
from pathlib import Path

from tuitrain.executors.local import LocalExecutor
from tuitrain.runs.ingest import RunIngester
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore


def _setup(tmp_path: Path) -> tuple[ExperimentStore, Path, RunIngester, RunIngester]:
    store = ExperimentStore(Database(tmp_path / "t.db"))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    exp = store.create(name="x", run_dir=str(run_dir), config_json=json.dumps({"parser": "regex"}))
    executor = LocalExecutor()
    return (
        store,
        run_dir / "output.log",
        RunIngester(store, executor, exp),
        RunIngester(store, executor, exp),
    )


def test_data_ingested_by_another_process_is_flagged_not_repeated(tmp_path: Path) -> None:
    store, log, mine, theirs = _setup(tmp_path)
    log.write_text("step 1 loss: 0.5\n")
    first = mine.catch_up()
    assert [m.value for m in first.metrics] == [0.5] and not first.external
    with log.open("a") as fh:
        fh.write("step 2 loss: 0.25\n")
    assert [m.value for m in theirs.catch_up().metrics] == [0.25]
    # The other ingester took those bytes: this one reports it and repeats nothing.
    again = mine.catch_up()
    assert again.external and again.metrics == []
    with log.open("a") as fh:
        fh.write("step 3 loss: 0.125\n")
    last = mine.catch_up()
    assert not last.external and [m.value for m in last.metrics] == [0.125]
    assert [r.value for r in store.metrics(1, "loss")] == [0.5, 0.25, 0.125]


def test_a_partial_line_waits_until_complete_or_the_end(tmp_path: Path) -> None:
    store, log, mine, _ = _setup(tmp_path)
    log.write_bytes(b"step 1 loss: 0.5\nstep 2 lo")
    assert [m.value for m in mine.catch_up().metrics] == [0.5]
    with log.open("ab") as fh:
        fh.write(b"ss: 0.25\rstep 3 loss: 0.125")
    assert [m.value for m in mine.catch_up().metrics] == [0.25]
    assert [m.value for m in mine.catch_up(eof=True).metrics] == [0.125]
    assert [(r.step, r.value) for r in store.metrics(1, "loss")] == [
        (1, 0.5),
        (2, 0.25),
        (3, 0.125),
    ]
