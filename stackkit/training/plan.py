"""The planner: every DP × TP × PP (× EP) layout of a GPU count that fits, ranked by step time."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import pandas as pd

from .. import _checks, catalog
from .._declare import choice, count, declared, flag, fraction, optional, positive, sequence
from .._results import Result
from ._specs import CHIP, LINK, MODEL
from .compute import RECOMPUTE, _spec
from .parallelism import StepTime, _evaluate, _Setup, pipeline_idle_share, step_time

#: The planner enumerates divisors of these counts: a million GPUs is ten times today's largest.
_MAX_PLAN_GPUS = 1_000_000


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]  # √n steps, not n
    return sorted(set(small + [n // d for d in small]))


@dataclass(frozen=True)
class Plan(Result):
    """The planner's answer: every valid configuration that fits, fastest first, and why."""

    model: str
    chip: str
    n_gpus: int
    global_batch: int
    seq_len: int
    n_considered: int  # configurations whose degrees divide
    n_fit: int  # of those, the ones that fit in memory
    best: StepTime | None
    explanation: str
    table: object  # pandas DataFrame, one row per fitting configuration, fastest first

    def top(self, k: int = 5):
        """The ``k`` fastest configurations."""
        return self.table.head(_checks.positive_int("k", k))


_PLAN_COLUMNS = ("dp", "tp", "pp", "ep", "interleave", "micro_batch", "n_microbatches",
                 "zero_stage",
                 "recompute", "step_s", "compute_s", "bubble_s", "tp_comm_s", "pp_comm_s",
                 "dp_comm_s", "ep_comm_s", "optimizer_s", "mfu", "achieved_tflops_per_gpu",
                 "memory_gb", "tokens_per_s")


def _explain(best: dict, table, st: _Setup) -> str:
    parts = {"compute": best["compute_s"], "pipeline bubble": best["bubble_s"],
             "tensor-parallel all-reduces": best["tp_comm_s"],
             "pipeline sends": best["pp_comm_s"], "gradient all-reduce": best["dp_comm_s"],
             "MoE all-to-alls": best["ep_comm_s"], "optimizer step": best["optimizer_s"]}
    # overheads under half a percent of the step are not worth a sentence
    overhead = {k: v for k, v in parts.items() if k != "compute" and v >= 0.005 * best["step_s"]}
    worst = max(overhead, key=overhead.get) if overhead else None
    text = (f"dp={best['dp']} × tp={best['tp']} × pp={best['pp']}"
            + (f" × ep={best['ep']}" if best["ep"] > 1 else "")
            + f", micro-batch {best['micro_batch']}, ZeRO-{best['zero_stage']}, "
            f"{best['recompute']} recomputation: {best['step_s']:.3g} s per step at "
            f"{best['mfu']:.0%} MFU, {best['memory_gb']:.0f} of "
            f"{st.accelerator.weight_capacity_gb:.0f} GB per GPU. Compute is "
            f"{best['compute_s'] / best['step_s']:.0%} of the step")
    if worst is not None:
        text += f"; the largest overhead is the {worst} ({overhead[worst] / best['step_s']:.0%})"
    text += "."
    if best["tp"] > 1:
        text += (f" tp={best['tp']} splits each layer over GPUs of one node, where the "
                 f"all-reduces ride {st.node_names[0]}.")
    if best["pp"] > 1:
        v = best["interleave"]
        text += (f" pp={best['pp']} splits the layers into stages to fit memory; its bubble "
                 f"idles (p−1)/(v·m+p−1) = "
                 f"{pipeline_idle_share(best['pp'], best['n_microbatches'], v):.1%} of the step"
                 + (f" with {v} interleaved chunks per GPU." if v > 1 else "."))
    degrees = ["dp", "tp", "pp", "ep"]
    others = table[(table[degrees] != [best[k] for k in degrees]).any(axis=1)]
    if len(others):
        runner = others.iloc[0]
        text += (f" The fastest other layout (dp={runner['dp']} × tp={runner['tp']} × "
                 f"pp={runner['pp']}) is {runner['step_s'] / best['step_s'] - 1:.1%} slower"
                 + (", mostly in "
                    + max(("compute_s", "bubble_s", "tp_comm_s", "pp_comm_s", "dp_comm_s",
                           "ep_comm_s", "optimizer_s"), key=lambda k: runner[k] - best[k])
                    .removesuffix("_s").replace("_", " ") + "."
                    if runner["step_s"] > best["step_s"] else "."))
    return text


# Long (~90 lines): argument checks and the nested enumeration of degrees read as one.
@declared(model=MODEL, chip=CHIP, n_gpus=count(high=_MAX_PLAN_GPUS, examples=(8, 64)),
          global_batch_tokens=positive(high=_checks.COUNT_LIMIT, examples=(512 * 8192.0,)),
          seq_len=optional(count()), gpus_per_node=count(high=_MAX_PLAN_GPUS), node_link=LINK,
          network=LINK,
          micro_batches=sequence(of=count(), single=Real, examples=((1, 2), 4)),
          zero_stages=sequence(of=count(low=0, high=3), single=Real, examples=((0, 1), 3)),
          recomputes=sequence(of=choice(RECOMPUTE), single=str,
                              examples=(("none", "selective"), "full")),
          interleaves=sequence(of=count(), single=Real, min_len=0, examples=((1, 2), 4)),
          efficiency=optional(fraction(low_open=True)), overlap_dp=flag())
