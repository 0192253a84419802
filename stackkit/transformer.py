"""Transformer arithmetic, in one place: parameters, FLOPs, KV cache and weight bytes.

Shared below the layers: chips (lesson 1) puts these numbers on a roofline,
training (lesson 5) multiplies them by tokens, serving (lesson 6) sizes the KV
cache with them. A ``model`` argument is a catalog name (``"Llama 3 8B"``) or a
:class:`~stackkit.catalog.ModelSpec`; it is looked up once per call.

Two parameter counts, on purpose:

- :func:`param_count` / :func:`active_param_count` *compute* the count from the
  architecture (layers, widths, experts), so they show where parameters live;
- :func:`weight_bytes`, :func:`flops_per_token` and the work of a decode or
  prefill step use the *published* count (``ModelSpec.params``), scaled by the
  architecture's active fraction for mixture-of-experts models, so a figure
  matches the model card.

Sources: Kaplan et al. 2020, "Scaling laws for neural language models", Table 1
(N ≈ 12·L·d², forward FLOPs per token 2N plus attention); Chowdhery et al. 2022
(PaLM), Appendix B (training FLOPs per token 6N + 12·L·H·Q·T, so a forward pass
is 2N + 4·L·T·d_attn: scores QKᵀ and their product with V); Ainslie et al.
2023 (grouped-query attention); Shazeer 2020 (SwiGLU); Kwon et al. 2023 (vLLM,
KV cache per token).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import catalog
from ._declare import count, custom, declared, flag, positive
from ._results import Result

__all__ = [
    "ATTENTION_KINDS",
    "StepWork",
    "active_fraction",
    "active_param_count",
    "decode_flops_per_token",
    "decode_work",
    "flops_per_token",
    "kv_cache_bytes_per_token",
    "param_count",
    "prefill_flops",
    "prefill_work",
    "spec",
    "weight_bytes",
]

def _model(name: str, value: object) -> catalog.ModelSpec:
    """A catalog model by name (KeyError with the nearest names), or a ModelSpec as given."""
    return catalog.model(value)


#: A model: a catalog name or a :class:`~stackkit.catalog.ModelSpec`. The examples are a
#: dense GQA model, a mixture of experts and multi-head latent attention.
_MODEL = custom(_model, examples=("Llama 3 8B", "Mixtral 8x7B", "DeepSeek-V3"),
               bad=(None, 3, "no such model"), kind="model")
_BYTES = positive(examples=(2.0, 1.0, 0.5, 4.0))  # bytes per number: bf16, fp8, fp4, fp32
_TOKENS = count(low=0, examples=(0, 1, 4096))


@declared(model=_MODEL)
def spec(model: str | catalog.ModelSpec) -> catalog.ModelSpec:
    """The :class:`~stackkit.catalog.ModelSpec` for ``model`` (a spec passes through)."""
    return model


# --------------------------------------------------------------------------- parameters

def _ffn_matrices(s: catalog.ModelSpec) -> int:
    return 3 if s.ffn_kind == "swiglu" else 2  # SwiGLU: gate, up, down


#: Attention kinds the arithmetic models: grouped-query (MHA and MQA are its extremes) and
#: DeepSeek's multi-head latent attention.
ATTENTION_KINDS = ("gqa", "mla")


def _attention_kind(s: catalog.ModelSpec) -> str:
    kind = "gqa" if s.attention is None else s.attention
    if kind not in ATTENTION_KINDS:  # never fall back to another kind's arithmetic
        raise ValueError(f"{s.name}: attention {kind!r} is not modelled; the kit models "
                         f"{', '.join(ATTENTION_KINDS)}")
    return kind


def _attention_params(s: catalog.ModelSpec) -> int:
    d = s.d_model
    if _attention_kind(s) == "gqa":
        kv = s.n_kv_heads * s.head_dim
        return 2 * d * d + 2 * d * kv  # W_q and W_o (d x d); W_k, W_v (d x kv)
    # MLA (DeepSeek-V2, arXiv 2405.04434, section 2.1): queries through a latent d_c'
    # (or straight from d), keys and values up-projected from a shared latent d_c, one
    # decoupled RoPE key of d_r per token, per-head width a; W_O from n_h·a back to d.
    h, a, r, c = s.n_heads, s.attn_head_dim, s.rope_head_dim, s.kv_latent_dim
    q = (d * s.q_latent_dim + s.q_latent_dim * h * (a + r) + s.q_latent_dim
         if s.q_latent_dim else d * h * (a + r))
    return q + d * (c + r) + c + c * h * 2 * a + h * a * d


def _moe_layers(s: catalog.ModelSpec) -> int:
    """Layers whose FFN is the (mixture of) experts; the first_dense_layers are dense."""
    return s.n_layers - (s.first_dense_layers or 0) if s.n_experts > 1 else s.n_layers


def _ffn_params(s: catalog.ModelSpec, experts: int) -> int:
    """All layers' FFN parameters, with ``experts`` routed experts counted per MoE layer."""
    m, d = _ffn_matrices(s), s.d_model
    dense = (s.n_layers - _moe_layers(s)) * m * d * (s.dense_d_ff or s.d_ff)
    router = d * s.n_experts if s.n_experts > 1 else 0
    per_moe = (experts + (s.n_shared_experts or 0)) * m * d * s.d_ff + router
    return dense + _moe_layers(s) * per_moe


