"""A model kept loaded in its framework's environment, answering one image at a time.

:class:`Predictor` starts ``runners/predict.py`` as a subprocess in the environment
the host's ``config.toml`` names for the model's framework, and talks to it in JSON
lines (the protocol is documented in the runner). The process is started on the first
request (or :meth:`Predictor.start`) and kept for the next ones, so only the first
pays for importing the libraries and loading the weights. Its stderr goes to a log
file; a runner that dies or stops answering is reported with the tail of that log,
and the next request starts a fresh one.

Blocking and thread-safe (one request at a time): the CLI calls it directly, the TUI
from a worker thread.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from tuitrain.frameworks.environments import Environment, environment_for, runners_dir
from tuitrain.inference.models import PredictableModel
from tuitrain.inference.results import ImageResult, RunnerReady, result_from_answer
from tuitrain.paths import tuitrain_home

START_TIMEOUT_S = 300.0  # importing torch and loading weights, on a slow disk
REQUEST_TIMEOUT_S = 120.0  # one image on a CPU, with the first call's set-up
CLOSE_GRACE_S = 5.0
LOG_TAIL_LINES = 12
RUNNER = "predict.py"


class PredictorError(RuntimeError):
    """The runner cannot answer (it failed to start, died or hung). ``log_tail``: the
    end of its stderr."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message)
        self.log_tail = log_tail


class Predictor:
    """The inference runner of one model; see the module's docstring."""

    def __init__(
        self,
        model: PredictableModel,
        *,
        home: Path | None = None,
        environment: Environment | None = None,
        device: str = "",
        log_path: Path | None = None,
        start_timeout_s: float = START_TIMEOUT_S,
        request_timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.model = model
        self.home = home or tuitrain_home()
        self.environment = environment or environment_for(model.framework)
        self.device = device
        self.log_path = log_path or self.home / "inference" / f"{model.framework}-runner.log"
        self.start_timeout_s = start_timeout_s
        self.request_timeout_s = request_timeout_s
        self.ready: RunnerReady | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._log_offset = 0
        self._next_id = 0
        self._lock = threading.RLock()

    # -- life cycle ------------------------------------------------------------------
    def command(self) -> list[str]:
        runner = os.path.join(runners_dir("local"), RUNNER)
        argv = [*self.environment.prefix, self.environment.python, runner]
        argv += ["--framework", self.model.framework, "--model", self.model.path]
        return argv + (["--device", self.device] if self.device else [])

    def environ(self) -> dict[str, str]:
        """Offline, with Ultralytics' settings in tuitrain's home, not the user's."""
        return {
            **os.environ,
            "YOLO_OFFLINE": "1",
            "YOLO_CONFIG_DIR": str(self.home / "ultralytics"),
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self.ready is not None

    def start(self) -> RunnerReady:
        """Start the runner and wait until the model is loaded (a no-op when it is)."""
        with self._lock:
            if self.running and self.ready is not None:
                return self.ready
            self._stop_process()
            return self._spawn()

    def restart(self) -> RunnerReady:
        with self._lock:
            self._stop_process()
            return self._spawn()

    def close(self) -> None:
        """End the runner: end of input first (it exits by itself), then TERM, KILL."""
        with self._lock:
            self._stop_process()

    def __enter__(self) -> Predictor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _spawn(self) -> RunnerReady:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
            log.write(f"--- {time.strftime('%F %T')} {self.model.title()}\n".encode())
            log.flush()
            try:
                self._proc = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                    encoding="utf-8",
                    errors="replace",
                    bufsize=1,
                    env=self.environ(),
                    start_new_session=True,  # the terminal's Ctrl-C is not the runner's
                )
            except OSError as exc:
                raise PredictorError(
                    f"cannot start the {self.model.framework} environment "
                    f"({self.environment.describe()}): {exc.strerror or exc}"
                ) from exc
        self._lines = queue.Queue()
        assert self._proc.stdout is not None
        reader = threading.Thread(
            target=_read_lines, args=(self._proc.stdout, self._lines), daemon=True
        )
        reader.start()
        doc = self._receive(self.start_timeout_s, "loading the model")
        if doc.get("event") != "ready":
            self._stop_process()
            reason = doc.get("error") or f"unexpected first line {doc!r}"
            raise PredictorError(str(reason), self.log_tail())
        classes = {int(k): str(v) for k, v in (doc.get("classes") or {}).items()}
        self.ready = RunnerReady(
            framework=str(doc.get("framework") or self.model.framework),
            classes=classes,
            device=str(doc.get("device") or ""),
            load_ms=float(doc.get("load_ms") or 0.0),
            startup_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        return self.ready

    def _stop_process(self) -> None:
        proc, self._proc, self.ready = self._proc, None, None
        if proc is None:
            return
        for step in (_close_input, _terminate, _kill):
            step(proc)
            try:
                proc.wait(CLOSE_GRACE_S)
                break
            except subprocess.TimeoutExpired:
                continue
        if proc.stdout is not None:
            proc.stdout.close()

    # -- requests --------------------------------------------------------------------
    def predict(
        self, image: str, conf: float = 0.25, iou: float = 0.7, imgsz: int | None = None
    ) -> ImageResult:
        """The boxes found in ``image``; an image the runner cannot read is a failed
        result, a runner that cannot answer a :class:`PredictorError`."""
        with self._lock:
            self.start()
            self._next_id += 1
            request = {"id": self._next_id, "image": image, "conf": conf, "iou": iou}
            if imgsz:
                request["imgsz"] = imgsz
            started = time.perf_counter()
            self._send(request)
            while True:
                doc = self._receive(self.request_timeout_s, f"answering for {image}")
                if doc.get("id") == request["id"]:
                    break
            return result_from_answer(doc, (time.perf_counter() - started) * 1000)

    def _send(self, request: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._receive(self.request_timeout_s, "reading a request")  # raises: it died

    def _receive(self, timeout_s: float, doing: str) -> dict[str, Any]:
        """The next protocol line, or PredictorError when the runner ends or hangs."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._stop_process()
                raise PredictorError(
                    f"the inference runner gave no answer in {timeout_s:.0f} s while {doing}; "
                    f"it was stopped (log: {self.log_path})",
                    self.log_tail(),
                ) from None
            if line is None:
                raise self._died(doing)
            try:
                doc = json.loads(line)
            except ValueError:
                continue  # not a protocol line: the runner keeps those off stdout
            if isinstance(doc, dict):
                return doc

    def _died(self, doing: str) -> PredictorError:
        code = None
        if self._proc is not None:
            try:
                code = self._proc.wait(CLOSE_GRACE_S)
            except subprocess.TimeoutExpired:
                code = None  # its output closed but it lives on: stopped below
        self._stop_process()
        tail = self.log_tail()
        last = next((ln for ln in reversed(tail.splitlines()) if ln.strip()), "")
        reason = f": {last.strip()}" if last else ""
        return PredictorError(
            f"the inference runner exited (code {code}) while {doing}{reason}", tail
        )

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines this runner wrote to its log."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._log_offset)
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass  # closed under us by close()
    lines.put(None)


def _close_input(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def _terminate(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
