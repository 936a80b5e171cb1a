"""A compiled network run as a stream of batches: program once, then per batch write the
input region, start, run, read the logits (docs/bundle.md, "Streaming batches").

`stream_expected` is what the chip must produce for a list of input batches: per batch the
systolic model's outputs, counters and logits, and over the whole run the concatenated
output stream and the LeBug emulator fed with it (LeBug and the tap are never reset
between batches, so one emulation over all batches is what the trace buffer holds).

The tap firmware of a compiled network (`distribution` by default) writes one histogram of
`rows_per_frame` trace rows at the end of every layer (eof[0]); `layer_histograms` sums a
layer's histograms over the batches: the per-layer histograms of one run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pymodel.bundle import Bundle
from pymodel.bundle.inputs import InputBatch
from pymodel.errors import AccelscopeError
from pymodel.lebug import EmulationResult, emulate
from pymodel.systolic.model import RunResult, run
from pymodel.top.config import TopConfig
from pymodel.top.model import descriptors_of, lebug_program, lebug_side, systolic_images
from pymodel.top.network import bank_list, batch_bank, embed_input, network_meta, read_logits


@dataclass
class StreamExpected:
    cfg: TopConfig
    batches: list[InputBatch]
    runs: list[RunResult]  # the systolic model per batch (counters, memories after the batch)
    logits: list[np.ndarray]  # per batch: (images, classes) int32, real images only
    stream: np.ndarray  # every output row of the run, batch after batch
    eof: np.ndarray
    vectors: np.ndarray  # the tap's LeBug vectors of the run
    vec_eof: np.ndarray
    lebug: EmulationResult  # LeBug over the whole run
    lebug_after: list[dict[str, int]]  # LeBug's status registers after each batch (cumulative; per_batch only)
    tap_after: list[dict[str, int]]  # the tap's counters after each batch (rows, drops, vectors; cumulative)
    layers: list[str]

    @property
    def all_logits(self) -> np.ndarray:
        return np.concatenate(self.logits)

    @property
    def rows_after(self) -> list[int]:
        """LeBug trace rows written by the end of each batch (cumulative)."""
        if len(self.lebug_after) != len(self.batches):
            raise AccelscopeError("stream: the per-batch LeBug counts were not computed (stream_expected per_batch)")
        return [st["rows"] for st in self.lebug_after]

    def round_rows(self, i: int) -> np.ndarray:
        """The trace rows LeBug writes during batch i, in write order."""
        lo = self.rows_after[i - 1] if i else 0
        return self.lebug.rows[lo:self.rows_after[i]]


def stream_expected(bundle: Bundle, batches: Sequence[InputBatch], per_batch: bool = True,
                    stored: np.ndarray | None = None) -> StreamExpected:
    """The model of a streamed run: each batch on the systolic model (the same program, the
    batch's input region), the tap and LeBug over all batches' rows in order. `per_batch`: also
    LeBug's counters at the end of each batch (one emulation of the stream up to each batch's
    end; what the debug read-back of every round checks). `stored`: the rows the tap FIFO stored
    (pymodel.top.tapmodel, from the run's tap log); default every row."""
    if not batches:
        raise AccelscopeError("stream: no input batch")
    cfg = TopConfig.from_hardware(bundle.hardware)
    descs = descriptors_of(bundle)
    runs, logits, streams, eofs = [], [], [], []
    for b in batches:
        one = embed_input(bundle, b)  # its NUM_DESC selects the list of the batch's bank
        first = bank_list(bundle, batch_bank(bundle, b))[0]
        res = run(cfg.sys, descriptors_of(one), systolic_images(one, cfg), first=first)
        if res.error:
            raise AccelscopeError(f"stream: descriptor {res.err_desc} fails CHECK (error {res.error})")
        runs.append(res)
        logits.append(read_logits(bundle, res.mems["out"], b.images, batch_bank(bundle, b)))
        streams.append(res.stream)
        eofs.append(res.eof)
    stream, eof = np.concatenate(streams), np.concatenate(eofs)
    keep = np.ones(len(stream), dtype=bool) if stored is None else np.asarray(stored, dtype=bool)
    if len(keep) != len(stream):
        raise AccelscopeError(f"stream: {len(keep)} stored flags for {len(stream)} output rows")
    fw, thr = lebug_program(bundle, cfg)
    vectors, vec_eof, lres, _ = lebug_side(cfg, fw, thr, stream, eof, keep)
    # trace rows written by the end of each batch: LeBug is causal, so the emulation of the
    # run's first vectors up to a batch's end writes exactly the rows the hardware holds then
    per_row = cfg.vectors_per_row
    row_ends = np.cumsum([len(x) for x in streams])
    kept_ends = np.concatenate([[0], np.cumsum(keep)])[row_ends]  # stored rows by each batch's end
    status_after = []
    if per_batch:
        status_after = [emulate(cfg.lebug, fw, vectors[:e * per_row], vec_eof[:e * per_row], thr).status.as_dict()
                        for e in kept_ends[:-1]]
        status_after.append(lres.status.as_dict())
    names = list(network_meta(bundle).get("layers") or [f"descriptor {i}" for i in range(len(descs))])
    tap_after = [{"rows": int(k), "drops": int(r - k), "vectors": int(k) * per_row}
                 for r, k in zip(row_ends, kept_ends)]
    return StreamExpected(cfg, list(batches), runs, logits, stream, eof, vectors, vec_eof, lres, status_after,
                          tap_after, names)


def layer_histograms(exp: StreamExpected, rows: np.ndarray, bins: int) -> dict[str, Any]:
    """Per layer: its histograms (one per batch, `bins` counts from the layer's trace rows)
    summed over the run. `rows` is every trace row of the run in write order (the model's or
    the hardware's). The rows must split into one frame per layer per batch."""
    n_layers, n_batches = len(exp.layers), len(exp.batches)
    frames = n_layers * n_batches
    rows = np.asarray(rows, np.int64)
    if frames == 0 or len(rows) % frames:
        raise AccelscopeError(f"stream: {len(rows)} trace rows do not split into {n_layers} layers x "
                              f"{n_batches} batches")
    per = len(rows) // frames
    h = rows.reshape(n_batches, n_layers, per * rows.shape[1])[:, :, :bins]
    total = h.sum(axis=0)
    return {"rows_per_frame": per, "layers": {name: total[i].tolist() for i, name in enumerate(exp.layers)}}
