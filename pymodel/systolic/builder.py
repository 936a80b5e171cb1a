"""Build descriptor lists and scratchpad images: bump allocation per scratchpad, one call per layer."""

from __future__ import annotations

import numpy as np

from pymodel.errors import AccelscopeError
from pymodel.systolic.config import SystolicConfig, ceil_div
from pymodel.systolic.descriptor import Descriptor
from pymodel.systolic.layout import pack_columns, pack_rows, pack_weights
from pymodel.systolic.model import MEMORIES, depth_of, pack_quant


class JobBuilder:
    """Lays out matrices and layers; `images()` and `descriptors` feed model.run and the RTL."""

    def __init__(self, cfg: SystolicConfig) -> None:
        self.cfg = cfg
        self.descriptors: list[Descriptor] = []
        self._parts: dict[str, list[np.ndarray]] = {n: [] for n in MEMORIES}
        self._size: dict[str, int] = dict.fromkeys(MEMORIES, 0)

    def put(self, name: str, words: np.ndarray) -> int:
        """Append words to a scratchpad image; returns the base word address."""
        words = np.asarray(words, dtype=np.int64).reshape(-1, self.cfg.K)
        base = self._size[name]
        if base + len(words) > depth_of(self.cfg, name):
            raise AccelscopeError(f"{name} scratchpad full: {base + len(words)} words > depth "
                                  f"{depth_of(self.cfg, name)}")
        self._parts[name].append(words)
        self._size[name] += len(words)
        return base

    def put_matrix(self, a: np.ndarray, pad: int = 0) -> tuple[int, int]:
        """An int8 (M, C) matrix into ACT, rows `ceil(C/K) + pad` words apart; (base, stride)."""
        a = np.asarray(a, dtype=np.int64)
        t = ceil_div(a.shape[1], self.cfg.K)
        words = pack_rows(a, self.cfg.K).reshape(a.shape[0], t, self.cfg.K)
        padded = np.zeros((a.shape[0], t + pad, self.cfg.K), dtype=np.int64)
        padded[:, :t] = words
        return self.put("act", padded.reshape(-1, self.cfg.K)), t + pad

    def layer(self, a_base: int, a_stride: int, m: int, b: np.ndarray, *, bias: np.ndarray | None = None,
              relu: bool = False, quant: tuple[np.ndarray, np.ndarray] | None = None,
              acc_init: np.ndarray | None = None, out_pad: int = 0, out8: bool = False) -> tuple[int, int]:
        """One descriptor. int8 output iff quant=(mult, shift) is given; with out8 (needs quant) the int8
        rows go to OUT at c (packed bytes, flag OUT8) instead of ACT; returns (dst base, dst stride)."""
        K = self.cfg.K
        b = np.asarray(b, dtype=np.int64)
        kd, n = b.shape
        nt = ceil_div(n, K)
        b_base = self.put("wgt", pack_weights(b, K))
        bq_base = 0
        if bias is not None or quant is not None:
            top = max(self._size["bias"], self._size["quant"])
            for name in ("bias", "quant"):  # keep bias and quant of a layer at the same word address
                if self._size[name] < top:
                    self.put(name, np.zeros((top - self._size[name], K), np.int64))
            bq_base = self.put("bias", pack_columns(bias if bias is not None else np.zeros(n, np.int64), K))
            qw = pack_quant(*quant) if quant is not None else np.zeros(n, np.int64)
            self.put("quant", pack_columns(np.broadcast_to(qw, (n,)), K))
        int8 = quant is not None
        if out8 and not int8:
            raise AccelscopeError("layer: out8 needs quant (OUT8 writes the int8 rows)")
        to_act = int8 and not out8  # the int8 rows go to ACT at d (else to OUT at c)
        c_base = c_stride = d_base = d_stride = 0
        if acc_init is not None or not to_act:
            init = np.asarray(acc_init, dtype=np.int64) if acc_init is not None else np.zeros((m, n), np.int64)
            c_stride = nt + out_pad
            words = np.zeros((m, c_stride, K), dtype=np.int64)
            words[:, :nt] = pack_rows(init, K).reshape(m, nt, K)
            c_base = self.put("out", words.reshape(-1, K))
        if to_act:
            d_stride = nt + out_pad
            d_base = self.put("act", np.zeros((m * d_stride, K), np.int64))
        self.descriptors.append(Descriptor(
            m=m, kd=kd, n=n, a_base=a_base, a_stride=a_stride, b_base=b_base, bq_base=bq_base, c_base=c_base,
            c_stride=c_stride, d_base=d_base, d_stride=d_stride, acc=acc_init is not None, bias=bias is not None,
            relu=relu, int8=int8, out8=out8))
        return (d_base, d_stride) if to_act else (c_base, c_stride)

    def images(self) -> dict[str, np.ndarray]:
        return {n: (np.concatenate(p) if p else np.zeros((0, self.cfg.K), np.int64)) for n, p in self._parts.items()}
