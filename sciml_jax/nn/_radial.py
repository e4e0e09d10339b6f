"""Radial pieces shared by the interatomic models: basis functions and smooth cutoffs.

A message-passing potential sees a pair only through its distance `r` (and direction).
The distance is expanded in a fixed basis, fed to a small network, and multiplied by a
cutoff function that goes to zero at `r_c` together with its first derivative, so the
energy and the forces stay continuous when a pair leaves the neighbour sphere:

$$ e_n(r) = \\sqrt{\\tfrac{2}{r_c}}\\,\\frac{\\sin(n \\pi r / r_c)}{r}
   \\quad\\text{(Bessel, DimeNet/NequIP)}, \\qquad
   g_k(r) = \\exp\\!\\big(-\\tfrac{(r - \\mu_k)^2}{2 \\Delta^2}\\big)
   \\quad\\text{(Gaussian, SchNet)}, $$

$$ f_{\\cos}(r) = \\tfrac12 \\big(\\cos(\\pi r / r_c) + 1\\big), \\qquad
   u_p(x) = 1 - \\tfrac{(p+1)(p+2)}{2} x^p + p(p+2) x^{p+1} - \\tfrac{p(p+1)}{2} x^{p+2},
   \\ x = r / r_c , $$

both zero for `r >= r_c`. `u_p` (DimeNet's polynomial envelope, `p = 6` in NequIP)
vanishes at `x = 1` with its first and second derivatives; the cosine cutoff with its
first. The functions are elementwise over any shape of `r`, with the basis index last.
Callers pass safe distances (a masked pair given `r = r_c`, say): every function is
finite there and so are its gradients.
"""

import jax.numpy as jnp

from .._types import Array, Float

__all__ = ["bessel_basis", "cosine_cutoff", "gaussian_basis", "polynomial_envelope"]


def _check(cutoff: float, num: int | None = None, name: str = "") -> None:
    if not cutoff > 0:
        raise ValueError(f"cutoff={cutoff!r}; expected a positive distance (e.g. 5.0 A).")
    if num is not None and (int(num) != num or num < 1):
        raise ValueError(f"{name}={num!r}; expected a positive number of basis functions.")


def bessel_basis(r: Float[Array, "*shape"], cutoff: float, num: int) -> Float[Array, "*shape num"]:
    """The zeroth-order spherical Bessel functions with a node at the cutoff.

    $$ e_n(r) = \\sqrt{2 / r_c}\\, \\sin(n \\pi r / r_c) / r, \\qquad n = 1, \\dots, N $$

    (DimeNet, NequIP). They vanish at `r = r_c` but their slopes do not: multiply by an
    envelope (`polynomial_envelope`) for smooth forces.

    **Arguments:** `r` distances (> 0), `cutoff` `r_c`, `num` `N`.

    **Returns:** `(*r.shape, num)`.

    **Reference:** Gasteiger, Gross, Günnemann, "Directional message passing for molecular
    graphs" (ICLR 2020), eq. (7).
    """
    _check(cutoff, num, "num")
    n = jnp.arange(1, num + 1, dtype=jnp.result_type(r, float))
    r = r[..., None]
    return jnp.sqrt(2.0 / cutoff) * jnp.sin(n * jnp.pi * r / cutoff) / r


def gaussian_basis(
    r: Float[Array, "*shape"], cutoff: float, num: int
) -> Float[Array, "*shape num"]:
    """Gaussians on a uniform grid of centres `mu_k` from 0 to `r_c`, width the spacing.

    $$ g_k(r) = \\exp\\big(-(r - \\mu_k)^2 / (2 \\Delta^2)\\big), \\qquad
       \\mu_k = k \\Delta,\\ \\Delta = r_c / (N - 1) $$

    (SchNet; SchNetPack's `GaussianRBF` with its default width).

    **Returns:** `(*r.shape, num)`.

    **Reference:** Schütt et al., "SchNet - a deep learning architecture for molecules
    and materials", J. Chem. Phys. 148, 241722 (2018).
    """
    _check(cutoff, num, "num")
    if num < 2:
        raise ValueError(f"num={num}; a Gaussian grid from 0 to the cutoff needs num >= 2.")
    dtype = jnp.result_type(r, float)
    spacing = cutoff / (num - 1)
    centres = jnp.linspace(0.0, cutoff, num, dtype=dtype)
    return jnp.exp(-0.5 * ((r[..., None] - centres) / spacing) ** 2)


def cosine_cutoff(r: Float[Array, "*shape"], cutoff: float) -> Float[Array, "*shape"]:
    """Behler's cosine cutoff, `(cos(pi r / r_c) + 1) / 2` below `r_c`, 0 beyond.

    Value and first derivative vanish at `r_c` (the second does not).
    """
    _check(cutoff)
    inside = r < cutoff
    x = jnp.where(inside, r, cutoff) / cutoff
    return jnp.where(inside, 0.5 * (jnp.cos(jnp.pi * x) + 1.0), 0.0)


def polynomial_envelope(
    r: Float[Array, "*shape"], cutoff: float, p: int = 6
) -> Float[Array, "*shape"]:
    """DimeNet's polynomial envelope in NequIP's form, 0 beyond the cutoff.

    $$ u_p(x) = 1 - \\tfrac{(p+1)(p+2)}{2} x^p + p(p+2) x^{p+1}
       - \\tfrac{p(p+1)}{2} x^{p+2}, \\qquad x = r / r_c $$

    `u_p(0) = 1` and `u_p(1) = u_p'(1) = u_p''(1) = 0`: energies, forces and their
    first derivatives are continuous when a pair crosses the cutoff.

    **Reference:** Gasteiger et al. (ICLR 2020), eq. (8); Batzner et al., "E(3)-equivariant
    graph neural networks for data-efficient and accurate interatomic potentials",
    Nat. Commun. 13, 2453 (2022).
    """
    _check(cutoff)
    if int(p) != p or p < 2:
        raise ValueError(f"p={p!r}; the envelope needs an integer exponent p >= 2 (NequIP: 6).")
    inside = r < cutoff
    x = jnp.where(inside, r, 0.0) / cutoff
    a = (p + 1) * (p + 2) / 2
    b = p * (p + 2)
    c = p * (p + 1) / 2
    xp = x**p
    return jnp.where(inside, 1.0 - a * xp + b * xp * x - c * xp * x * x, 0.0)
