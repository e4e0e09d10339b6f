"""Pair potentials: Lennard-Jones (jax-md's and ASE's cutoff conventions), Morse, soft sphere.

Each constructor returns `energy_fn(positions, neighbors=None, *, space=None)` (see
`_energies`). Parameters may be scalars or symmetric `(S, S)` tables indexed by an
`(N,)` integer `species` array (the lookup costs one gather per pair).
"""

import jax.numpy as jnp
import numpy as np

from ._energies import check_species, pair_energy, species_table
from ._space import AbstractSpace


def smooth_switch(r, r_onset, r_cutoff):
    """The C^1 switch of HOOMD-blue used by jax-md and ASE (`smooth=True`).

    $$ S(r) = \\begin{cases} 1 & r < r_o \\\\
       \\dfrac{(r_c^2 - r^2)^2 (r_c^2 + 2 r^2 - 3 r_o^2)}{(r_c^2 - r_o^2)^3} & r_o \\le r < r_c
       \\\\ 0 & r \\ge r_c \\end{cases} $$
    """
    rc2, ro2, r2 = r_cutoff**2, r_onset**2, r**2
    inner = (rc2 - r2) ** 2 * (rc2 + 2 * r2 - 3 * ro2) / (rc2 - ro2) ** 3
    return jnp.where(r < r_onset, 1.0, jnp.where(r < r_cutoff, inner, 0.0))


def _lj(r, sigma, epsilon):
    x6 = (sigma / r) ** 6
    return 4 * epsilon * (x6 * x6 - x6)


def _truncate(u_fn, r_cutoff, r_onset, truncation):
    if truncation == "smooth":
        if not 0 <= r_onset < r_cutoff:
            raise ValueError(
                f"r_onset={r_onset} must lie in [0, r_cutoff={r_cutoff}) for the smooth switch."
            )
        return lambda r, i, j: smooth_switch(r, r_onset, r_cutoff) * u_fn(r, i, j)
    if truncation == "shift":
        rc = jnp.asarray(r_cutoff)
        return lambda r, i, j: u_fn(r, i, j) - u_fn(rc, i, j)
    if truncation == "none":
        return u_fn
    raise ValueError(
        f"truncation={truncation!r}; expected 'smooth' (multiplicative switch between "
        "r_onset and r_cutoff, jax-md/ASE smooth=True), 'shift' (u - u(r_cutoff), ASE "
        "smooth=False) or 'none'."
    )


def lennard_jones(
    space: AbstractSpace,
    *,
    sigma=1.0,
    epsilon=1.0,
    species=None,
    r_cutoff: float | None = None,
    r_onset: float | None = None,
    truncation: str = "smooth",
    check_finite: bool = True,
):
    """Lennard-Jones with a cutoff; the defaults are jax-md's exactly.

    $$ u(r) = 4\\varepsilon\\left[(\\sigma/r)^{12} - (\\sigma/r)^6\\right] S(r) $$

    with the smooth switch `S` of `smooth_switch` (`truncation="smooth"`), or
    `u(r) - u(r_c)` for `r < r_c` (`"shift"`, ASE's `smooth=False`).

    **Arguments:**

    - `space`: `FreeSpace` or `PeriodicSpace`.
    - `sigma`, `epsilon`: scalars or symmetric `(S, S)` tables over `species`.
    - `species`: `(N,)` integer species indices, needed for tables.
    - `r_cutoff`, `r_onset`: absolute distances; default `2.5 max(sigma)` and
      `2.0 max(sigma)` as jax-md's `energy.lennard_jones_neighbor_list`.
    - `truncation`: `"smooth"`, `"shift"` or `"none"`.

    **Returns:** `energy_fn(positions, neighbors=None, *, space=None)`; the list's
    `cutoff` must be at least `r_cutoff`.

    ```python
    energy_fn = lennard_jones(PeriodicSpace.orthorhombic(jnp.full(3, 10.0)))
    forces = -jax.grad(energy_fn)(positions, neighbors)
    ```
    """
    sigma_max = float(np.max(np.asarray(sigma)))
    r_cutoff = 2.5 * sigma_max if r_cutoff is None else float(r_cutoff)
    r_onset = 2.0 * sigma_max if r_onset is None else float(r_onset)
    sig = species_table(sigma, species, "sigma")
    eps = species_table(epsilon, species, "epsilon")
    n = None
    if species is not None:
        species = jnp.asarray(species)
        check_species(species, species.shape[0])
        n = species.shape[0]
    pair = _truncate(lambda r, i, j: _lj(r, sig(i, j), eps(i, j)), r_cutoff, r_onset, truncation)
    return pair_energy(space, pair, cutoff=r_cutoff, n_particles=n, check_finite=check_finite)


