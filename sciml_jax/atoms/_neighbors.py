"""Building and updating neighbour lists: cell lists, brute force, skin and overflow.

`neighbor_list(space, positions, cutoff, skin=...)` builds a `NeighborList` on the host
(sizing its capacity), `update(nbrs, space, positions)` keeps it valid inside `jit`: it
only checks displacements while every particle has moved less than `skin / 2` since the
build, and rebuilds with the same capacity (`lax.cond`) otherwise. A rebuild that finds
more pairs than the capacity, or more particles in one cell than the cell table holds,
sets `overflow` (sticky until the host builds a new list): never silent.

Cell list (periodic spaces). Positions are wrapped only for binning, in fractional
coordinates `s = r C^{-1}`: `M_a = floor(w_a / r_l)` bins along lattice direction `a`
(`w_a` the perpendicular width, `r_l = cutoff + skin`), so two particles closer than
`r_l` sit in bins whose indices differ by at most one, also in a triclinic cell. The
unwrapped bin offset `o` of a pair fixes both the neighbouring bin and the periodic
image, so when the cell is thinner than `r_l` (one bin, offsets `-k..k` with
`k = ceil(r_l / w_a)`) or holds two bins, every image appears once: images are
replicated, never refused. The wrap is undone in the shifts,

$$ \\mathbf n_{ij} = \\mathbf m_{ij} + \\lfloor \\mathbf s_i \\rfloor
   - \\lfloor \\mathbf s_j \\rfloor $$

(`m_ij` the image of the wrapped receiver), so `r_j - r_i + n_ij C` is the pair vector
of the unwrapped positions. A half list keeps the offsets `o > 0` (lexicographic) plus
`o = 0` with `i < j`: each unordered pair once, a particle with its own images included.

Cost: one pass over `N x (bins in the stencil) x (cell capacity)` candidates and one
compaction (a prefix sum and a scatter), no sort of pairs; the brute-force builder does
`N^2 x images` and serves small systems, free space and as the reference in tests.
"""

import dataclasses
import functools
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, Float
from ._neighbor_list import NeighborList
from ._space import AbstractSpace, FreeSpace, PeriodicSpace


@dataclasses.dataclass(frozen=True)
class ListBuilder:
    """How a list is rebuilt under `jit`: static, hashable, fixed at the host build.

    - `method`: `"cell"` or `"brute"`.
    - `grid`: bins per lattice direction (cell lists; `()` for brute force).
    - `extent`: stencil half-width `k_a` per direction (bins for cell lists, images
      for brute force; `()` in free space).
    - `cell_capacity`: particles one bin can hold (cell lists).
    """

    method: str
    grid: tuple[int, ...] = ()
    extent: tuple[int, ...] = ()
    cell_capacity: int = 0


class NeighborListOverflowError(RuntimeError):
    """A list needed more capacity than the allowed maximum."""


def _offsets(extent: tuple[int, ...], half: bool) -> np.ndarray:
    """Integer offsets `-k..k` per direction; for half lists those `>= 0` lexicographically."""
    rows = np.array(list(itertools.product(*[range(-k, k + 1) for k in extent])), dtype=np.int32)
    rows = rows.reshape(-1, len(extent))
    if half:
        keep = [tuple(r) >= (0,) * len(extent) for r in rows]
        rows = rows[np.array(keep, dtype=bool)]
    return rows


def _is_zero(offsets: np.ndarray) -> np.ndarray:
    return np.all(offsets == 0, axis=-1)


_BLOCK = 32