def _embedding_params(s: catalog.ModelSpec) -> int:
    tables = 1 if s.tied_embeddings else 2  # input embedding and output head
    return tables * s.vocab_size * s.d_model


def _count(s: catalog.ModelSpec, experts: int) -> int:
    norms = 2 * s.d_model
    return (s.n_layers * (_attention_params(s) + norms) + _ffn_params(s, experts)
            + _embedding_params(s) + s.d_model)  # + final norm


@declared(model=_MODEL)
def param_count(model: str | catalog.ModelSpec) -> int:
    """Parameters computed from the architecture (weights only; biases ignored).

    Per layer: attention 2d² + 2d·(n_kv·d_head) (grouped-query attention,
    Ainslie et al. 2023), FFN m·d·d_ff per expert (m = 3 for SwiGLU, 2
    otherwise; Shazeer 2020), two norms; plus the embedding and output head.
    Learned position tables (GPT-3, OPT: context·d, under 0.2 % of the total)
    are left out. This is Kaplan et al. 2020, Table 1's N ≈ 12·L·d² generalised
    to grouped-query attention, SwiGLU and MoE.
    """
    return _count(model, model.n_experts)


@declared(model=_MODEL)
def active_param_count(model: str | catalog.ModelSpec) -> int:
    """Parameters one token passes through (differs from the total only for MoE)."""
    return _count(model, model.experts_per_token)


@declared(model=_MODEL)
def active_fraction(model: str | catalog.ModelSpec) -> float:
    """Active over total parameters from the architecture: 1 for dense models."""
    return _count(model, model.experts_per_token) / _count(model, model.n_experts)


def _active_params(s: catalog.ModelSpec) -> float:
    """The published count scaled by the active fraction: N in 2N FLOPs per token."""
    return s.params * _count(s, s.experts_per_token) / _count(s, s.n_experts)


@declared(model=_MODEL, bytes_per_param=_BYTES)
def weight_bytes(model: str | catalog.ModelSpec, bytes_per_param: float = 2.0) -> float:
    """Bytes of all the weights: published parameters × ``bytes_per_param`` (BF16 → 2)."""
    return model.params * bytes_per_param


@declared(model=_MODEL, bytes_per_element=_BYTES)
def kv_cache_bytes_per_token(model: str | catalog.ModelSpec,
                             bytes_per_element: float = 2.0) -> float:
    """KV cache per token of context: 2 (K and V) · layers · kv_heads · head_dim · bytes.

    Multi-head latent attention caches one latent and one RoPE key per layer instead:
    layers · (d_c + d_r) · bytes (DeepSeek-V2, arXiv 2405.04434, section 2.1.2; DeepSeek-V3:
    61 · (512 + 64) · 2 B = 70,272 B per token in BF16).

    Kwon et al. 2023 (vLLM), section 2.3: OPT-13B holds 2 · 5120 · 40 · 2 B = 800 KB
    per token in FP16.
    """
    s, width = model, bytes_per_element
    if _attention_kind(s) == "mla":  # the latent and the shared RoPE key (DeepSeek-V2, 2.1.2)
        return s.n_layers * (s.kv_latent_dim + s.rope_head_dim) * width
    return 2 * s.n_layers * s.n_kv_heads * s.head_dim * width


# --------------------------------------------------------------------------- FLOPs

def _attention_flops(s: catalog.ModelSpec, context_tokens: float) -> float:
    """4 · L · n_ctx · d_attn: QKᵀ and scores·V, 2 · n_ctx · d_attn FLOPs each per layer.

    PaLM (Chowdhery et al. 2022), Appendix B: 12·L·H·Q·T per trained token is three
    times this (forward + backward). Kaplan et al. 2020, Table 1 counts only the QKᵀ
    half (2 · L · n_ctx · d_attn). d_attn = n_heads · head_dim.
    """
    if _attention_kind(s) == "mla":  # scores over a + d_r, values of a, per head
        return 2.0 * s.n_layers * context_tokens * s.n_heads * (
            2 * s.attn_head_dim + s.rope_head_dim)
    return 4.0 * s.n_layers * context_tokens * s.n_heads * s.head_dim


