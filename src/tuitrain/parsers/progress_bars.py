"""Pieces of tqdm and Rich progress bars shared by the framework parsers.

Lightning (TQDM and Rich bars), RAVE (Lightning 1.9's TQDM bar) and Ultralytics all
print some mix of ``n/total``, elapsed and remaining times, a rate and a postfix of
``key=value`` / ``key: value`` pairs. The helpers here turn those texts into numbers
and never raise: anything that does not parse becomes ``None`` or is skipped.
"""

from __future__ import annotations

import re
from math import inf, isfinite

# Lightning's TQDM bar_format:
#   "{desc}: {pct}%|{bar}| {n}/{total} [{elapsed}<{remaining}, {rate}{postfix}]"
# Groups: desc, n, total, elapsed, remaining, rate, postfix (", k=v, k=v" or "").
TQDM_BAR = re.compile(
    r"([^|]*?):\s*(?:\d+%)?\|[^|]*\|\s*(\d+)/(\d+|\?)\s*"
    r"\[([^<,\]]*)(?:<([^,\]]*))?(?:,\s*([^,\]]*))?([^\]]*)\]"
)
# Lightning's RichProgressBar: "Epoch 0/1 ━━━╺━━ 1/4 0:00:00 • -:--:-- 0.00it/s k: v k: v".
# Groups: desc, n, total, elapsed, remaining, rate (number only), metrics text.
RICH_BAR = re.compile(
    r"(\S.*?)\s+[━╸╺╾╼─]+\s+(\d+)/(\d+|\?|--|None)\s+([\d:]+)\s+•\s+(\S+)\s+([\d.]+)it/s\s*(.*)"
)
RICH_METRIC = re.compile(r"([^\s:]+): (\S+)")
TQDM_ITEM = re.compile(r"([^\s,=]+)=([^,\s]*)")

_SCALE = {"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}


def to_float(text: str) -> float | None:
    """A finite float or None (NaN and infinities are not plottable)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if isfinite(value) else None


def to_int(text: str | None) -> int | None:
    """A non-negative integer or None (``?``, ``--``, empty, absurdly long)."""
    if text and len(text) <= 18 and text.isascii() and text.isdigit():
        return int(text)
    return None


def parse_duration(text: str | None) -> float | None:
    """Seconds from ``00:05``, ``1:02:03``, ``0.4s`` or ``12.3s``; None for ``?``/``-:--:--``."""
    if not text:
        return None
    text = text.strip()
    if text.endswith("s"):
        return to_float(text[:-1])
    total = 0.0
    for part in text.split(":"):
        value = to_float(part)
        if value is None or value < 0:
            return None
        total = total * 60 + value
    return total if isfinite(total) else None


def parse_rate(text: str | None) -> float | None:
    """Iterations per second from ``27.5it/s``, ``1.49s/it``, ``2.5Mit/s``; None when 0 or ``?``."""
    if text and text.endswith("it/s"):
        try:
            value = float(text[:-4])  # the common case, kept cheap
        except ValueError:
            return _scaled_rate(text)
        return value if 0 < value < inf else None
    return _scaled_rate(text)


def _scaled_rate(text: str | None) -> float | None:
    if not text:
        return None
    if text.endswith("it/s"):
        num, inverse = text[:-4], False
    elif text.endswith("s/it"):
        num, inverse = text[:-4], True
    else:
        return None
    num = num.strip()
    scale = 1.0
    if num and num[-1] in _SCALE:
        scale = _SCALE[num[-1]]
        num = num[:-1]
    value = to_float(num)
    if value is None or value <= 0:
        return None
    value *= scale
    return 1.0 / value if inverse else value


def run_eta(
    rate: float | None,
    left_in_epoch: int,
    epochs_left: int | None,
    per_epoch: int | None,
    remaining: float | None,
) -> float | None:
    """Seconds left for the whole run: batches still to do at the bar's rate.

    Validation time is not counted (the bars do not tell it). Without a rate, the bar's
    own remaining time is used in the last epoch.
    """
    if epochs_left is None or epochs_left < 0:
        return None
    if rate:
        return (max(left_in_epoch, 0) + epochs_left * (per_epoch or 0)) / rate
    if epochs_left == 0:
        return remaining
    return None


def _named_values(pattern: re.Pattern[str], text: str) -> list[tuple[str, float]]:
    """(name, value) pairs the pattern finds; v_num and non-numbers skipped."""
    out: list[tuple[str, float]] = []
    for key, raw in pattern.findall(text):
        try:
            value = float(raw)
        except ValueError:
            continue
        if key != "v_num" and isfinite(value):
            out.append((key, value))
    return out


def tqdm_postfix(text: str) -> list[tuple[str, float]]:
    """``, v_num=0, train_loss=6.970`` -> [("train_loss", 6.97)]."""
    return _named_values(TQDM_ITEM, text)


def rich_metrics(text: str) -> list[tuple[str, float]]:
    """``v_num: 0.000 train_loss: 7.539`` -> [("train_loss", 7.539)]."""
    return _named_values(RICH_METRIC, text)
