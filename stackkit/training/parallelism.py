"""Parallelism: the time of one DP × TP × PP (× EP) training step, split into its parts.

Narayanan et al. 2021 (Megatron-LM, SC'21), sections 2–3; Korthikanti et al. 2022;
Rajbhandari et al. 2020, section 7. Collectives are lesson 2's (``clusters``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import _checks, catalog, clusters
from .._declare import count, declared, flag, fraction, optional
from .._results import Result
from ._specs import CHIP, LINK, MODEL, RECOMPUTE_MODE, ZERO_STAGE
from .compute import RECOMPUTE, _param_parts, _spec, training_flops_per_token
from .memory import _OPTIMIZER_BYTES, _model_states_bytes, activation_bytes_per_layer


@declared(pp=count(), n_microbatches=count(), interleave=count())
def pipeline_bubble(pp: int, n_microbatches: int, interleave: int = 1) -> float:
    """Pipeline bubble time over the ideal compute time: (p − 1) / (v · m).

    With p stages and m micro-batches a 1F1B (or GPipe) schedule idles for p − 1
    micro-batch slots at the start and end of each step, beside m slots of work
    (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU
    Clusters Using Megatron-LM", section 2.2.1); the interleaved schedule with v model
    chunks per GPU shrinks the slots to 1/v of a micro-batch (section 2.2.2). This is
    the contract's ratio to compute (p = m = 8: 7/8); the share of the whole step the
    GPUs sit idle is :func:`pipeline_idle_share`.
    """
    p, m, v = pp, n_microbatches, interleave
    return (p - 1) / (v * m)


@declared(pp=count(), n_microbatches=count(), interleave=count())
def pipeline_idle_share(pp: int, n_microbatches: int, interleave: int = 1) -> float:
    """Share of a pipeline step spent idle in the bubble: (p − 1) / (v · m + p − 1).

    The bubble is (p − 1)/(v · m) of the ideal compute time (:func:`pipeline_bubble`), so
    of compute + bubble it is (p − 1)/(v·m + p − 1): GPipe's bubble overhead (Huang et al.
    2019, "GPipe", section 2.3: O((K − 1)/(M + K − 1)) for K partitions and M
    micro-batches). p = m = 8: 7/15 ≈ 47 % of the step.
    """
    bubble = pipeline_bubble.unchecked(pp, n_microbatches, interleave)
    return bubble / (1 + bubble)


#: A flat share of peak, for callers who pass ``efficiency=MATMUL_EFFICIENCY``: 0.48 =
#: Megatron-LM's single-GPU baseline (1.2B GPT-2 at 62.4 TFLOP/s, 48 % of a V100's peak;
#: NVIDIA ADLR, "MegatronLM's Supercharged V1.0", 2019). The default is the shape model.
MATMUL_EFFICIENCY = 0.48

#: The shape model's one constant: a transformer layer's GEMMs run at this share of the
#: chip's measured maximum achievable matmul throughput (MAMF, catalog
#: ``measured_bf16_tflops``: the best square GEMM). Calibrated once, on Megatron-LM's 1T row
#: (Narayanan et al. 2021, Table 1: 163 TFLOP/s on 3,072 A100s), the validation table's one
#: calibration row; every other row is a prediction. It is more than the GEMMs' shape loss:
#: a layer's twelve GEMMs alone (forward, input and weight gradients) ran at 0.84–0.87 of
#: the MAMF on a lent H200 at Llama 3.2 1B, Llama 3 8B, Llama 3 405B (TP 8) and GPT-3 175B
#: (TP 8) training shapes (data/gpu_measurements.csv, 2026-12-04), so the rest of the 0.735
#: is what the step model does not itemize (launch gaps, kernels between the GEMMs beyond
#: the HBM passes, the A100's own shape losses).
GEMM_SHARE_OF_MAMF = 0.735

#: HBM passes over a layer's activations outside the GEMMs (layer norms, GELU/SwiGLU,
#: dropout, softmax, residual adds): the forward writes them, the backward reads them and
#: writes their gradients; full recomputation writes them a second time.
_ELEMENTWISE_PASSES = {"none": 3.0, "selective": 3.0, "full": 4.0}


def _mamf_tflops(chip: catalog.Accelerator) -> float:
    """The chip's measured matmul ceiling; without a measurement, its peak × the median
    measured share of the chips that have one (about 0.8)."""
    if chip.measured_bf16_tflops is not None:
        return float(chip.measured_bf16_tflops)
    frame = catalog.accelerators()
    shares = (frame["measured_bf16_tflops"] / frame["bf16_tflops"]).dropna()
    return float(chip.bf16_tflops) * float(shares.median())


@dataclass(frozen=True)
class StepTime(Result):
    """One training step of a DP × TP × PP (× EP) configuration, split into its parts."""

    _derived = ("n_gpus", "exposed_comm_s")

    model: str
    chip: str
    dp: int
    tp: int
    pp: int
    ep: int
    micro_batch: int
    n_microbatches: int  # per pipeline per step
    global_batch: int  # sequences per step
    seq_len: int
    zero_stage: int
    recompute: str
    sequence_parallel: bool
    interleave: int
    compute_s: float  # hardware FLOPs per GPU / (efficiency · peak)
    bubble_s: float  # compute_s · (p − 1) / (v · m)
    tp_comm_s: float  # tensor-parallel all-reduces inside the node
    pp_comm_s: float  # activations sent between stages
    dp_comm_s: float  # gradient all-reduce (exposed part)
    ep_comm_s: float  # MoE all-to-alls
    optimizer_s: float  # the Adam update over this GPU's share: HBM-bound (shape model only)
    step_s: float
    tokens_per_s: float
    achieved_tflops_per_gpu: float  # hardware FLOPs (recomputation included), as Megatron counts
    mfu: float  # model FLOPs (6N + 12·L·d·s) over peak
    memory_gb: float  # per GPU, on the busiest stage
    fits: bool

    @property
    def n_gpus(self) -> int:
        return self.dp * self.tp * self.pp

    @property
    def exposed_comm_s(self) -> float:
        return self.tp_comm_s + self.pp_comm_s + self.dp_comm_s + self.ep_comm_s


#: A server's links by its chip's scale-up generation, as NVIDIA's reference servers wire them:
#: DGX A100 (NVLink 3, 8 × 200 Gb/s HDR InfiniBand, the Selene cluster of Megatron-LM 2021),
#: DGX H100/H200 (NVLink 4, 8 × 400 Gb/s NDR; the H800's NVLink runs at 400 of 900 GB/s,
#: its cluster for DeepSeek-V3 had 400 Gb/s InfiniBand) and DGX B200 (NVLink 5, 8 × 400 Gb/s
#: ConnectX-7 NDR) — NVIDIA DGX A100, DGX H100 and DGX B200 datasheets. PCIe cards use their
#: PCIe generation inside the server and the network of their year.
_SERVER_LINKS = {"NVLink 3": ("NVLink 3", "InfiniBand HDR 4x"),
                 "NVLink 4": ("NVLink 4", "InfiniBand NDR 4x"),
                 "NVLink 4 (H800)": ("NVLink 4 (H800)", "InfiniBand NDR 4x"),
                 "NVLink 5": ("NVLink 5", "InfiniBand NDR 4x"),
                 "PCIe 4": ("PCIe 4.0 x16", "InfiniBand HDR 4x"),
                 "PCIe 5": ("PCIe 5.0 x16", "InfiniBand NDR 4x")}


def _links(chip: catalog.Accelerator, node_link: object,
           network: object) -> tuple[catalog.Interconnect, catalog.Interconnect]:
    """(link inside a server, network between servers): the caller's, else the chip's own."""
    default = _SERVER_LINKS.get(chip.scaleup_link or "")
    if default is None and (node_link is None or network is None):
        raise ValueError(f"chip {chip.name!r} has no catalogued server links (its scale-up "
                         f"link is {chip.scaleup_link!r}); pass node_link and network, e.g. "
                         "node_link='NVLink 4', network='InfiniBand NDR 4x'")
    return (catalog.interconnect(default[0] if node_link is None else node_link),
            catalog.interconnect(default[1] if network is None else network))


class _Setup:
    """Everything about (model, chip, links) that no configuration changes: computed once."""

    def __init__(self, model, chip, seq_len, global_batch, gpus_per_node, node_link, network,
                 efficiency, link_efficiency, overlap_dp):
        self.spec = _spec(model)
        self.accelerator = catalog.accelerator(chip)
        if self.accelerator.bf16_tflops is None:
            raise ValueError(f"chip {self.accelerator.name!r} has no bf16_tflops in the catalog")
        self.peak = self.accelerator.bf16_tflops * 1e12
        self.capacity = self.accelerator.weight_capacity_bytes
        self.seq_len = _checks.positive_int("seq_len", self.spec.context_length if seq_len is None
                                            else seq_len)
        self.global_batch = _checks.positive_int("global_batch", global_batch)
        self.gpus_per_node = _checks.positive_int("gpus_per_node", gpus_per_node)
        # efficiency None: the shape model (GEMMs at a share of the chip's measured matmul
        # ceiling, the rest of a layer at HBM bandwidth); a number: one flat share of peak
        self.efficiency = (None if efficiency is None else
                           _checks.in_range("efficiency", efficiency, 0.0, 1.0, low_open=True))
        self.gemm_flop_s = GEMM_SHARE_OF_MAMF * _mamf_tflops(self.accelerator) * 1e12
        self.hbm_b_s = self.accelerator.memory_bw_tb_s * 1e12
        link_eff = (clusters.link_efficiency() if link_efficiency is None
                    else _checks.in_range("link_efficiency", link_efficiency, 0.0, 1.0,
                                          low_open=True))
        inside, outside = _links(self.accelerator, node_link, network)
        self.node_names = (inside.name, outside.name)
        self.intra_bw = inside.bandwidth_gb_s * link_eff
        self.inter_bw = outside.bandwidth_gb_s * link_eff
        self.alpha = clusters.collective_latency_s()
        self.inter_alpha = self.alpha + (outside.latency_us or 0.0) * 1e-6
        self.overlap_dp = _checks.boolean("overlap_dp", overlap_dp)
        spec, s = self.spec, self.seq_len
        self.model_fpt = training_flops_per_token(spec, s, "none")
        self.hw_fpt = {r: training_flops_per_token(spec, s, r) for r in RECOMPUTE}
        self.hw_fpt["selective"] += 4.0 * spec.n_layers * spec.d_model * s
        self.layer_params, self.table_params, self.expert_params = _param_parts(spec)


def _degree_problems(spec: catalog.ModelSpec, n_gpus: int, dp: int, tp: int, pp: int, ep: int,
                     micro_batch: int, global_batch: int, interleave: int,
                     gpus_per_node: int) -> list[str]:
    problems = []
    if dp * tp * pp != n_gpus:
        problems.append(f"dp·tp·pp = {dp}·{tp}·{pp} = {dp * tp * pp} is not n_gpus={n_gpus}")
    if spec.n_heads % tp:
        problems.append(f"tp={tp} does not divide n_heads={spec.n_heads}")
    if gpus_per_node % tp:
        problems.append(f"tp={tp} does not divide gpus_per_node={gpus_per_node} (tensor "
                        "parallelism stays inside a node)")
    if spec.n_layers % (pp * interleave):
        problems.append(f"pp·interleave={pp}·{interleave} does not divide "
                        f"n_layers={spec.n_layers}")
    if global_batch % (dp * micro_batch):
        problems.append(f"dp·micro_batch={dp}·{micro_batch} does not divide "
                        f"global_batch={global_batch} sequences")
    if ep > 1 and (spec.n_experts % ep or dp % ep):
        problems.append(f"ep={ep} must divide n_experts={spec.n_experts} and dp={dp}")
    return problems


def _dp_one_pass_s(st: _Setup, size: float, dp: int, tp: int, pp: int) -> float:
    """One reduce-scatter (or all-gather) of ``size`` bytes over the dp ranks, hierarchical
    when several share a server: inside the server, then 1/g of it across servers
    (clusters.hierarchical_allreduce_seconds is two of these)."""
    one_pass = clusters.reduce_scatter_seconds.unchecked  # planner hot path: values checked
    per_node = max(1, st.gpus_per_node // (tp * pp))
    if dp <= per_node:
        return one_pass(size, dp, st.intra_bw, st.alpha)
    if per_node > 1 and dp % per_node == 0:
        return (one_pass(size, per_node, st.intra_bw, st.alpha)
                + one_pass(size / per_node, dp // per_node, st.inter_bw, st.inter_alpha))
    return one_pass(size, dp, st.inter_bw, st.inter_alpha)


# Long (~85 lines): one pass of the step-time model, formula by formula; the planner's loop.
def _evaluate(st: _Setup, dp: int, tp: int, pp: int, ep: int, b: int, zero: int,
              recompute: str, sp: bool, v: int) -> dict:
    """The step-time model (Narayanan et al. 2021, sections 3.2–3.5), per GPU, in seconds."""
    spec, s, h = st.spec, st.seq_len, st.spec.d_model
    n = dp * tp * pp
    m = st.global_batch // (dp * b)
    tokens = st.global_batch * s
    layers_here = spec.n_layers // pp
    if st.efficiency is None:
        # GEMMs at their measured ceiling, the other kernels at HBM bandwidth over the
        # activations Korthikanti et al. 2022 count (Table 2; "selective" as with
        # FlashAttention: no score matrices in HBM)
        traffic = _ELEMENTWISE_PASSES[recompute] * activation_bytes_per_layer.unchecked(
            s, b, h, spec.n_heads, tp, sp, "selective" if recompute == "selective" else "none")
        compute = (tokens * st.hw_fpt[recompute] / n / st.gemm_flop_s
                   + traffic * layers_here * m / st.hbm_b_s)
    else:
        compute = tokens * st.hw_fpt[recompute] / n / (st.efficiency * st.peak)
    bubble = compute * pipeline_bubble.unchecked(pp, m, v)
    act_bytes = 2.0 * b * s * h  # one micro-batch's hidden states in bf16
    # Megatron tensor parallelism: 2 all-reduces forward, 2 backward per layer (+2 with full
    # recomputation); sequence parallelism swaps each for a reduce-scatter + all-gather of
    # the same volume (Korthikanti et al. 2022, section 4.2.2).
    tp_comm = 0.0
    if tp > 1:
        per = clusters.allreduce_seconds.unchecked(act_bytes, tp, st.intra_bw, st.alpha)
        tp_comm = (6 if recompute == "full" else 4) * layers_here * m * per
    # pipeline: each micro-batch's activations forward and gradients back, per chunk boundary;
    # scatter/gather sends 1/t of them per rank (Narayanan et al. 2021, section 4.1)
    pp_comm = 0.0
    if pp > 1:
        cross = tp * pp > st.gpus_per_node
        bw = st.inter_bw if cross else st.intra_bw
        alpha = st.inter_alpha if cross else st.alpha
        pp_comm = 2 * m * v * (act_bytes / tp / (bw * 1e9) + alpha)
    # data parallelism over this GPU's parameters in bf16 (Rajbhandari et al. 2020, section 7):
    # ZeRO 0: all-reduce the gradients once per step (a reduce-scatter + an all-gather);
    # ZeRO 1–2: reduce-scatter the gradients, all-gather the updated weights: the same volume;
    # ZeRO 3 (DeepSpeed ZeRO-3, PyTorch FSDP FULL_SHARD): every micro-batch all-gathers the
    # weights for its forward and again for its backward, and reduce-scatters its gradients:
    # 3 passes per micro-batch. Overlap hides traffic only behind compute that runs at the
    # same time: the gradients of a step are complete only in the last micro-batch's backward
    # (2/3 of one micro-batch's compute); the ZeRO-1/2 weight gather can run behind the next
    # step's first forward (1/3); ZeRO-3's gathers and reduce-scatters run behind the forward
    # and backward of their own micro-batch.
    experts = st.expert_params
    tables = 1 if (pp > 1 or spec.tied_embeddings) else 2
    params = (layers_here * (st.layer_params - experts + experts / ep)
              + tables * st.table_params) / tp
    dp_comm = 0.0
    if dp > 1:
        one_pass = _dp_one_pass_s(st, 2.0 * params, dp, tp, pp)  # a reduce-scatter or gather
        per_mb = compute / m  # one micro-batch's compute on this GPU
        if zero == 3:
            exposed = (max(0.0, one_pass - per_mb / 3) + max(0.0, 2 * one_pass - per_mb * 2 / 3)
                       if st.overlap_dp else 3 * one_pass)
            dp_comm = m * exposed
        elif st.overlap_dp:
            dp_comm = (max(0.0, one_pass - per_mb * 2 / 3) + max(0.0, one_pass - per_mb / 3))
        else:
            dp_comm = 2 * one_pass
    # MoE: dispatch and combine all-to-alls of the routed tokens, forward and backward
    ep_comm = 0.0
    if ep > 1:
        routed = act_bytes * spec.experts_per_token
        cross = tp * ep > st.gpus_per_node
        per = clusters.all_to_all_seconds.unchecked(
            routed, ep, st.inter_bw if cross else st.intra_bw,
            st.inter_alpha if cross else st.alpha)
        ep_comm = 4 * layers_here * m * per
    weights, grads, optimizer = _model_states_bytes(params, zero, dp // ep if experts else dp)
    # The optimizer step: mixed-precision Adam is elementwise, so HBM-bound. Each byte of the
    # fp32 states (ZeRO's K = 12 per parameter, Rajbhandari et al. 2020, section 3.1) is read
    # and written once, and each parameter updated here reads its bf16 gradient and writes
    # its bf16 weight: 28 bytes per parameter. Part of the shape model; the flat efficiency
    # lumps it in.
    update = 0.0
    if st.efficiency is None:
        update = (2 * optimizer + 4 * optimizer / _OPTIMIZER_BYTES) / st.hbm_b_s
    step = compute + bubble + tp_comm + pp_comm + dp_comm + ep_comm + update
    per_layer = activation_bytes_per_layer.unchecked(s, b, h, spec.n_heads, tp, sp, recompute)
    # 1F1B holds min(p, m) micro-batches on the first stage; interleaving adds (p−1)/(p·v)
    # of a stage's worth (Korthikanti et al. 2022, section 4.2.3)
    first = per_layer * layers_here * min(pp, m) * (1 + (pp - 1) / (pp * v) if v > 1 else 1)
    logits = 4.0 * s * b * spec.vocab_size / tp
    busiest = first + logits if pp == 1 else max(first, per_layer * layers_here + logits)
    memory = weights + grads + optimizer + busiest
    return {"compute_s": compute, "bubble_s": bubble, "tp_comm_s": tp_comm,
            "pp_comm_s": pp_comm, "dp_comm_s": dp_comm, "ep_comm_s": ep_comm,
            "optimizer_s": update, "step_s": step,
            "tokens_per_s": tokens / step,
            "achieved_tflops_per_gpu": tokens * st.hw_fpt[recompute] / n / step / 1e12,
            "mfu": tokens * st.model_fpt / n / step / st.peak,
            "memory_gb": memory / 1e9, "fits": memory <= st.capacity,
            "n_microbatches": m}


@declared(model=MODEL, chip=CHIP, n_gpus=count(), dp=count(), tp=count(), pp=count(),
          global_batch=count(), micro_batch=count(), seq_len=optional(count()), ep=count(),
          zero_stage=ZERO_STAGE, recompute=RECOMPUTE_MODE, sequence_parallel=optional(flag()),
          interleave=count(), gpus_per_node=count(), node_link=LINK, network=LINK,
          efficiency=optional(fraction(low_open=True)),
          link_efficiency=optional(fraction(low_open=True)), overlap_dp=flag())
def step_time(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator, n_gpus: int,
              dp: int, tp: int, pp: int, global_batch: int, micro_batch: int = 1,
              seq_len: int | None = None, ep: int = 1, zero_stage: int = 1,
              recompute: str = "selective", sequence_parallel: bool | None = None,
              interleave: int = 1, gpus_per_node: int = 8,
              node_link: str | catalog.Interconnect | None = None,
              network: str | catalog.Interconnect | None = None,
              efficiency: float | None = None, link_efficiency: float | None = None,
              overlap_dp: bool = True) -> StepTime:
    """Time of one training step of a DP × TP × PP (× EP) configuration.

    step = compute + bubble + exposed communication, where

    - compute, by default the shape model: the GEMMs' hardware FLOPs at
      :data:`GEMM_SHARE_OF_MAMF` of the chip's measured matmul ceiling (catalog
      ``measured_bf16_tflops``) plus the other kernels of each layer (norms, activations,
      dropout, softmax) as 3 HBM passes over the activation bytes of Korthikanti et al. 2022,
      Table 2 (4 with full recomputation) at the chip's memory bandwidth — so thin layers and
      long sequences run at a lower share of peak than wide ones; a number ``efficiency``
      instead gives the flat global_batch · seq_len · FLOPs per token / (n · efficiency · peak);
    - the optimizer step (shape model only): mixed-precision Adam over the parameters this
      GPU updates is elementwise, so HBM-bound at 28 bytes per parameter — its fp32 copy,
      momentum and variance read and written, a bf16 gradient read, a bf16 weight written
      (ZeRO's K = 12 bytes of state, Rajbhandari et al. 2020, section 3.1); ZeRO-1 and up
      shard it over the dp ranks. It matters where the batch per GPU is small: a Llama 3.2
      1B step of one 2,048-token sequence on one H200 (7 of 50 ms measured);
    - bubble = compute · (p − 1)/(v · m), so (p − 1)/(v·m + p − 1) of compute + bubble
      (:func:`pipeline_idle_share`), m = global_batch / (dp · b);
    - tensor parallel: 4 all-reduces of b·s·h bf16 values per layer per micro-batch (6 with
      full recomputation) over ``node_link`` (Narayanan et al. 2021, section 3.2);
    - pipeline: 2 point-to-point sends of b·s·h/t values per micro-batch and chunk, over
      ``network`` once a pipeline spans nodes;
    - data parallel, per ZeRO stage (hierarchical when several dp ranks share a node, at
      lesson 2's measured link efficiency): stages 0–2 reduce the bf16 gradients and gather
      the weights once per step; stage 3 (DeepSpeed ZeRO-3, FSDP FULL_SHARD) all-gathers the
      weights for the forward and again for the backward of every micro-batch and
      reduce-scatters its gradients. With ``overlap_dp`` (the default, as in Megatron-core,
      DeepSpeed and FSDP) only what runs beside compute hides: the gradient reduction behind
      the last micro-batch's backward, the weight gather behind the first forward, ZeRO-3's
      traffic behind its own micro-batch; ``overlap_dp=False`` is Megatron-LM 2021;
    - MoE: 4 all-to-alls of the routed tokens per layer per micro-batch over ``ep`` ranks.

    ``node_link`` and ``network`` default to the chip's server (DGX A100: NVLink 3 +
    InfiniBand HDR; DGX H100/H200: NVLink 4 + NDR; DGX B200: NVLink 5 + NDR); a chip without
    catalogued server links needs both passed.

    The memory per GPU and whether it fits come from the same formulas as
    :func:`memory_fit`. Degrees that do not divide (dp·tp·pp ≠ n_gpus, heads,
    layers, the batch, the node) raise ``ValueError`` naming them.
    """
    st = _Setup(model, chip, seq_len, global_batch, gpus_per_node, node_link, network,
                efficiency, link_efficiency, overlap_dp)
    n, zero, mode = n_gpus, zero_stage, recompute
    degrees = {"dp": dp, "tp": tp, "pp": pp, "ep": ep, "micro_batch": micro_batch,
               "interleave": interleave}
    sp = degrees["tp"] > 1 if sequence_parallel is None else sequence_parallel
    problems = _degree_problems(st.spec, n, degrees["dp"], degrees["tp"], degrees["pp"],
                                degrees["ep"], degrees["micro_batch"], st.global_batch,
                                degrees["interleave"], st.gpus_per_node)
    if problems:
        raise ValueError("parallel degrees do not fit together: " + "; ".join(problems))
    parts = _evaluate(st, degrees["dp"], degrees["tp"], degrees["pp"], degrees["ep"],
                      degrees["micro_batch"], zero, mode, sp, degrees["interleave"])
    return StepTime(model=st.spec.name, chip=st.accelerator.name, dp=degrees["dp"],
                    tp=degrees["tp"], pp=degrees["pp"], ep=degrees["ep"],
                    micro_batch=degrees["micro_batch"], global_batch=st.global_batch,
                    seq_len=st.seq_len, zero_stage=zero, recompute=mode, sequence_parallel=sp,
                    interleave=degrees["interleave"], **parts)