def plan(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator, n_gpus: int,
         global_batch_tokens: float, seq_len: int | None = None, gpus_per_node: int = 8,
         node_link: str | catalog.Interconnect | None = None,
         network: str | catalog.Interconnect | None = None,
         micro_batches: tuple[int, ...] = (1, 2, 4, 8),
         zero_stages: tuple[int, ...] = (0, 1, 2, 3),
         recomputes: tuple[str, ...] = RECOMPUTE, interleaves: tuple[int, ...] = (1, 2, 4),
         efficiency: float | None = None, overlap_dp: bool = True) -> Plan:
    """Enumerate DP × TP × PP (× EP) factorisations of ``n_gpus``, keep those that fit, rank.

    Tensor parallelism stays inside a node (tp divides ``gpus_per_node`` and the
    heads); pp divides the layers; dp = n / (tp · pp) must leave a whole number
    of micro-batches: global_batch = global_batch_tokens / seq_len sequences, so
    the batch bounds data parallelism (dp ≤ global_batch). For MoE models expert
    parallelism ep divides both the experts and dp. Each configuration is timed
    by :func:`step_time`'s model (sequence parallelism on whenever tp > 1); those
    whose memory per GPU exceeds the chip's are dropped; the rest are ranked by
    step time. ``plan(...).explanation`` says why the winner wins. Links, efficiency and
    ``overlap_dp`` default as in :func:`step_time`.
    """
    n, tokens, spec = n_gpus, global_batch_tokens, _spec(model)
    s = spec.context_length if seq_len is None else seq_len
    batch = round(tokens / s)
    if batch < 1:
        raise ValueError(f"global_batch_tokens={global_batch_tokens!r} is less than one "
                         f"sequence of seq_len={s}")
    st = _Setup(spec, chip, s, batch, gpus_per_node, node_link, network, efficiency, None,
                overlap_dp)
    micro, stages, modes = micro_batches, zero_stages, recomputes
    chunks = interleaves or [1]
    eps = [e for e in _divisors(spec.n_experts)] if spec.n_experts > 1 else [1]
    rows, considered = [], 0
    for tp in _divisors(st.gpus_per_node):
        if spec.n_heads % tp or n % tp:
            continue
        for pp in _divisors(spec.n_layers):
            if (n // tp) % pp:
                continue
            dp = n // (tp * pp)
            for ep in eps:
                if dp % ep:
                    continue
                for b in micro:
                    if batch % (dp * b):
                        continue
                    for zero in stages:
                        if zero > 0 and dp == 1:
                            continue
                        for mode in modes:
                            for v in chunks:
                                if v > 1 and (pp == 1 or spec.n_layers % (pp * v)):
                                    continue
                                considered += 1
                                r = _evaluate(st, dp, tp, pp, ep, b, zero, mode, tp > 1, v)
                                if r["fits"]:
                                    r.update(dp=dp, tp=tp, pp=pp, ep=ep, micro_batch=b,
                                             zero_stage=zero, recompute=mode, interleave=v,
                                             rank_recompute=RECOMPUTE.index(mode))
                                    rows.append(r)
    table = pd.DataFrame(rows, columns=[*_PLAN_COLUMNS, "rank_recompute"])
    # equal times: prefer the simpler configuration (less sharding, less recomputation)
    table["step_s"] = table["step_s"].round(12)
    table = (table.sort_values(["step_s", "zero_stage", "rank_recompute", "tp", "pp",
                                "interleave"], kind="stable")
             .drop(columns="rank_recompute").reset_index(drop=True))
    if table.empty:
        why = (f"no factorisation of {n} GPUs fits {spec.name} on {st.accelerator.name} "
               f"with a global batch of {batch} sequences of {s} tokens"
               + ("" if considered else " (no degrees divide: check n_gpus and the batch)"))
        return Plan(model=spec.name, chip=st.accelerator.name, n_gpus=n, global_batch=batch,
                    seq_len=s, n_considered=considered, n_fit=0, best=None, explanation=why,
                    table=table)
    top = table.iloc[0]
    best = step_time(spec, st.accelerator, n, int(top["dp"]), int(top["tp"]), int(top["pp"]),
                     batch, int(top["micro_batch"]), s, int(top["ep"]), int(top["zero_stage"]),
                     str(top["recompute"]), None, int(top["interleave"]), st.gpus_per_node,
                     node_link, network,
                     efficiency, None, overlap_dp)
    return Plan(model=spec.name, chip=st.accelerator.name, n_gpus=n, global_batch=batch,
                seq_len=s, n_considered=considered, n_fit=len(table), best=best,
                explanation=_explain(table.iloc[0].to_dict(), table, st), table=table)
