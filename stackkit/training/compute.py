"""Compute: training FLOPs (6·N·D and attention), MFU/HFU, days and GPU-hours.

Kaplan et al. 2020, section 2.1; Chowdhery et al. 2022 (PaLM), Appendix B; Narayanan
et al. 2021, section 5.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

from .. import _checks, catalog, chips, transformer
from .._declare import count, declared, name, optional, positive
from .._results import Result
from ..units import HOURS_PER_DAY, SECONDS_PER_HOUR
from . import _specs
from ._specs import CHIP_OR_PEAK, MODEL, RECOMPUTE_MODE

RECOMPUTE = _specs.RECOMPUTE


def _params(name: str, value: object) -> float:
    """A parameter count, from a number or a model (name or ModelSpec: its published count)."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return _checks.positive(name, value)
    return float(catalog.model(value).params)


def _recompute(recompute: object) -> str:
    return _checks.one_of("recompute", recompute, RECOMPUTE)



@declared(n_params=positive(examples=(8e9, 70e9)), n_tokens=positive(examples=(15e12, 1e9)),
          recompute=RECOMPUTE_MODE)
def flops(n_params: float, n_tokens: float, recompute: str = "none") -> float:
    """Training FLOPs: 6·N·D, or 8·N·D with full activation recomputation.

    Each token costs 2N FLOPs forward and 4N backward (Kaplan et al. 2020,
    section 2.1; Hoffmann et al. 2022 use the same C = 6ND). Full
    recomputation runs the forward pass a second time: 8N (Narayanan et al.
    2021, section 5.1, who estimate GPT-3's training time as 8TP / nX).
    Selective recomputation (Korthikanti et al. 2022) recomputes only the
    attention scores, which 6N does not count, so it stays 6N here.

    Parameters
    ----------
    n_params : N, parameters a token passes through (active parameters for MoE).
    n_tokens : D, training tokens.
    recompute : "none", "selective" or "full".
    """
    return (8.0 if recompute == "full" else 6.0) * n_params * n_tokens


@declared(n_layers=count(), d_model=count(examples=(4096, 8192)), seq_len=count(),
          recompute=RECOMPUTE_MODE)
def attention_flops_per_token(n_layers: int, d_model: int, seq_len: int,
                              recompute: str = "none") -> float:
    """Attention-score FLOPs per training token that 6N leaves out: 12·L·d·s.

    Q·Kᵀ and scores·V cost 2·s·d FLOPs each per token per layer forward
    (4·L·d·s), tripled for forward + backward (PaLM, Chowdhery et al. 2022,
    Appendix B: 6N + 12·L·H·Q·T with H·Q = d, T = s); a full recomputation
    adds another forward: 16·L·d·s (the s/6h term of Narayanan et al. 2021, eq. 3).
    No causal-mask discount, as both papers count it.
    """
    factor = 16.0 if recompute == "full" else 12.0
    return factor * n_layers * d_model * seq_len


def _spec(model: object) -> catalog.ModelSpec:
    return catalog.model(model)


def _active_params(spec: catalog.ModelSpec) -> float:
    """Active parameters: the published count scaled by the architecture's active share (MoE)."""
    return spec.params * transformer.active_fraction(spec)


def _param_parts(spec: catalog.ModelSpec) -> tuple[float, float, float]:
    """(one layer, one embedding table, a layer's experts) in parameters, scaled so the
    architecture's count (``transformer.param_count``) matches the published one."""
    counted = transformer.param_count(spec)
    scale = spec.params / counted
    table = spec.vocab_size * spec.d_model
    tables = 1 if spec.tied_embeddings else 2
    layer = (counted - tables * table - spec.d_model) / spec.n_layers  # less the final norm
    matrices = 3 if spec.ffn_kind == "swiglu" else 2  # SwiGLU: gate, up, down
    # a layer's routed experts, averaged over all layers (dense first layers have none)
    experts = (spec.n_experts * matrices * spec.d_model * spec.d_ff
               * transformer._moe_layers(spec) / spec.n_layers if spec.n_experts > 1 else 0)
    return layer * scale, table * scale, experts * scale


@declared(model=MODEL, seq_len=optional(count()), recompute=RECOMPUTE_MODE)
def training_flops_per_token(model: str | catalog.ModelSpec, seq_len: int | None = None,
                             recompute: str = "none") -> float:
    """Training FLOPs per token of a catalog model: 6·N_active + 12·L·d·s (PaLM, Appendix B).

    ``seq_len`` defaults to the model's context length; full recomputation
    makes it 8·N_active + 16·L·d·s. For an MoE model N_active counts the
    experts a token is routed to (Mixtral 8x7B: 2 of 8). Three (four) times
    the forward FLOPs of ``transformer.flops_per_token``.
    """
    spec = _spec(model)
    s = spec.context_length if seq_len is None else seq_len
    passes = 4.0 if recompute == "full" else 3.0  # forward, backward (2×), again
    return passes * transformer.flops_per_token(spec, s)


