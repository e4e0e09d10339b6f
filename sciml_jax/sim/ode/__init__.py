"""ODE solves through diffrax, method of lines, symplectic integrators (see `sciml_jax.sim`)."""
