"""The LeBug firmware library (docs/lebug.md, "Firmware library").

Two kinds of program live here:

- LeBug's own programs, under their original names (snake_case), instruction for
  instruction as LeBug wrote them: `src/firmware/firmware.py` of
  danielholanda/LeBug, and for `loopback`/`minicache`/`distribution` the examples
  of LeBug's firmware guide (the seed). Where the original leaves the filter
  thresholds to the user ("Remember to properly initialize fu.vrf"), the program
  takes `thresholds` (filter row 0, M+1 raw words) with a documented default.
- accelscope's own programs, under names of their own.

A program that cannot run on a configuration (pipeline order, commit size, cache
depth) raises AccelscopeError naming the reason; the compiler checks the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pymodel.errors import AccelscopeError
from pymodel.lebug.compiler import Compiler
from pymodel.lebug.config import LebugConfig
from pymodel.lebug.isa import Firmware

# ==========================================================================
# helpers
# ==========================================================================


def zero_row(cfg: LebugConfig) -> list[int]:
    """Filter row that detects exact zeros: bin 0 = (-1, 0] in raw words, bins 1.. = (0, 0] empty."""
    return [-1] + [0] * cfg.M


def _row0(cp: Compiler, name: str, thresholds: Sequence[int] | None) -> None:
    """Give filter row 0 the program's thresholds (raw words); None leaves the memory alone."""
    if thresholds is None:
        return
    vals = [int(v) for v in thresholds]
    if len(vals) != cp.cfg.M + 1:
        raise AccelscopeError(f"{name}: thresholds must be M+1={cp.cfg.M + 1} raw values for filter row 0, "
                              f"got {len(vals)}")
    cp.set_threshold_row(0, vals)


def _vsru_after_vvalu(cp: Compiler, name: str, what: str) -> None:
    """The original reduces after the VVALU; a VSRU_FIRST build cannot run it as written."""
    if cp.cfg.VSRU_FIRST:
        raise AccelscopeError(f"{name}: the original program {what}, so it needs the VSRU after the VVALU; "
                              "this configuration has VSRU_FIRST=1")


# ==========================================================================
# LeBug's programs
# ==========================================================================


def loopback(cp: Compiler, N: int | None = None) -> Firmware:
    """LeBug `raw` / the firmware guide's `loopback(cp, N)`: record every vector (v_commit(N))."""
    cp.begin_chain()
    cp.v_commit(cp.cfg.N if N is None else N)
    cp.end_chain()
    return cp.compile()


def minicache(cp: Compiler) -> Firmware:
    """LeBug firmware guide's `minicache`: data passes between chains through cache 0 and the minicache."""
    cp.begin_chain()
    cp.vv_add(0)
    cp.v_cache(0)
    cp.v_mc_save()
    cp.end_chain()
    cp.begin_chain()
    cp.v_mc_load()
    cp.vv_add(0)
    cp.v_cache(0)
    cp.v_mc_save()
    cp.end_chain()
    cp.begin_chain()
    cp.v_mc_load()
    cp.v_commit()
    cp.end_chain()
    return cp.compile()