def lennard_jones_ase(
    space: AbstractSpace,
    *,
    sigma: float = 1.0,
    epsilon: float = 1.0,
    rc: float | None = None,
    ro: float | None = None,
    smooth: bool = False,
    check_finite: bool = True,
):
    """ASE's `ase.calculators.lj.LennardJones` convention, same names and defaults.

    `rc` defaults to `3 sigma`, `ro` to `0.66 rc`; `smooth=False` shifts the pair energy
    to zero at `rc` (forces jump there), `smooth=True` multiplies by the switch between
    `ro` and `rc`. Energies, forces and stress equal ASE's (tests/test_atoms_energies.py).
    """
    rc = 3.0 * sigma if rc is None else float(rc)
    ro = 0.66 * rc if ro is None else float(ro)
    return lennard_jones(
        space,
        sigma=sigma,
        epsilon=epsilon,
        r_cutoff=rc,
        r_onset=ro,
        truncation="smooth" if smooth else "shift",
        check_finite=check_finite,
    )


def morse(
    space: AbstractSpace,
    *,
    sigma=1.0,
    epsilon=5.0,
    alpha=5.0,
    species=None,
    r_onset: float = 2.0,
    r_cutoff: float = 2.5,
    truncation: str = "smooth",
    check_finite: bool = True,
):
    """Morse pairs, jax-md's parameterisation and defaults (`energy.morse_pair`).

    $$ u(r) = \\varepsilon\\left(1 - e^{-\\alpha (r - \\sigma)}\\right)^2 - \\varepsilon $$

    minimum `-epsilon` at `r = sigma`, curvature `u''(sigma) = 2 epsilon alpha^2`; times
    the smooth switch between `r_onset` and `r_cutoff` (absolute distances).
    """
    sig = species_table(sigma, species, "sigma")
    eps = species_table(epsilon, species, "epsilon")
    alp = species_table(alpha, species, "alpha")
    n = None if species is None else jnp.asarray(species).shape[0]

    def u(r, i, j):
        e = eps(i, j)
        return e * (1 - jnp.exp(-alp(i, j) * (r - sig(i, j)))) ** 2 - e

    pair = _truncate(u, float(r_cutoff), float(r_onset), truncation)
    return pair_energy(
        space, pair, cutoff=float(r_cutoff), n_particles=n, check_finite=check_finite
    )


def soft_sphere(
    space: AbstractSpace,
    *,
    sigma=1.0,
    epsilon=1.0,
    alpha=2.0,
    species=None,
    check_finite: bool = True,
):
    """Finite-range repulsion between spheres of diameter `sigma` (jax-md's `soft_sphere`).

    $$ u(r) = \\frac{\\varepsilon}{\\alpha} (1 - r/\\sigma)^{\\alpha}, \\quad r < \\sigma $$

    and zero beyond; the cutoff is `max(sigma)`. For `alpha > 1` forces are continuous.
    """
    sig = species_table(sigma, species, "sigma")
    eps = species_table(epsilon, species, "epsilon")
    alp = species_table(alpha, species, "alpha")
    n = None if species is None else jnp.asarray(species).shape[0]

    def u(r, i, j):
        s = sig(i, j)
        x = jnp.where(r < s, 1 - r / s, 0.0)
        return eps(i, j) / alp(i, j) * x ** alp(i, j)

    cutoff = float(np.max(np.asarray(sigma)))
    return pair_energy(space, u, cutoff=cutoff, n_particles=n, check_finite=check_finite)
