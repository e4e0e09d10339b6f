"""Molecular dynamics: velocity-Verlet NVE, Langevin NVT (BAOAB), FIRE, and a chunked
driver that reallocates overflowing neighbour lists (see `sciml_jax.sim`)."""
