"""Spaces particles live in: free, and periodic with a general (triclinic) cell.

The cell follows ASE: a `(d, d)` matrix whose ROWS are the lattice vectors, so a
position is `r = s @ cell` for fractional coordinates `s`. Positions inside a simulation
are kept unwrapped (continuous in time, so mean-square displacements and neighbour-list
image shifts stay valid); `wrap` maps them into the cell when a frame is written.

Everything is a pure function of positions and of the cell, so `jax.grad` with respect to
a strain of the cell gives the virial stress.
"""

import abc

import equinox as eqx
import jax.numpy as jnp

from .._types import Array, Float


class AbstractSpace(eqx.Module):
    """Where particles live: how to measure a displacement and how to move a particle."""

    @abc.abstractmethod
    def displacement(self, ra: Float[Array, " d"], rb: Float[Array, " d"]) -> Float[Array, " d"]:
        """`ra - rb`, by the minimum image convention where the space is periodic."""

    @abc.abstractmethod
    def shift(self, r: Float[Array, "... d"], dr: Float[Array, "... d"]) -> Float[Array, "... d"]:
        """`r` moved by `dr` (not wrapped: positions stay continuous)."""

    @abc.abstractmethod
    def wrap(self, r: Float[Array, "... d"]) -> Float[Array, "... d"]:
        """`r` mapped into the primary cell (the identity in free space)."""


class FreeSpace(AbstractSpace):
    """Open space: no boundaries, displacements are plain differences."""

    def displacement(self, ra, rb):
        return ra - rb

    def shift(self, r, dr):
        return r + dr

    def wrap(self, r):
        return r


class PeriodicSpace(AbstractSpace):
    """A periodic box with cell matrix `cell` (rows are the lattice vectors).

    $$ r = s\\,C, \\qquad \\Delta r_{\\min} = (\\Delta s - \\operatorname{round}(\\Delta s))\\,C $$

    The rounding gives the minimum image exactly when the interaction range is below half
    the smallest perpendicular width of the cell (`perpendicular_widths`); neighbour lists
    of this package do not rely on it (they carry explicit image shifts and replicate
    images for small cells), it serves pair functions used without a list.

    **Arguments:** `cell`, `(d, d)`; `PeriodicSpace.orthorhombic(lengths)` for a box.

    ```python
    space = PeriodicSpace.orthorhombic(jnp.array([10.0, 10.0, 10.0]))
    dr = space.displacement(positions[0], positions[1])
    ```
    """

    cell: Float[Array, "d d"]

    def __init__(self, cell):
        cell = jnp.asarray(cell)
        if cell.ndim != 2 or cell.shape[0] != cell.shape[1] or cell.shape[0] not in (1, 2, 3):
            raise ValueError(
                f"cell has shape {cell.shape}; expected a square (d, d) matrix with d in "
                "1..3 whose rows are the lattice vectors (ASE's atoms.cell.array)."
            )
        if not jnp.issubdtype(cell.dtype, jnp.floating):
            cell = cell.astype(float)
        self.cell = cell

    @classmethod
    def orthorhombic(cls, lengths) -> "PeriodicSpace":
        """A rectangular box with side `lengths` `(d,)`."""
        return cls(jnp.diag(jnp.asarray(lengths, dtype=float)))

    @property
    def dimension(self) -> int:
        return self.cell.shape[0]

    @property
    def volume(self) -> Float[Array, ""]:
        return jnp.abs(jnp.linalg.det(self.cell))

    def to_fractional(self, r):
        return r @ jnp.linalg.inv(self.cell)

    def to_cartesian(self, s):
        return s @ self.cell

    def perpendicular_widths(self) -> Float[Array, " d"]:
        """Distance between opposite faces of the cell, per lattice direction."""
        reciprocal = jnp.linalg.inv(self.cell).T  # rows b_i with a_i . b_j = delta_ij
        return 1.0 / jnp.linalg.norm(reciprocal, axis=-1)

    def strained(self, strain: Float[Array, "d d"]) -> "PeriodicSpace":
        """The cell deformed by `(I + strain)`: `C' = C (I + strain)`."""
        return PeriodicSpace(self.cell @ (jnp.eye(self.dimension, dtype=self.cell.dtype) + strain))

    def displacement(self, ra, rb):
        ds = self.to_fractional(ra - rb)
        return self.to_cartesian(ds - jnp.round(ds))

    def shift(self, r, dr):
        return r + dr

    def wrap(self, r):
        s = self.to_fractional(r)
        return self.to_cartesian(s - jnp.floor(s))
