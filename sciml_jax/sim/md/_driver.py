"""The MD driver: `lax.scan` chunks, neighbour-list overflow recovered by redoing chunks.

Each chunk runs `chunk_size` steps of `apply_fn` inside one compiled `lax.scan` (the
list update is inside the step). After a chunk the host reads the list's sticky
`overflow` flag: if set, the chunk's pairs may have been incomplete, so the list is
reallocated with room for the largest count seen, rebuilt at the reference positions of
the chunk's START state (same pairs, same order), and the chunk is redone from that
state. No step is lost and the trajectory is the one an ample list gives from the start.

The start state is kept for a redo, so buffers are not donated; the state is `O(N)`.
The compiled chunk is cached on `(apply_fn, record_fn, chunk length)`: calling
`simulate` again with the same `apply_fn` (say, chunk by chunk from a host loop) does not
compile again.
"""

import dataclasses
import functools
import math
import time

import jax
import jax.numpy as jnp
import numpy as np

from ...atoms import AbstractSpace, NeighborListOverflowError, reallocate


def _md(state):
    return getattr(state, "md", state)


def _replace_neighbors(state, neighbors):
    if hasattr(state, "md"):
        return dataclasses.replace(state, md=dataclasses.replace(state.md, neighbors=neighbors))
    return dataclasses.replace(state, neighbors=neighbors)


def _observables(state):
    md = _md(state)
    kinetic = 0.5 * jnp.sum(md.momenta**2 / md.masses)
    nbrs = md.neighbors
    return {
        "potential_energy": md.potential_energy,
        "kinetic_energy": kinetic,
        "total_energy": md.potential_energy + kinetic,
        "temperature": 2.0 * kinetic / md.positions.size,
        "builds": jnp.int32(0) if nbrs is None else nbrs.builds,
        "finite": jnp.all(jnp.isfinite(md.positions)) & jnp.isfinite(md.potential_energy),
    }


def simulate(
    apply_fn,
    state,
    n_steps: int,
    *,
    space: AbstractSpace | None = None,
    chunk_size: int = 100,
    max_capacity: int | None = None,
    capacity_multiplier: float = 1.25,
    max_redos: int = 8,
    progress: bool | None = None,
    record_fn=None,
    on_chunk=None,
):
    """Run `n_steps` of `apply_fn` in `lax.scan` chunks; recover neighbour-list overflow.

    **Arguments:**

    - `apply_fn`, `state`: from `nve`, `nvt_langevin` or `fire_descent` (`state` may
      carry a `NeighborList`; it is updated inside every step).
    - `n_steps`: steps in total; `chunk_size`: steps per compiled chunk (the last may be
      shorter; records are taken at the end of each chunk).
    - `space`: the space, needed to reallocate an overflowing list.
    - `max_capacity`: the largest list allowed; beyond it `NeighborListOverflowError`
      names the capacity needed. `capacity_multiplier`: margin on reallocation.
    - `progress`: a tqdm bar over chunks (default: when there are 20 chunks or more).
    - `record_fn`: optional `record_fn(state) -> dict of scalars`, added to the records.
    - `on_chunk`: optional host callback `on_chunk(state, row)` after every accepted
      chunk (writing trajectory frames, say); `row` is that chunk's record.

    **Returns:** `(state, records)`, `records` a dict of numpy arrays, one entry per
    chunk: `step`, `potential_energy`, `kinetic_energy`, `total_energy`, `temperature`
    (`2K/(dN)`), `rebuilds` (list rebuilds in the chunk), `capacity`, `redos`, `seconds`.
    """
    if n_steps < 0 or chunk_size < 1:
        raise ValueError(f"n_steps={n_steps} must be >= 0 and chunk_size={chunk_size} >= 1.")
    if _md(state).neighbors is not None and space is None:
        raise ValueError("the state carries a neighbour list: pass space= so it can grow.")

    def chunk(length):
        return functools.partial(_run_chunk, apply_fn, record_fn, length)

    n_chunks = math.ceil(n_steps / chunk_size)
    if progress is None:
        progress = n_chunks >= 20
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_steps, unit="step", desc="md")
    records: dict[str, list] = {}
    step = 0
    try:
        for _ in range(n_chunks):
            length = min(chunk_size, n_steps - step)
            start = state
            start_builds = _builds(start)
            redos = 0
            t0 = time.perf_counter()
            while True:
                end, obs = chunk(length)(start)
                nbrs = _md(end).neighbors
                if nbrs is None or not bool(nbrs.overflow):
                    break
                if redos >= max_redos:
                    raise NeighborListOverflowError(
                        f"the neighbour list still overflowed after {redos} reallocations "
                        f"(needs {int(nbrs.count)} pairs); raise capacity_multiplier."
                    )
                grown = dataclasses.replace(
                    _md(start).neighbors, count=nbrs.count, max_occupancy=nbrs.max_occupancy
                )
                start = _replace_neighbors(
                    start,
                    reallocate(
                        grown,
                        space,
                        capacity_multiplier=capacity_multiplier,
                        max_capacity=max_capacity,
                    ),
                )
                redos += 1
            obs = jax.device_get(obs)
            if not bool(obs.pop("finite")):
                raise FloatingPointError(
                    f"positions or energy became NaN/inf within steps {step}..{step + length}; "
                    "reduce dt or check the initial configuration for overlapping particles."
                )
            builds = int(obs.pop("builds"))
            step += length
            row = {k: float(v) for k, v in obs.items()}
            row.update(
                step=step,
                rebuilds=builds - start_builds,
                capacity=0 if nbrs is None else nbrs.capacity,
                redos=redos,
                seconds=time.perf_counter() - t0,
            )
            for k, v in row.items():
                records.setdefault(k, []).append(v)
            state = end
            if on_chunk is not None:
                on_chunk(state, row)
            if bar is not None:
                bar.update(length)
                bar.set_postfix(E=f"{row['total_energy']:.4g}", T=f"{row['temperature']:.3g}")
    finally:
        if bar is not None:
            bar.close()
    return state, {k: np.asarray(v) for k, v in records.items()}


@functools.partial(jax.jit, static_argnums=(0, 1, 2))
def _run_chunk(apply_fn, record_fn, length, state):
    """`length` steps in one `lax.scan`, and the observables at the end.

    Module-level with `apply_fn`, `record_fn` and `length` static, so the compiled chunk
    is cached across `simulate` calls with the same functions (a closure jitted inside
    `simulate` would be traced and compiled again by every call: seconds each, more
    than a hundred steps cost at N = 4096).
    """
    state = jax.lax.scan(lambda c, _: (apply_fn(c), None), state, None, length=length)[0]
    out = _observables(state)
    if record_fn is not None:
        out.update(record_fn(state))
    return state, out


def _builds(state) -> int:
    nbrs = _md(state).neighbors
    return 0 if nbrs is None else int(nbrs.builds)
