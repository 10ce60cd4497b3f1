"""A real RAVE training on CPU through the manager: a folder of generated audio is
preprocessed in the run, then v2_small trains 20 steps; its TensorBoard scalars are
ingested with the values RAVE wrote, its checkpoints registered. A real crash of RAVE
(n_signal too small for v2_small) ends FAILED with RAVE's own error."""

from __future__ import annotations

import json
from pathlib import Path

from tests.frameworks.real_support import (
    assert_completed,
    close,
    in_env,
    output_of,
    tiny_audio_folder,
    train,
    training_python,
    write_environments,
)
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

PARAMS = {
    "config": "v2_small",
    "max_steps": 20,
    "val_every": 10,
    "workers": 0,
    "batch": 2,
    "channels": 1,
    "n_signal": 65536,
    "device": "cpu",
}
# RAVE's event files as TensorBoard itself reads them (in the RAVE environment).
SCALARS = """
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
acc.Reload()
print(json.dumps({t: [[e.step, e.value] for e in acc.Scalars(t)] for t in acc.Tags()["scalars"]}))
"""


async def test_rave_preprocesses_then_trains_for_real(
    home: Path, manager: TrainingManager, tmp_path: Path
) -> None:
    python = training_python("TUITRAIN_RAVE_PYTHON")
    write_environments(home, rave=python)
    audio = tiny_audio_folder(tmp_path / "tones")
    exp, seconds = await train(manager, "rave", {"db_path": str(audio), **PARAMS})
    print(f"real RAVE run (preprocess + 20 steps): {seconds:.1f} s")
    assert_completed(exp)
    assert exp.id is not None
    run_dir = Path(exp.run_dir)
    log = output_of(exp)
    assert "== rave preprocess (4 audio files)" in log and "== rave train" in log
    assert (run_dir / "db" / "data.mdb").is_file()
    assert "`Trainer.fit` stopped: `max_steps=20` reached." in log

    # Every scalar of the event file, ingested with RAVE's own values.
    [events] = list(run_dir.glob("runs/*/version_0/events.out.tfevents.*"))
    written = json.loads(in_env(python, SCALARS, str(events.parent)).splitlines()[-1])
    assert "validation" in written and len(written["validation"]) == 2
    rows = manager.store.metrics(exp.id)
    for tag, points in written.items():
        mine = [(r.step, r.value) for r in rows if r.name == tag]
        assert [s for s, _ in mine] == [s for s, _ in points], tag
        assert all(close(a, b) for (_, a), (_, b) in zip(mine, points, strict=True)), tag
    assert json.loads(exp.progress_json)["step"] == 20

    # Its checkpoints, registered with the run's last values.
    models = {m.name: m for m in manager.store.models(exp.id)}
    assert "best.ckpt" in models and all(n.endswith(".ckpt") for n in models)
    last = json.loads(models["best.ckpt"].metrics_json)
    assert close(last["validation"], written["validation"][-1][1])


async def test_a_rave_crash_fails_with_its_error(
    home: Path, manager: TrainingManager, tmp_path: Path
) -> None:
    python = training_python("TUITRAIN_RAVE_PYTHON")
    write_environments(home, rave=python)
    audio = tiny_audio_folder(tmp_path / "tones")
    exp, seconds = await train(
        manager, "rave", {"db_path": str(audio), **PARAMS, "n_signal": 32768}
    )
    print(f"RAVE crash: {seconds:.1f} s")
    assert exp.status == RunStatus.FAILED
    assert exp.error_summary is not None
    assert "RuntimeError: Argument #4: Padding size should be less than" in exp.error_summary
    assert exp.error_summary.startswith("exit code 1: ")
    assert manager.store.models(exp.id) == []
