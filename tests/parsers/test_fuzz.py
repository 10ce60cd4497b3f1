"""Parsers never raise, whatever a child prints, and their state stays plain JSON."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain.output.lines import LineSplitter
from tuitrain.parsers import (
    PARSER_NAMES,
    LightningParser,
    RaveParser,
    RegexParser,
    UltralyticsParser,
    make_parser,
)
from tuitrain.parsers.base import OutputParser

from .util import roundtrip

# Pieces of real output, so that random text reaches deep into the parsers.
FRAGMENTS = [
    "Epoch ",
    "Epoch 0: ",
    "Epoch 1/1 ",
    " 50%|█████     | ",
    "|          | ",
    "2/4 ",
    "0/? ",
    "99999999999999999999999/3 ",
    "[00:00<00:00, 26.56it/s, v_num=0, train_loss=6.970]",
    "[00:01, ?it/s",
    ", val_loss=",
    "=nan",
    "1e999",
    "━━━━╺━━━ 1/4 0:00:00 • -:--:-- 0.00it/s v_num: 0.000 train_loss: 7.539",
    " • ",
    "   val_loss: 6.727 ",
    "Validation DataLoader 0: 100%|██████████| 2/2 [00:00<00:00, 56.29it/s]",
    "`Trainer.fit` stopped: `max_steps=20` reached.",
    "      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size",
    "        1/2         0G      1.731      1.259      1.041          7         64: ",
    "100% ━━━━━━━━━━━━ 4/4 6.8it/s 0.6s",
    "25% ━━━───────── 1/4 3.0it/s 0.4s<1.0s",
    "100%|██████████| 4/4 [00:01<00:00,  3.20it/s]",
    "                 Class     Images  Instances      Box(P          R      mAP50  mA…: ",
    "   classes   top1_acc   top5_acc: ",
    "                   all          8         17          0.5          x          0          0",
    "Validating /runs/weights/best.pt...",
    "Ultralytics 8.4.190 🚀",
    "Compression ratio: 512x",
    "dataset length: 0:00:05: : 5it [00:00,  9.18it/s]",
    "step 5/100 loss: 0.5 lr=1e-4 val_loss 0.7 epoch 3",
    "\r",
    "\n",
    "\r\n",
    "\x1b[K",
    "\x1b[2K\x1b[1A",
    " ",
    ":",
    "/",
    "\t",
    "\x00",
]
text_pieces = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40)


PATTERNS = {"acc": r"acc\W*(\S+)", "step": r"it (\d+)"}


def all_parsers() -> list[OutputParser]:
    parsers = [make_parser(name) for name in PARSER_NAMES]
    return [*parsers, make_parser("auto", PATTERNS), make_parser("lightning", PATTERNS)]


def direct_parsers() -> list[UltralyticsParser | LightningParser | RaveParser | RegexParser]:
    return [UltralyticsParser(), LightningParser(), RaveParser(), RegexParser()]


def run_all(data: bytes) -> None:
    segs, _ = LineSplitter().split(data, eof=True)
    for parser in all_parsers():
        for seg in segs:
            parser.feed(seg.text, seg.final)
        json.dumps(parser.state(), allow_nan=False)
    # _feed has no safety net: an exception here is a bug, not a swallowed error.
    for direct in direct_parsers():
        for seg in segs:
            direct._feed(seg.text, seg.final)
        json.dumps(direct.state(), allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    run_all(data)


@settings(max_examples=500, deadline=None)
@given(text_pieces)
def test_mangled_real_output_never_raises(pieces: list[str]) -> None:
    run_all("".join(pieces).encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(text_pieces, st.integers(min_value=0, max_value=200))
def test_resuming_anywhere_in_mangled_output(pieces: list[str], cut: int) -> None:
    segs, _ = LineSplitter().split("".join(pieces).encode("utf-8", "surrogatepass"), eof=True)
    cut = min(cut, len(segs))
    for whole, head, fresh in zip(all_parsers(), all_parsers(), all_parsers(), strict=True):
        expected = [whole.feed(s.text, s.final) for s in segs]
        got = [head.feed(s.text, s.final) for s in segs[:cut]]
        resumed = roundtrip(head, fresh)
        got += [resumed.feed(s.text, s.final) for s in segs[cut:]]
        assert [(r.metrics, r.progress) for r in got] == [(r.metrics, r.progress) for r in expected]
