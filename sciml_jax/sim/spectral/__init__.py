"""Periodic pseudo-spectral steppers on ETDRK (import them from `sciml_jax.sim`)."""
