r"""Laplacian eigenpairs $u'' = \lambda u$ on [0, 1], $u(0) = u(1) = 0$, by Rayleigh quotients."""

import time
from dataclasses import dataclass, field

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax.config import RunConfig, spec
from sciml_jax.losses import rayleigh_quotient
from sciml_jax.nn import MLP
from sciml_jax.train import RunDir, fit
from sciml_jax.viz import plot_curves_and_errors, plot_histories

DESCRIPTION = "First eigenpairs of u'' = lambda u, u(0)=u(1)=0: Rayleigh quotient + norm constraint"


@dataclass(frozen=True)
class ProblemConfig:
    num_eigenpairs: int = spec(3, ge=1, le=8)
    quadrature_nodes: int = spec(96, ge=8, doc="Gauss-Legendre nodes for the integrals")
    norm_weight: float = spec(1.0, gt=0.0, doc="weight of the (||u||^2 - 1)^2 constraint")
    width: int = spec(20, ge=1)
    depth: int = spec(2, ge=1)


@dataclass(frozen=True)
class Config(RunConfig):
    problem: ProblemConfig = field(default_factory=ProblemConfig)


class Eigenfunction(eqx.Module):
    r"""$u = x(1 - x) N(x)$ minus its projections on the eigenfunctions found before.

    Removing the components along $u_1..u_{k-1}$ (in the quadrature inner product)
    makes the minimum of the Rayleigh quotient the $k$-th eigenvalue exactly, with no
    penalty to tune. The previous functions are frozen (`stop_gradient`).
    """

    net: MLP
    previous: tuple[eqx.Module, ...]
    coefficients: jax.Array  # <u_raw, u_j> / <u_j, u_j>, recomputed by `project`

    def raw(self, p):
        return p[0] * (1 - p[0]) * self.net(p)

    def __call__(self, p):
        value = self.raw(p)
        for c, u_j in zip(self.coefficients, self.previous, strict=True):
            value = value - c * jax.lax.stop_gradient(u_j(p))
        return value


def project(model: Eigenfunction, nodes, weights) -> Eigenfunction:
    """Recompute the projection coefficients for the current network (differentiably)."""
    if not model.previous:
        return model
    raw = jax.vmap(model.raw)(nodes)
    coefficients = []
    for u_j in model.previous:
        values = jax.lax.stop_gradient(jax.vmap(u_j)(nodes))
        coefficients.append(jnp.sum(weights * raw * values) / jnp.sum(weights * values**2))
    return eqx.tree_at(lambda m: m.coefficients, model, jnp.stack(coefficients))


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    gauss_x, gauss_w = np.polynomial.legendre.leggauss(problem.quadrature_nodes)
    nodes = jnp.asarray(0.5 * (gauss_x + 1))[:, None]
    weights = jnp.asarray(0.5 * gauss_w)
    x_plot = np.linspace(0.0, 1.0, 201)

    def loss_fn(model, batch, key):
        model = project(model, batch["nodes"], batch["weights"])
        norm = jnp.sum(batch["weights"] * jax.vmap(model)(batch["nodes"]) ** 2)
        return {
            "rayleigh": rayleigh_quotient(model, batch["nodes"], batch["weights"]),
            "norm": problem.norm_weight * (norm - 1.0) ** 2,
        }

    found: list[Eigenfunction] = []
    summary: dict = {}
    curves = []
    start = time.perf_counter()
    keys = jr.split(jr.key(config.seed), problem.num_eigenpairs)
    for k in range(1, problem.num_eigenpairs + 1):
        net_key, train_key = jr.split(keys[k - 1])
        model = Eigenfunction(
            MLP(1, "scalar", problem.width, problem.depth, key=net_key),
            tuple(found),
            jnp.zeros((len(found),)),
        )
        result = fit(
            model,
            loss_fn,
            config.train,
            key=train_key,
            data={"nodes": nodes, "weights": weights},
            run=None,
        )
        trained = project(result.model, nodes, weights)
        found.append(trained)
        eigenvalue = -float(rayleigh_quotient(trained, nodes, weights))
        exact_value = -((k * np.pi) ** 2)
        u = np.asarray(jax.vmap(trained)(jnp.asarray(x_plot)[:, None]))
        exact_u = np.sqrt(2.0) * np.sin(k * np.pi * x_plot)
        u = u * np.sign(np.dot(u, exact_u)) / np.sqrt(np.trapezoid(u**2, x_plot))
        summary[f"lambda_{k}"] = eigenvalue
        summary[f"lambda_{k}_rel_error"] = abs(eigenvalue - exact_value) / abs(exact_value)
        summary[f"u_{k}_rel_l2"] = float(np.linalg.norm(u - exact_u) / np.linalg.norm(exact_u))
        curves.append((u, exact_u, result.history))
    summary["wall_time_s"] = time.perf_counter() - start
    summary["rel_l2"] = max(summary[f"u_{k}_rel_l2"] for k in range(1, problem.num_eigenpairs + 1))
    summary["max_lambda_rel_error"] = max(
        summary[f"lambda_{k}_rel_error"] for k in range(1, problem.num_eigenpairs + 1)
    )
    if run is not None:
        run.save_npz(
            "prediction",
            x=x_plot,
            u=np.stack([c[0] for c in curves]),
            reference=np.stack([c[1] for c in curves]),
            eigenvalues=np.array([summary[f"lambda_{k}"] for k in range(1, len(curves) + 1)]),
        )
        predictions, references = [c[0] for c in curves], [c[1] for c in curves]
        run.save_figure(plot_curves_and_errors(x_plot, predictions, references), "prediction")
        histories = {f"k={k}": c[2] for k, c in enumerate(curves, start=1)}
        figure = plot_histories(histories, "rayleigh", ylabel="Rayleigh quotient")
        run.save_figure(figure, "loss_curves")
    return summary
