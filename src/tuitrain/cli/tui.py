"""Opening the TUI from the command line."""

from __future__ import annotations

import sys


def run_tui() -> int:
    try:
        from tuitrain.ui.app import make_app  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        print(
            "tuitrain: the TUI is not built yet; see `tuitrain --help` for the CLI", file=sys.stderr
        )
        return 2
    make_app().run()
    return 0