def _blocked_counts(mask):
    """Running counts of a boolean `(R, C)` mask in blocks of `_BLOCK` columns.

    Returns `within` `(R, B, _BLOCK)` (inclusive counts inside each block) and
    `blocks` `(R, B)` (inclusive counts up to the end of each block), int32. Triangular
    matmuls: XLA's cumsum on the CPU is a `reduce_window`, tens of times slower at the
    millions of candidates a build has. Exact in float32 (counts < 2^24).
    """
    rows, cols = mask.shape
    n_blocks = -(-cols // _BLOCK)
    x = jnp.pad(mask.astype(jnp.float32), ((0, 0), (0, n_blocks * _BLOCK - cols)))
    x = x.reshape(rows, n_blocks, _BLOCK)
    within = x @ jnp.triu(jnp.ones((_BLOCK, _BLOCK), jnp.float32))
    blocks = within[..., -1] @ jnp.triu(jnp.ones((n_blocks, n_blocks), jnp.float32))
    return within.astype(jnp.int32), blocks.astype(jnp.int32)


def _cumsum_1d(x):
    """Inclusive prefix sum of a 1-D int array by blocked matmul (see `_blocked_counts`)."""
    n = x.shape[0]
    n_blocks = -(-n // _BLOCK)
    xb = jnp.pad(x.astype(jnp.float32), (0, n_blocks * _BLOCK - n)).reshape(n_blocks, _BLOCK)
    within = xb @ jnp.triu(jnp.ones((_BLOCK, _BLOCK), jnp.float32))
    totals = within[:, -1]
    before = jnp.cumsum(totals) - totals  # n / 32 entries: the plain cumsum is cheap here
    return (within + before[:, None]).reshape(-1)[:n].astype(jnp.int32)


def _compact(mask, capacity: int):
    """The True entries of a `(R, C)` mask in row-major order: `(rows, cols)` of the
    first `capacity` of them, and their count (which may exceed `capacity`).

    Slot `q` belongs to the last row starting at or before it (a prefix count of row
    starts) and sits where that row's running count reaches `q - start + 1`: found by
    counting over the row's block totals and then inside one block, with contiguous
    gathers only (a scatter of every candidate costs more than the whole search).
    """
    rows = mask.shape[0]
    within, blocks = _blocked_counts(mask)
    counts = blocks[:, -1]
    row_end = jnp.cumsum(counts, dtype=jnp.int32)
    total = row_end[-1]
    row_start = row_end - counts
    starts = jnp.zeros((capacity,), jnp.int32).at[row_start].add(1, mode="drop")
    row = jnp.clip(_cumsum_1d(starts) - 1, 0, rows - 1)
    target = jnp.arange(capacity, dtype=jnp.int32) - row_start[row] + 1
    block = jnp.sum(blocks[row] < target[:, None], axis=1, dtype=jnp.int32)
    block = jnp.minimum(block, blocks.shape[1] - 1)
    before = jnp.where(block > 0, blocks[row, block - 1], 0)
    inside = within.reshape(-1, _BLOCK)[row * blocks.shape[1] + block]
    col = block * _BLOCK + jnp.sum(inside < (target - before)[:, None], axis=1, dtype=jnp.int32)
    return row, jnp.minimum(col, mask.shape[1] - 1), total.astype(jnp.int32)


def _wrap(space: AbstractSpace, positions):
    """Fractional coordinates in [0, 1), the integer wrap, and the wrapped positions."""
    s = positions @ jnp.linalg.inv(space.cell)
    wrap = jnp.floor(s)
    s = s - wrap
    return s, wrap, s @ space.cell


def _finish(senders, receivers, shifts, flagged, count, capacity):
    """Common tail: mask the padding, flag more pairs than capacity."""
    mask = jnp.arange(capacity) < count
    senders = jnp.where(mask, senders, 0)
    receivers = jnp.where(mask, receivers, 0)
    shifts = jnp.where(mask[:, None], shifts, 0.0)
    return senders, receivers, shifts, mask, (count > capacity) | flagged


def _build_brute(builder, space, positions, r_list, capacity, half):
    n, d = positions.shape
    i = jnp.arange(n, dtype=jnp.int32)
    if isinstance(space, PeriodicSpace):
        _, wrap, rw = _wrap(space, positions)
        images_np = _offsets(builder.extent, half=False).astype(np.float64)
        images = jnp.asarray(images_np, dtype=positions.dtype)
        image_vectors = images @ space.cell  # (I, d)
        vec = rw[None, :, None, :] + image_vectors[None, None] - rw[:, None, None, :]
        # half: i < j, or i == j with the image > 0 lexicographically; full: not self.
        positive = jnp.asarray([tuple(r) > (0,) * d for r in images_np], dtype=bool)
        zero = jnp.asarray(_is_zero(images_np))
    else:
        wrap = jnp.zeros_like(positions)
        images = jnp.zeros((1, d), positions.dtype)
        vec = positions[None, :, None, :] - positions[:, None, None, :]
        positive = jnp.zeros((1,), bool)
        zero = jnp.ones((1,), bool)
    ii, jj = i[:, None, None], i[None, :, None]
    if half:
        order_ok = (ii < jj) | ((ii == jj) & positive[None, None, :])
    else:
        order_ok = (ii != jj) | ~zero[None, None, :]
    close = jnp.sum(vec**2, axis=-1) < r_list**2
    n_images = images.shape[0]
    senders, col, count = _compact((close & order_ok).reshape(n, -1), capacity)
    receivers = col // n_images
    image = col % n_images
    shifts = images[image] + wrap[senders] - wrap[receivers]
    return (senders, receivers, shifts, count, jnp.bool_(False), jnp.int32(0))


def _build_cell(builder, space, positions, r_list, capacity, half):
    n, d = positions.shape
    grid_np = np.asarray(builder.grid, dtype=np.int32)
    grid = jnp.asarray(grid_np)
    n_cells = int(np.prod(grid_np))
    k_cap = builder.cell_capacity
    strides_np = np.cumprod(np.concatenate([[1], grid_np[::-1][:-1]]))[::-1].astype(np.int32)
    strides = jnp.asarray(strides_np)

    s, wrap, rw = _wrap(space, positions)
    bins = jnp.clip(jnp.floor(s * grid).astype(jnp.int32), 0, grid - 1)  # (n, d)
    cell_id = bins @ strides
    order = jnp.argsort(cell_id, stable=True).astype(jnp.int32)
    sorted_ids = cell_id[order]
    starts = jnp.searchsorted(sorted_ids, jnp.arange(n_cells, dtype=jnp.int32), side="left")
    occupancy = jnp.zeros((n_cells,), jnp.int32).at[cell_id].add(1)
    slot = jnp.arange(n, dtype=jnp.int32) - starts[sorted_ids].astype(jnp.int32)
    table = jnp.full((n_cells, k_cap), n, jnp.int32).at[sorted_ids, slot].set(order, mode="drop")
    max_occupancy = jnp.max(occupancy)

    offsets_np = _offsets(builder.extent, half=half)  # (S, d)
    offsets = jnp.asarray(offsets_np)
    unwrapped = bins[:, None, :] + offsets[None]  # (n, S, d)
    image = jnp.floor_divide(unwrapped, grid)
    neighbour_cell = jnp.mod(unwrapped, grid) @ strides  # (n, S)
    candidates = table[neighbour_cell]  # (n, S, K)
    image_vectors = image.astype(positions.dtype) @ space.cell  # (n, S, d)
    # One coordinate at a time: XLA gathers scalars much faster than rows here.
    rw_pad = jnp.concatenate([rw, jnp.full((1, d), jnp.inf, rw.dtype)])
    relative = image_vectors - rw[:, None, :]
    dist2 = sum((rw_pad[:, a][candidates] + relative[:, :, a, None]) ** 2 for a in range(d))
    close = dist2 < r_list**2  # padding (inf) is never close
    i = jnp.arange(n, dtype=jnp.int32)[:, None, None]
    same = jnp.asarray(_is_zero(offsets_np))[None, :, None]
    order_ok = ~same | ((candidates > i) if half else (candidates != i))
    senders, col, count = _compact((close & order_ok).reshape(n, -1), capacity)
    stencil = col // k_cap
    receivers = candidates.reshape(n, -1)[senders, col]
    receivers = jnp.where(receivers < n, receivers, 0)
    shifts = image[senders, stencil].astype(positions.dtype) + wrap[senders] - wrap[receivers]
    # Bins must stay at least r_list wide (they may not if the cell was deformed since
    # the host chose the grid); otherwise the stencil could miss pairs: flag it.
    widths = space.perpendicular_widths()
    too_thin = jnp.any(r_list * grid > widths * jnp.asarray(builder.extent) * 1.0000001)
    cells_full = max_occupancy > k_cap
    return (senders, receivers, shifts, count, cells_full | too_thin, max_occupancy)


def _build(builder, space, positions, cutoff, skin, capacity, half, builds):
    r_list = cutoff + skin
    if builder.method == "cell":
        parts = _build_cell(builder, space, positions, r_list, capacity, half)
    else:
        parts = _build_brute(builder, space, positions, r_list, capacity, half)
    senders, receivers, shifts, count, flagged, max_occupancy = parts
    senders, receivers, shifts, mask, overflow = _finish(
        senders, receivers, shifts, flagged, count, capacity
    )
    return NeighborList(
        senders=senders.astype(jnp.int32),
        receivers=receivers.astype(jnp.int32),
        shifts=shifts.astype(positions.dtype),
        mask=mask,
        reference_positions=positions,
        overflow=overflow,
        count=count,
        cutoff=cutoff,
        skin=skin,
        half=half,
        builder=builder,
        max_occupancy=jnp.asarray(max_occupancy, jnp.int32),
        builds=jnp.asarray(builds, jnp.int32),
    )


def rebuild(nbrs: NeighborList, space: AbstractSpace, positions) -> NeighborList:
    """A fresh build at `positions` with the list's capacity (jittable).

    `overflow` stays set if it was (the pairs since then may be incomplete); `count`
    and `max_occupancy` keep the largest values seen since the host build, which is what
    a reallocation needs.
    """
    new = _build(
        nbrs.builder,
        space,
        positions,
        nbrs.cutoff,
        nbrs.skin,
        nbrs.capacity,
        nbrs.half,
        nbrs.builds + 1,
    )
    return _sticky(nbrs, new)


def _sticky(old: NeighborList, new: NeighborList) -> NeighborList:
    return dataclasses.replace(
        new,
        overflow=old.overflow | new.overflow,
        count=jnp.maximum(old.count, new.count),
        max_occupancy=jnp.maximum(old.max_occupancy, new.max_occupancy),
    )


def needs_rebuild(nbrs: NeighborList, positions) -> Array:
    """True if some particle moved more than `skin / 2` since the last build (or is not
    finite): only then can a pair have come within `cutoff`."""
    d2 = jnp.max(jnp.sum((positions - nbrs.reference_positions) ** 2, axis=-1))
    return (d2 > (0.5 * nbrs.skin) ** 2) | ~jnp.isfinite(d2)


def update(nbrs: NeighborList, space: AbstractSpace, positions) -> NeighborList:
    """The list kept valid at `positions`: unchanged (one displacement check) unless a
    particle moved more than `skin / 2` since the build, then rebuilt in place.

    $$ \\max_i |\\mathbf r_i - \\mathbf r_i^{\\rm ref}| > s/2 \\Rightarrow \\text{rebuild} $$

    Jittable; the rebuild keeps the capacity and sets `overflow` if it did not fit.
    Positions must be unwrapped (a wrapped particle jumps and triggers a rebuild).
    """
    if nbrs.builder is None:
        raise ValueError(
            "this NeighborList has no builder (it was made by hand); build it with "
            "sciml_jax.atoms.neighbor_list(space, positions, cutoff) to update it."
        )
    return jax.lax.cond(
        needs_rebuild(nbrs, positions),
        lambda: rebuild(nbrs, space, positions),
        lambda: nbrs,
    )


def _check_positions(space, positions):
    positions = jnp.asarray(positions)
    if positions.ndim != 2:
        raise ValueError(f"positions have shape {positions.shape}; expected (N, d).")
    if isinstance(space, PeriodicSpace) and positions.shape[1] != space.dimension:
        raise ValueError(
            f"positions are {positions.shape[1]}-dimensional but the cell is "
            f"{space.dimension}x{space.dimension}; give positions of the cell's dimension."
        )
    if not isinstance(positions, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(positions))):
        bad = np.argwhere(~np.isfinite(np.asarray(positions)))[:, 0]
        raise ValueError(
            f"positions of particles {sorted(set(bad.tolist()))[:10]} are NaN or inf; "
            "a neighbour list needs finite positions (a blown-up trajectory? reduce dt)."
        )
    if not jnp.issubdtype(positions.dtype, jnp.floating):
        positions = positions.astype(float)
    return positions


def _plan(space, positions, r_list, method, replicate, cell_capacity, multiplier):
    n, d = positions.shape
    if not isinstance(space, PeriodicSpace):
        if not isinstance(space, FreeSpace):
            raise TypeError(f"space must be FreeSpace or PeriodicSpace, got {type(space)}.")
        if method == "cell":
            raise ValueError("method='cell' needs a PeriodicSpace; use 'brute' or 'auto'.")
        return ListBuilder("brute")
    widths = np.asarray(space.perpendicular_widths(), dtype=float)
    if not replicate and r_list > 0.5 * widths.min():
        raise ValueError(
            f"cutoff + skin = {r_list:g} exceeds half the smallest cell width "
            f"({0.5 * widths.min():g}) and replicate=False: the minimum image would miss "
            "pairs. Pass replicate=True (periodic images are listed explicitly) or use a "
            f"cell at least {2 * r_list:g} wide in every direction."
        )
    images = tuple(int(math.ceil(r_list / w - 1e-12)) for w in widths)
    brute = ListBuilder("brute", extent=images)
    grid = np.maximum(1, np.floor(widths / r_list).astype(int))
    # No more bins than about 2N: a dilute gas would otherwise allocate a huge table.
    while np.prod(grid) > max(2 * n, 27) and grid.max() > 1:
        grid[np.argmax(grid)] -= 1
    extent = tuple(
        int(math.ceil(r_list * g / w - 1e-12)) for g, w in zip(grid, widths, strict=True)
    )
    n_stencil = int(np.prod([2 * k + 1 for k in extent]))
    if cell_capacity is None:
        s = np.asarray(positions) @ np.linalg.inv(np.asarray(space.cell))
        s = s - np.floor(s)
        bins = np.clip(np.floor(s * grid).astype(int), 0, grid - 1)
        occupancy = np.bincount(np.ravel_multi_index(bins.T, grid), minlength=int(grid.prod()))
        cell_capacity = max(int(math.ceil(occupancy.max() * multiplier)) + 2, 4)
    cell = ListBuilder("cell", tuple(int(g) for g in grid), extent, int(cell_capacity))
    if method == "cell":
        return cell
    if method == "brute":
        return brute
    if method != "auto":
        raise ValueError(f"method={method!r}; expected 'auto', 'cell' or 'brute'.")
    n_images = int(np.prod([2 * k + 1 for k in images]))
    cheaper_brute = n * n * n_images <= n * n_stencil * cell.cell_capacity
    return brute if cheaper_brute else cell


def neighbor_list(
    space: AbstractSpace,
    positions: Float[Array, "n d"],
    cutoff: float,
    *,
    skin: float | None = None,
    capacity: int | None = None,
    half: bool = True,
    method: str = "auto",
    capacity_multiplier: float = 1.25,
    cell_capacity: int | None = None,
    replicate: bool = True,
) -> NeighborList:
    """Build a `NeighborList` of all pairs closer than `cutoff + skin` (host side).

    **Arguments:**

    - `space`: `PeriodicSpace` (any cell, also thinner than the cutoff) or `FreeSpace`.
    - `positions`: `(N, d)`, unwrapped; particles outside the cell are fine.
    - `cutoff`: the interaction range; `skin`: the Verlet buffer (default
      `0.2 * cutoff`, jax-md's 0.5 for LJ at 2.5): `update` rebuilds only after a
      particle moved `skin / 2`.
    - `capacity`: pair slots; default the count found now times `capacity_multiplier`.
    - `half`: each unordered pair once (pair energies) or both directions (messages).
    - `method`: `"cell"`, `"brute"` or `"auto"` (the cheaper for this system).
    - `cell_capacity`: particles per bin of the cell list (default from the current
      occupancy times `capacity_multiplier`).
    - `replicate`: with False a cutoff + skin above half the cell width is refused
      instead of listing periodic images explicitly.

    **Returns:** a `NeighborList`; `overflow` is False when built here (capacity is
    sized to fit unless `capacity` was given too small, then `overflow` is True).

    ```python
    nbrs = neighbor_list(space, positions, cutoff=2.5, skin=0.5)
    nbrs = update(nbrs, space, new_positions)  # inside jit
    ```
    """
    positions = _check_positions(space, positions)
    cutoff = float(cutoff)
    skin = 0.2 * cutoff if skin is None else float(skin)
    if cutoff <= 0 or skin < 0:
        raise ValueError(f"cutoff={cutoff} must be > 0 and skin={skin} >= 0.")
    if capacity_multiplier < 1:
        raise ValueError(f"capacity_multiplier={capacity_multiplier} must be >= 1.")
    builder = _plan(
        space, positions, cutoff + skin, method, replicate, cell_capacity, capacity_multiplier
    )
    if capacity is not None:
        return build_jit(builder, space, positions, cutoff, skin, int(capacity), half)
    # One compiled build per power-of-two guess (from the density), then trimmed to the
    # count found times the margin: the slots past `count` are padding either way.
    n, d = positions.shape
    if isinstance(space, PeriodicSpace):
        ball = math.pi ** (d / 2) / math.gamma(d / 2 + 1) * (cutoff + skin) ** d
        guess = n * n * ball / float(space.volume) * (0.5 if half else 1.0)
    else:
        guess = n * n / 2
    guess = int(min(max(guess * capacity_multiplier, 16), n * n * 27))
    while True:
        bucket = 1 << max(4, math.ceil(math.log2(guess)))
        nbrs = build_jit(builder, space, positions, cutoff, skin, bucket, half)
        capacity = max(int(math.ceil(int(nbrs.count) * capacity_multiplier)), 16)
        if capacity <= bucket and not bool(nbrs.overflow):
            return _resize(nbrs, capacity)
        if capacity <= bucket:  # a full bin, not the pair capacity: plan again
            builder = dataclasses.replace(
                builder, cell_capacity=int(math.ceil(builder.cell_capacity * 1.5)) + 1
            )
        guess = max(capacity, bucket)


def _resize(nbrs: NeighborList, capacity: int) -> NeighborList:
    """The same list with `capacity` slots (padding removed or added at the end)."""
    extra = capacity - nbrs.capacity

    def fit(x, fill):
        if extra <= 0:
            return x[:capacity]
        pad = jnp.full((extra,) + x.shape[1:], fill, x.dtype)
        return jnp.concatenate([x, pad])

    return dataclasses.replace(
        nbrs,
        senders=fit(nbrs.senders, 0),
        receivers=fit(nbrs.receivers, 0),
        shifts=fit(nbrs.shifts, 0),
        mask=fit(nbrs.mask, False),
        overflow=nbrs.overflow | (nbrs.count > capacity),
    )


def build_jit(builder, space, positions, cutoff, skin, capacity, half) -> NeighborList:
    """A jitted build with static `builder`, `cutoff`, `skin`, `capacity`, `half`."""
    return _build_jitted(builder, space, positions, cutoff, skin, capacity, half)


@functools.partial(jax.jit, static_argnums=(0, 3, 4, 5, 6))
def _build_jitted(builder, space, positions, cutoff, skin, capacity, half):
    return _build(builder, space, positions, cutoff, skin, capacity, half, 0)


def reallocate(
    nbrs: NeighborList,
    space: AbstractSpace,
    *,
    capacity_multiplier: float = 1.25,
    max_capacity: int | None = None,
) -> NeighborList:
    """A larger list built at `nbrs.reference_positions` after an overflow (host side).

    The new list has room for the largest pair count and cell occupancy seen since the
    last host build, times `capacity_multiplier`; the pairs are the same and in the same
    order as in a list that never overflowed, so dynamics redone with it repeat exactly
    what an ample list gives. Raises `NeighborListOverflowError` naming the capacity
    needed if it exceeds `max_capacity`.
    """
    builder = nbrs.builder
    needed = int(nbrs.count)
    capacity = nbrs.capacity
    if needed > capacity:
        capacity = int(math.ceil(needed * capacity_multiplier))
    if builder.method == "cell":
        occ = int(nbrs.max_occupancy)
        cell_capacity = builder.cell_capacity
        if occ > cell_capacity:
            cell_capacity = int(math.ceil(occ * capacity_multiplier)) + 1
            # A full cell hides pairs from the count: grow the pairs too.
            capacity = max(capacity, int(math.ceil(capacity * capacity_multiplier)))
        builder = dataclasses.replace(builder, cell_capacity=cell_capacity)
        if isinstance(space, PeriodicSpace) and not isinstance(space.cell, jax.core.Tracer):
            widths = np.asarray(space.perpendicular_widths())
            r_list = nbrs.cutoff + nbrs.skin
            if np.any(r_list * np.asarray(builder.grid) > widths * np.asarray(builder.extent)):
                fresh = _plan(space, nbrs.reference_positions, r_list, "cell", True, None, 1.25)
                builder = dataclasses.replace(
                    fresh, cell_capacity=max(fresh.cell_capacity, cell_capacity)
                )
    if capacity == nbrs.capacity and builder == nbrs.builder:
        capacity = int(math.ceil(capacity * capacity_multiplier)) + 1
    if max_capacity is not None and capacity > max_capacity:
        raise NeighborListOverflowError(
            f"the neighbour list needs {needed} pairs (capacity {capacity} with the "
            f"margin) but max_capacity={max_capacity}; raise max_capacity, or lower the "
            "density, cutoff or skin."
        )
    new = build_jit(
        builder, space, nbrs.reference_positions, nbrs.cutoff, nbrs.skin, capacity, nbrs.half
    )
    return dataclasses.replace(new, builds=nbrs.builds)
