"""Expert parallelism: where a mixture-of-experts layer's tokens travel, and what it costs.

Each token's hidden state is *dispatched* to the GPUs that hold its routed experts and the
results are *combined* back: two all-to-alls per MoE layer forward, two more backward
(Lepikhin et al. 2020, GShard, section 2.2). DeepSeek-V3 (arXiv 2412.19437, section 3.2.2)
spreads 256 routed experts over 64 GPUs of 8 nodes, sends each token to at most 4 nodes,
dispatches in FP8 and combines in BF16.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import catalog
from .._declare import count, declared, optional, positive
from .._results import Result
from ._specs import MOE_MODEL
from .compute import _spec


@dataclass(frozen=True)
class ExpertTraffic(Result):
    """One MoE layer's all-to-all traffic per token, forward, and the nodes it crosses."""

    model: str
    ep: int
    gpus_per_node: int
    experts_per_token: int  # routed
    nodes_per_token: float  # distinct nodes a token's experts sit on (expected)
    dispatch_bytes_per_token: float  # sent across nodes (InfiniBand), dispatch
    combine_bytes_per_token: float  # received across nodes, combine
    inter_node_bytes_per_token: float  # dispatch + combine, forward


@declared(model=MOE_MODEL, ep=count(examples=(8, 64)), gpus_per_node=count(examples=(8, 4)),
          max_nodes_per_token=optional(count(examples=(4,))),
          dispatch_bytes=positive(high=8, examples=(2.0, 1.0)),
          combine_bytes=positive(high=8, examples=(2.0,)))
def expert_traffic(model: str | catalog.ModelSpec, ep: int, gpus_per_node: int = 8,
                   max_nodes_per_token: int | None = None, dispatch_bytes: float = 2.0,
                   combine_bytes: float = 2.0) -> ExpertTraffic:
    """Cross-node bytes of one MoE layer's dispatch and combine per token (forward).

    With the experts spread evenly over n = ep / gpus_per_node nodes and k routed experts
    per token drawn without bias, a token reaches n · (1 − (1 − 1/n)^k) distinct nodes on
    average; node-limited routing caps that at ``max_nodes_per_token`` (DeepSeek-V3: M = 4,
    section 3.2.2). A token is sent once to each node (then forwarded over NVLink inside
    it), d values at ``dispatch_bytes`` each (DeepSeek-V3: FP8, 1 byte) and its results come
    back at ``combine_bytes`` (BF16, 2). The backward pass moves the same again.
    """
    spec = _spec(model)
    if spec.n_experts <= 1:
        raise ValueError(f"model {spec.name!r} is dense (n_experts=1): it has no expert "
                         "all-to-all; choose a mixture-of-experts model such as 'DeepSeek-V3'")
    e, g = ep, gpus_per_node
    if spec.n_experts % e:
        raise ValueError(f"ep={e} must divide the model's n_experts={spec.n_experts}")
    d_bytes, c_bytes = dispatch_bytes, combine_bytes
    nodes = max(1, e // g)
    k = spec.experts_per_token
    reached = nodes * (1 - (1 - 1 / nodes) ** k) if nodes > 1 else 1.0
    if max_nodes_per_token is not None:
        reached = min(reached, max_nodes_per_token)
    remote = reached * (nodes - 1) / nodes if nodes > 1 else 0.0  # its own node is free
    dispatch = remote * spec.d_model * d_bytes
    combine = remote * spec.d_model * c_bytes
    return ExpertTraffic(model=spec.name, ep=e, gpus_per_node=g, experts_per_token=k,
                         nodes_per_token=reached, dispatch_bytes_per_token=dispatch,
                         combine_bytes_per_token=combine,
                         inter_node_bytes_per_token=dispatch + combine)