def distribution(cp: Compiler, bins: int = 16, M: int | None = None) -> Firmware:
    """LeBug `distribution(cp, bins, M)`: `bins`-bin histogram of every lane over a frame, M bins
    per chain (filter row i), committed at 'last'. Thresholds: the memory's (default 0, 1, 2, ...)."""
    M = cp.cfg.M if M is None else M
    if M != cp.cfg.M:
        raise AccelscopeError(f"distribution: M={M} differs from the hardware's M={cp.cfg.M}")
    if bins <= 0 or bins % M:
        raise AccelscopeError(f"distribution: number of bins ({bins}) must be a positive multiple of M={M}")
    for i in range(bins // M):
        cp.begin_chain()
        cp.vv_filter(i)
        cp.m_reduce("M")
        cp.vv_add(i, "notfirst")
        cp.v_cache(i)
        cp.v_commit(M, "last")
        cp.end_chain()
    return cp.compile()


def summary_stats(cp: Compiler, thresholds: Sequence[int] | None = None) -> Firmware:
    """LeBug `summaryStats`: per frame, two single values committed at 'last': the sum of every
    lane of every vector, and the number of lanes inside filter row 0's bins.

    thresholds: filter row 0 (M+1 raw words); default `zero_row` (counts exact zeros: sparsity).
    """
    _vsru_after_vvalu(cp, "summary_stats", "reduces the accumulated vector (vv_add, v_cache, then v_reduce)")
    _row0(cp, "summary_stats", zero_row(cp.cfg) if thresholds is None else thresholds)
    # Sum of all values
    cp.begin_chain()
    cp.vv_add(0, "notfirst")
    cp.v_cache(0)
    cp.v_reduce()
    cp.v_commit(1, "last")
    cp.end_chain()
    # Number of sparse elements
    cp.begin_chain()
    cp.vv_filter(0)
    cp.m_reduce("N")
    cp.vv_add(1, "notfirst")
    cp.v_cache(1)
    cp.v_reduce()
    cp.v_commit(1, "last")
    cp.end_chain()
    return cp.compile()


def spatial_sparsity(cp: Compiler, N: int | None = None, thresholds: Sequence[int] | None = None) -> Firmware:
    """LeBug `spatialSparsity(cp, N)`: per vector, per lane, 1 if the lane is inside filter row 0's
    bins (`m_reduce('N')`), committing N values.

    thresholds: filter row 0 (M+1 raw words); default `zero_row` (1 marks a zero lane).
    """
    _row0(cp, "spatial_sparsity", zero_row(cp.cfg) if thresholds is None else thresholds)
    cp.begin_chain()
    cp.vv_filter(0)
    cp.m_reduce("N")
    cp.v_commit(cp.cfg.N if N is None else N)
    cp.end_chain()
    return cp.compile()


def vector_change(cp: Compiler) -> Firmware:
    """LeBug `vectorChange`: per vector one value, sum(x_t - cache[0]); chain 2 then stores x_t in
    cache 0, so it is sum(x_t - x_{t-1}) (x_{-1} = 0). No frame conditions."""
    _vsru_after_vvalu(cp, "vector_change", "reduces the difference (vv_sub, then v_reduce)")
    # Commit difference between current and previous sample
    cp.begin_chain()
    cp.vv_sub(0)
    cp.v_reduce()
    cp.v_commit(1)
    cp.end_chain()
    # Save vector to mem0
    cp.begin_chain()
    cp.v_cache(0)
    cp.end_chain()
    return cp.compile()


def correlation(cp: Compiler) -> Firmware:
    """LeBug `correlation`: per vector three values: sum(x_t * x_{t-1}), sum(x_t), sum(x_t * x_t)
    (x_{-1} = 0; cache 0 holds the previous vector until chain 2 stores x_t)."""
    _vsru_after_vvalu(cp, "correlation", "reduces products and the cached vector (vv_mul/v_cache, then v_reduce)")
    # sum(X*Y) [Y, the previous vector, is in cache 0]
    cp.begin_chain()
    cp.vv_mul(0)
    cp.v_reduce()
    cp.v_commit(1)
    cp.end_chain()
    # sum(X) [store X in cache 0: the Y of the next vector]
    cp.begin_chain()
    cp.v_cache(0)
    cp.v_reduce()
    cp.v_commit(1)
    cp.end_chain()
    # sum(X*X)
    cp.begin_chain()
    cp.vv_mul(0)
    cp.v_reduce()
    cp.v_commit(1)
    cp.end_chain()
    return cp.compile()


def activation_predictiveness(cp: Compiler, VVVRF_SIZE: int | None = None) -> Firmware:
    """LeBug `activationPredictiveness(cp, VVVRF_SIZE)` (VVVRF_SIZE is unused, as in the original).

    Chain 1: running per-lane sum of the level-0 frame (restarts at 'first') into cache 0 and the
    minicache. Chain 2: max of that sum and cache 1 (not at level-1 'first'), stored in cache 1 at
    level-0 'last'; lane 0 of it is committed at level-1 'last'. The original's optional v_reduce
    (commented out there) is not part of the program, so it runs in either pipeline order.
    """
    del VVVRF_SIZE
    cp.begin_chain()
    cp.vv_add(0, cond1="notfirst")
    cp.v_cache(0)
    cp.v_mc_save()
    cp.end_chain()
    cp.begin_chain()
    cp.v_mc_load()
    cp.vv_max(1, cond2="notfirst")
    cp.v_cache(1, cond1="last")
    cp.v_commit(1, cond2="last")
    cp.end_chain()
    return cp.compile()


def pass_through(cp: Compiler) -> Firmware:
    """LeBug `passThrough`: one empty chain; nothing is committed."""
    cp.begin_chain()
    cp.end_chain()
    return cp.compile()


def sum_all(cp: Compiler) -> Firmware:
    """LeBug `sumAll`: per vector one value, the sum of its lanes."""
    cp.begin_chain()
    cp.v_reduce()
    cp.v_commit(1)
    cp.end_chain()
    return cp.compile()


def vvalu_simple(cp: Compiler) -> Firmware:
    """LeBug test `vvalu_simple`: cache 0 accumulates every vector (never reset); commits the running sum."""
    cp.begin_chain()
    cp.vv_add(0)
    cp.v_cache(0)
    cp.v_commit()
    cp.end_chain()
    return cp.compile()


def fru_simple(cp: Compiler, thresholds: Sequence[int] | None = None) -> Firmware:
    """LeBug test `fru_simple`: per vector, the M-bin histogram of filter row 0 (zero-padded to N).

    thresholds: filter row 0 (M+1 raw words); default None = the threshold memory (0, 1, 2, ...).
    """
    _row0(cp, "fru_simple", thresholds)
    cp.begin_chain()
    cp.vv_filter(0)
    cp.m_reduce("M")
    cp.v_commit()
    cp.end_chain()
    return cp.compile()


def multiple_chains(cp: Compiler, thresholds: Sequence[int] | None = None) -> Firmware:
    """LeBug test `multipleChains`: per vector, three rows: row-0 histogram, [sum, 0, ...], the vector.

    thresholds: filter row 0 (M+1 raw words); default None = the threshold memory (0, 1, 2, ...).
    """
    _row0(cp, "multiple_chains", thresholds)
    cp.begin_chain()
    cp.vv_filter(0)
    cp.m_reduce("M")
    cp.v_commit()
    cp.end_chain()
    cp.begin_chain()
    cp.v_reduce()
    cp.v_commit()
    cp.end_chain()
    cp.begin_chain()
    cp.v_commit()
    cp.end_chain()
    return cp.compile()


def conditions(cp: Compiler) -> Firmware:
    """LeBug test `conditions` (compiler test): three chains with 'notfirst'/'last' conditions.

    Its last chain commits 8 values (`v_commit(8, 'notfirst')`), so it needs N=8 or M=8.
    """
    if 8 not in (1, cp.cfg.M, cp.cfg.N):
        raise AccelscopeError(f"conditions: the original program commits 8 values (v_commit(8, 'notfirst')); "
                              f"this configuration has N={cp.cfg.N}, M={cp.cfg.M}")
    cp.begin_chain()
    cp.v_commit()
    cp.end_chain()
    cp.begin_chain()
    cp.vv_add(0, "notfirst")
    cp.v_commit()
    cp.end_chain()
    cp.begin_chain()
    cp.vv_add(0, "last")
    cp.v_cache(0)
    cp.v_commit(8, "notfirst")
    cp.end_chain()
    return cp.compile()


def minicache_test(cp: Compiler) -> Firmware:
    """LeBug firmware.py's `minicache` ("Mini cache test"), renamed here because `minicache` is the
    firmware guide's (the seed's) program: a per-frame running sum in cache 0, committed through
    the minicache by a second chain."""
    cp.begin_chain()
    cp.vv_add(0, cond1="notfirst")
    cp.v_cache(0)
    cp.v_mc_save()
    cp.end_chain()
    cp.begin_chain()
    cp.v_mc_load()
    cp.v_commit()
    cp.end_chain()
    return cp.compile()


# ==========================================================================
# accelscope's own programs
# ==========================================================================


def lane_stats(cp: Compiler) -> Firmware:
    """Per frame, three rows: per-lane sum, per-lane max and per-lane count of zeros."""
    cp.set_threshold_row(0, zero_row(cp.cfg))
    cp.begin_chain()
    cp.vv_add(0, "notfirst")
    cp.v_cache(0)
    cp.v_commit(cp.cfg.N, "last")
    cp.end_chain()
    cp.begin_chain()
    cp.vv_max(1, "notfirst")
    cp.v_cache(1)
    cp.v_commit(cp.cfg.N, "last")
    cp.end_chain()
    cp.begin_chain()
    cp.vv_filter(0)
    cp.m_reduce("N")
    cp.vv_add(2, "notfirst")
    cp.v_cache(2)
    cp.v_commit(cp.cfg.N, "last")
    cp.end_chain()
    return cp.compile()


def zero_lanes(cp: Compiler) -> Firmware:
    """Per vector: the number of zero lanes, one value per commit."""
    cp.set_threshold_row(0, zero_row(cp.cfg))
    cp.begin_chain()
    cp.vv_filter(0)
    cp.m_reduce("M")
    cp.v_commit(1)
    cp.end_chain()
    return cp.compile()


def vector_delta(cp: Compiler) -> Firmware:
    """Per vector after the first of a frame: x_t - x_{t-1} (N values). Chain 2 keeps x_t in cache 0."""
    cp.begin_chain()
    cp.vv_sub(0, "notfirst")
    cp.v_commit(cp.cfg.N, "notfirst")
    cp.end_chain()
    cp.begin_chain()
    cp.v_cache(0)
    cp.end_chain()
    return cp.compile()


def frame_correlation(cp: Compiler) -> Firmware:
    """Per frame, per lane: sum of x_t * x_{t-1} over consecutive vectors of the frame.

    Cache 0 holds the previous vector (zeroed at 'last' by multiplying with the last
    cache address, which is never written and so reads 0); cache 1 accumulates.
    """
    zero = cp.cfg.CACHE_DEPTH - 1
    if zero < 2:
        raise AccelscopeError("frame_correlation: needs CACHE_DEPTH >= 3")
    cp.begin_chain()
    cp.vv_mul(0)
    cp.v_mc_save()
    cp.end_chain()
    cp.begin_chain()
    cp.vv_mul(zero, "last")
    cp.v_cache(0)
    cp.end_chain()
    cp.begin_chain()
    cp.v_mc_load()
    cp.vv_add(1, "notfirst")
    cp.v_cache(1)
    cp.v_commit(cp.cfg.N, "last")
    cp.end_chain()
    return cp.compile()


def active_lane_stats(cp: Compiler) -> Firmware:
    """(VSRU_FIRST) Per frame, two values: total and peak number of active (x > 0) lanes per vector."""
    if not cp.cfg.VSRU_FIRST:
        raise AccelscopeError("active_lane_stats: needs VSRU_FIRST=1 (v_reduce before the VVALU)")
    top = (1 << (cp.cfg.DATA_W - 1)) - 1
    cp.set_threshold_row(0, [0] + [top] * cp.cfg.M)  # bin 0 = (0, max]: active
    for addr, op in ((0, cp.vv_add), (1, cp.vv_max)):
        cp.begin_chain()
        cp.vv_filter(0)
        cp.m_reduce("N")
        cp.v_reduce()
        op(addr, "notfirst")
        cp.v_cache(addr)
        cp.v_commit(1, "last")
        cp.end_chain()
    return cp.compile()


# ==========================================================================
# registry
# ==========================================================================

LIBRARY: dict[str, Callable[..., Firmware]] = {
    # LeBug's programs
    "loopback": loopback,
    "minicache": minicache,
    "distribution": distribution,
    "summary_stats": summary_stats,
    "spatial_sparsity": spatial_sparsity,
    "vector_change": vector_change,
    "correlation": correlation,
    "activation_predictiveness": activation_predictiveness,
    "sum_all": sum_all,
    "pass_through": pass_through,
    "vvalu_simple": vvalu_simple,
    "fru_simple": fru_simple,
    "multiple_chains": multiple_chains,
    "conditions": conditions,
    "minicache_test": minicache_test,
    # accelscope's own
    "lane_stats": lane_stats,
    "zero_lanes": zero_lanes,
    "vector_delta": vector_delta,
    "frame_correlation": frame_correlation,
    "active_lane_stats": active_lane_stats,
}

# name in LeBug's sources for each of LeBug's programs (None: accelscope's own)
ORIGIN: dict[str, str | None] = {
    "loopback": "raw (firmware.py) / loopback (firmware guide)",
    "minicache": "minicache (firmware guide)",
    "distribution": "distribution",
    "summary_stats": "summaryStats",
    "spatial_sparsity": "spatialSparsity",
    "vector_change": "vectorChange",
    "correlation": "correlation",
    "activation_predictiveness": "activationPredictiveness",
    "sum_all": "sumAll",
    "pass_through": "passThrough",
    "vvalu_simple": "vvalu_simple",
    "fru_simple": "fru_simple",
    "multiple_chains": "multipleChains",
    "conditions": "conditions",
    "minicache_test": "minicache (firmware.py)",
    "lane_stats": None,
    "zero_lanes": None,
    "vector_delta": None,
    "frame_correlation": None,
    "active_lane_stats": None,
}


def build(name: str, cfg: LebugConfig, **kwargs: object) -> Firmware:
    """Compile library firmware `name` for `cfg` with its own arguments (e.g. bins=16)."""
    if name not in LIBRARY:
        raise AccelscopeError(f"unknown firmware {name!r}; library: {', '.join(LIBRARY)}")
    try:
        return LIBRARY[name](Compiler(cfg, name), **kwargs)
    except TypeError as e:
        raise AccelscopeError(f"{name}: bad firmware arguments {kwargs}: {e}") from None
