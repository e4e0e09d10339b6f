"""Finite-difference steppers and elliptic solves (import them from `sciml_jax.sim`)."""