@declared(model=MODEL, n_tokens=positive(examples=(15e12, 1e9)),
          seq_len=optional(count()), recompute=RECOMPUTE_MODE)
def model_training_flops(model: str | catalog.ModelSpec, n_tokens: float,
                         seq_len: int | None = None, recompute: str = "none") -> float:
    """Training FLOPs of a catalog model on ``n_tokens``, attention included."""
    return training_flops_per_token.unchecked(model, seq_len, recompute) * n_tokens


@dataclass(frozen=True)
class Utilization(Result):
    """Model and hardware FLOPs utilization of a measured throughput (PaLM, Appendix B)."""

    tokens_per_s: float
    n_gpus: int
    peak_tflops_per_gpu: float
    model_flops_per_token: float  # 6N + 12·L·d·s: what the model needs
    hardware_flops_per_token: float  # plus recomputation: what the chips executed
    achieved_tflops_per_gpu: float  # model FLOPs per second per GPU
    mfu: float
    hfu: float


@declared(tokens_per_s=positive(examples=(1000.0, 1.0)), model=MODEL, n_gpus=count(),
          chip=CHIP_OR_PEAK, seq_len=optional(count()), recompute=RECOMPUTE_MODE,
          precision=name(examples=("bf16", "fp8")))
def utilization(tokens_per_s: float, model: str | catalog.ModelSpec, n_gpus: int,
                chip: str | catalog.Accelerator | float, seq_len: int | None = None,
                recompute: str = "none", precision: str = "bf16") -> Utilization:
    """MFU and HFU of a run that processes ``tokens_per_s`` on ``n_gpus`` chips.

    MFU = tokens/s · (6N + 12·L·d·s) / (n · peak): the share of peak spent on
    the FLOPs the model needs, whatever the implementation; HFU counts the
    FLOPs the hardware actually ran, recomputation included (Chowdhery et al.
    2022, PaLM, Appendix B). ``chip`` may be a bare peak in TFLOP/s.
    """
    rate, n = tokens_per_s, n_gpus
    if isinstance(chip, Real) and not isinstance(chip, bool):
        peak = float(chip)
    else:
        peak = chips.peak_tflops(chip, precision)
    model_fpt = training_flops_per_token(model, seq_len, "none")
    hardware_fpt = training_flops_per_token(model, seq_len, recompute)
    if recompute == "selective":  # recompute the attention scores' forward once
        spec = _spec(model)
        s = spec.context_length if seq_len is None else seq_len
        hardware_fpt += 4.0 * spec.n_layers * spec.d_model * s
    achieved = rate * model_fpt / n / 1e12
    hfu = rate * hardware_fpt / n / 1e12 / peak
    if hfu > 1:
        raise ValueError(f"tokens_per_s={tokens_per_s!r} on n_gpus={n:,} needs "
                         f"{hfu * peak:.4g} TFLOP/s per GPU, more than the chip's peak of "
                         f"{peak:.4g} (chip={getattr(chip, 'name', chip)!r}): "
                         "no run exceeds its chips' peak (utilization above 1); check "
                         "tokens_per_s (the whole run's, per second) and n_gpus")
    return Utilization(tokens_per_s=rate, n_gpus=n, peak_tflops_per_gpu=peak,
                       model_flops_per_token=model_fpt, hardware_flops_per_token=hardware_fpt,
                       achieved_tflops_per_gpu=achieved, mfu=achieved / peak, hfu=hfu)


@declared(flops=positive(examples=(3.14e23, 1e20)), n_gpus=count(),
          achieved_tflops_per_gpu=positive(examples=(140.0, 400.0)))
def days(flops: float, n_gpus: int, achieved_tflops_per_gpu: float) -> float:
    """Wall-clock days to do ``flops`` on ``n_gpus`` at ``achieved_tflops_per_gpu`` each.

    T = C / (n · X) (Narayanan et al. 2021, section 5.1: GPT-3 175B on 300B
    tokens, 1,024 A100s at 140 TFLOP/s, 8TP / nX ≈ 34 days).
    """
    return flops / (n_gpus * achieved_tflops_per_gpu * 1e12) / SECONDS_PER_HOUR / HOURS_PER_DAY


@declared(flops=positive(examples=(3.14e23, 1e20)),
          achieved_tflops_per_gpu=positive(examples=(140.0, 400.0)))
def gpu_hours(flops: float, achieved_tflops_per_gpu: float) -> float:
    """GPU-hours to do ``flops`` at ``achieved_tflops_per_gpu``: C / X / 3,600."""
    return flops / (achieved_tflops_per_gpu * 1e12) / SECONDS_PER_HOUR