@declared(model=_MODEL, context_tokens=_TOKENS)
def flops_per_token(model: str | catalog.ModelSpec, context_tokens: int = 0) -> float:
    """Forward FLOPs for one token that attends to ``context_tokens`` earlier tokens.

    2 · N_active + 4 · L · n_ctx · d_attn (Kaplan et al. 2020, Table 1, for 2N;
    PaLM, Appendix B, for the attention term), N_active the published count scaled
    for MoE. Training costs three times this per token (forward and backward:
    6N + 12·L·n_ctx·d_attn, PaLM Appendix B; Kaplan eq. 2.1).
    """
    return 2.0 * _active_params(model) + _attention_flops(model, context_tokens)


@declared(model=_MODEL, context_tokens=_TOKENS)
def decode_flops_per_token(model: str | catalog.ModelSpec, context_tokens: int = 0) -> float:
    """FLOPs to decode one token with ``context_tokens`` already in the KV cache.

    The same as :func:`flops_per_token`: a decode step is one forward pass per sequence.
    """
    return flops_per_token.unchecked(model, context_tokens)


@declared(model=_MODEL, n_tokens=count(examples=(1, 512, 4096)), context_tokens=_TOKENS)
def prefill_flops(model: str | catalog.ModelSpec, n_tokens: int, context_tokens: int = 0) -> float:
    """Forward FLOPs of a prompt of ``n_tokens`` (after ``context_tokens`` already cached).

    Token i attends to the c + i tokens before it (causal), so the total is
    n · 2N_active + 4 · L · d_attn · (n·c + n(n−1)/2) (:func:`flops_per_token`
    summed over positions).
    """
    s, n, c = model, n_tokens, context_tokens
    attended = n * c + n * (n - 1) / 2
    return n * 2.0 * _active_params(s) + _attention_flops(s, attended)


# --------------------------------------------------------------------------- one step's work

@dataclass(frozen=True)
class StepWork(Result):
    """FLOPs and bytes moved by one inference step (the inputs of a roofline bound)."""

    _derived = ("bytes_moved", "intensity_flop_per_byte")

    flops: float
    weight_bytes: float
    kv_bytes: float

    @property
    def bytes_moved(self) -> float:
        return self.weight_bytes + self.kv_bytes

    @property
    def intensity_flop_per_byte(self) -> float:
        return self.flops / self.bytes_moved


@declared(model=_MODEL, batch_size=count(examples=(1, 64)), context_tokens=_TOKENS,
          bytes_per_param=_BYTES, kv_bytes_per_element=_BYTES, attention=flag())
def decode_work(model: str | catalog.ModelSpec, batch_size: int = 1, context_tokens: int = 0,
                bytes_per_param: float = 2.0, kv_bytes_per_element: float = 2.0,
                attention: bool = False) -> StepWork:
    """FLOPs, weight bytes and KV bytes of one decode step for ``batch_size`` sequences.

    FLOPs = 2 · N_active · B (Kaplan et al. 2020, Table 1), plus the attention
    term 4 · L · c · d_attn per sequence when ``attention`` is true; weights are
    read once per step (an MoE step reads at least the active experts for each
    token, taken as disjoint, and at most all of them); each sequence reads its
    c cached tokens and writes one: B · (c + 1) · KV bytes per token.
    """
    s, b, c = model, batch_size, context_tokens
    active = _active_params(s)
    flops = 2.0 * active * b + (b * _attention_flops(s, c) if attention else 0.0)
    weights = min(s.params, active * b) * bytes_per_param
    kv = b * (c + 1) * kv_cache_bytes_per_token.unchecked(s, kv_bytes_per_element)
    return StepWork(flops, weights, kv)


@declared(model=_MODEL, n_tokens=count(examples=(1, 512, 4096)), bytes_per_param=_BYTES,
          kv_bytes_per_element=_BYTES, attention=flag())
def prefill_work(model: str | catalog.ModelSpec, n_tokens: int, bytes_per_param: float = 2.0,
                 kv_bytes_per_element: float = 2.0, attention: bool = False) -> StepWork:
    """FLOPs, weight bytes and KV bytes of a prefill of ``n_tokens`` tokens (one sequence).

    FLOPs = 2 · N_active · n (plus the causal attention term of
    :func:`prefill_flops` when ``attention`` is true); every weight is read once;
    n tokens of KV cache are written.
    """
    s, n = model, n_tokens
    flops = prefill_flops.unchecked(s, n, 0) if attention else 2.0 * _active_params(s) * n
    return StepWork(flops, s.params * bytes_per_param,
                    n * kv_cache_bytes_per_token.unchecked(s, kv_bytes_per_element))
