"""JAX, lazily: XLA asked for host CPU devices before it starts, and the helpers every
compiled step shares (placing arrays, ``shard_map``, compiler options)."""

from __future__ import annotations

import os

#: The install command every "JAX is missing" error names.
EXTRA = "pip install 'stackkit[frameworks]'"
#: CPU devices XLA is asked to make (before JAX starts): a mesh of 8, as in one GPU server.
N_HOST_DEVICES = 8
#: Most timed repeats of one step or collective (a typed count cannot hang the kernel).
MAX_REPEATS = 100
_FLAG = "--xla_force_host_platform_device_count"


def _ask_for_host_devices() -> None:
    """Ask XLA for :data:`N_HOST_DEVICES` CPU devices, unless the caller already chose a number.

    XLA reads the flag when JAX creates its CPU backend (the first array or device
    query), so this works whenever it runs before that: on importing this module, and
    again before each call imports JAX.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={N_HOST_DEVICES}".strip()


_ask_for_host_devices()


def _jax(n_devices: int = 1):
    """(jax, optax), with XLA asked for :data:`N_HOST_DEVICES` CPU devices before it starts."""
    _ask_for_host_devices()
    try:
        import jax
        import optax
    except ImportError as exc:
        raise ImportError(f"stackkit.frameworks needs JAX and optax, the kit's optional "
                          f"'frameworks' extra: {EXTRA}") from exc
    available = len(jax.devices("cpu"))
    if available < n_devices:
        raise RuntimeError(
            f"JAX started with {available} CPU device(s) before stackkit.frameworks could ask "
            f"for {N_HOST_DEVICES}, and this needs n_devices={n_devices}: restart the kernel "
            f"and call stackkit.frameworks first, or set XLA_FLAGS={_FLAG}={N_HOST_DEVICES} "
            "before anything imports JAX")
    return jax, optax


def _place(jax, tree, shardings=None):
    """NumPy arrays onto devices, whole or in shards, without compiling anything.

    ``jax.device_put`` onto a sharding compiles a small program per shape (seconds
    for a model's worth of tensors); building each array from its shards does not.
    """
    if shardings is None:
        return jax.tree.map(jax.numpy.asarray, tree)
    return jax.tree.map(lambda x, sh: jax.make_array_from_callback(x.shape, sh,
                                                                   lambda i: x[i]),
                        tree, shardings)


def _shard_map(jax):
    shard_map = getattr(jax, "shard_map", None)
    if shard_map is None:  # JAX before 0.7
        from jax.experimental.shard_map import shard_map
    return shard_map


def _compiler_options(optimize: bool) -> dict | None:
    """XLA options: none, or LLVM's optimization of the CPU code skipped (same HLO, sooner)."""
    return None if optimize else {"xla_backend_optimization_level": 0}
