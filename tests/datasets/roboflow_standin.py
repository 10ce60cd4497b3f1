"""A local HTTP server that answers what the official ``roboflow`` client asks when it
runs ``Roboflow(key).workspace(w).project(p).version(n).download(fmt, location)``:

- ``POST /?api_key=K``                    -> ``{"workspace": w}`` (the key check)
- ``GET /{w}?api_key=K``                   -> the workspace
- ``GET /{w}/{p}?api_key=K``               -> the project and its versions
- ``GET /{w}/{p}/{n}?api_key=K&nocache``   -> the version (not generating)
- ``GET /{w}/{p}/{n}/{fmt}?api_key=K...``  -> ``{"export": {"link": ...}}``
- ``GET /download/{w}/{p}/{n}/{fmt}.zip``  -> the zip

On every request it also scans every process's command line for the key.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import psutil

from tests.datasets.helpers import image_bytes


@dataclass
class StandIn:
    key: str
    workspace: str
    archives: dict[tuple[str, int, str], bytes]  # (project, version, format) -> zip
    url: str = ""
    requests: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def scan_command_lines(self) -> None:
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmdline = " ".join(proc.info.get("cmdline") or [])
            if self.key in cmdline:
                with self.lock:
                    self.leaks.append(f"pid {proc.info['pid']}: {cmdline}")


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, doc: object, status: int = 200) -> None:
            self._send(status, json.dumps(doc).encode())

        def _route(self, method: str) -> None:
            state.scan_command_lines()
            url = urlparse(self.path)
            with state.lock:
                state.requests.append(f"{method} {url.path}")
            parts = [p for p in url.path.split("/") if p]
            if parts and parts[0] == "download" and len(parts) == 5:
                _, _ws, project, version, name = parts
                archive = state.archives.get((project, int(version), name.removesuffix(".zip")))
                if archive is None:
                    return self._json({"error": "no such export"}, 404)
                return self._send(200, archive, "application/zip")
            if parse_qs(url.query).get("api_key") != [state.key]:
                return self._json({"error": {"message": "This API key does not exist"}}, 401)
            if method == "POST" and not parts:
                return self._json({"workspace": state.workspace})
            if method != "GET" or not parts or parts[0] != state.workspace:
                return self._json({"error": "not found"}, 404)
            if len(parts) == 1:
                return self._json(
                    {"workspace": {"name": state.workspace, "url": state.workspace, "projects": []}}
                )
            project = parts[1]
            versions = sorted({v for p, v, _ in state.archives if p == project})
            if not versions:
                return self._json({"error": f"project {project} not found"}, 404)
            if len(parts) == 2:
                return self._json(_project(state.workspace, project, versions))
            if len(parts) == 3:
                return self._json({"version": {"generating": False, "images": 4, "progress": 1.0}})
            if len(parts) == 4:
                link = f"{state.url}/download/{state.workspace}/{project}/{parts[2]}/{parts[3]}.zip"
                return self._json({"export": {"link": link, "format": parts[3]}})
            return self._json({"error": "not found"}, 404)

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

    return Handler


def _project(workspace: str, project: str, versions: list[int]) -> dict[str, object]:
    return {
        "project": {
            "id": f"{workspace}/{project}",
            "name": project,
            "type": "object-detection",
            "annotation": "animals",
            "classes": {"cat": 3, "dog": 2},
            "colors": {},
            "created": 1700000000,
            "updated": 1700000000,
            "images": 4,
            "unannotated": 0,
            "public": False,
            "splits": {"train": 2, "valid": 1, "test": 1},
        },
        "versions": [
            {
                "id": f"{workspace}/{project}/{v}",
                "name": project,
                "created": 1700000000,
                "images": 4,
                "splits": {"train": 2, "valid": 1, "test": 1},
                "augmentation": {},
                "preprocessing": {},
                "exports": [],
            }
            for v in versions
        ],
    }


@contextmanager
def serve(state: StandIn) -> Iterator[StandIn]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- archives as Roboflow exports them --------------------------------------------------
SPLIT_FILES = {"train": ["a", "b"], "valid": ["c"], "test": ["d"]}


def yolov8_zip(extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(
            "data.yaml",
            "train: ../train/images\nval: ../valid/images\ntest: ../test/images\n\n"
            "nc: 2\nnames: ['cat', 'dog']\n",
        )
        zf.writestr("README.roboflow.txt", "exported from the stand-in\n")
        seed = 0
        for split, stems in SPLIT_FILES.items():
            for stem in stems:
                seed += 1
                name = f"{stem}_jpg.rf.{seed:04x}"
                zf.writestr(f"{split}/images/{name}.jpg", image_bytes(seed, (40, 30), "JPEG"))
                zf.writestr(f"{split}/labels/{name}.txt", f"{seed % 2} 0.5 0.5 0.25 0.5\n")
        for member, data in (extra or {}).items():
            zf.writestr(member, data)
    return out.getvalue()


def coco_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        seed = 0
        for split, stems in SPLIT_FILES.items():
            images, annotations = [], []
            for i, stem in enumerate(stems):
                seed += 1
                name = f"{stem}_jpg.rf.{seed:04x}.jpg"
                zf.writestr(f"{split}/{name}", image_bytes(seed, (40, 30), "JPEG"))
                images.append({"id": i, "file_name": name, "width": 40, "height": 30})
                annotations.append(
                    {"id": i, "image_id": i, "category_id": 1 + seed % 2, "bbox": [15, 7.5, 10, 15]}
                )
            doc = {
                "images": images,
                "annotations": annotations,
                "categories": [
                    {"id": 0, "name": "animals", "supercategory": "none"},
                    {"id": 1, "name": "cat", "supercategory": "animals"},
                    {"id": 2, "name": "dog", "supercategory": "animals"},
                ],
            }
            zf.writestr(f"{split}/_annotations.coco.json", json.dumps(doc))
    return out.getvalue()
