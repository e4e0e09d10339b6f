r"""Laplacian eigenpairs $u'' = \lambda u$ on [0, 1], $u(0) = u(1) = 0$, by Rayleigh quotients of
deflated networks (`nn.Deflated`), vs $\lambda_k = -(k\pi)^2$, $u_k = \sqrt{2}\sin(k\pi x)$."""

import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow
from sciml_jax.config import spec
from sciml_jax.losses import rayleigh_quotient
from sciml_jax.nn import MLP, Ansatz, Deflated
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


Config = workflow.experiment_config(problem=ProblemConfig)


def _dirichlet(p, n):
    return p[0] * (1 - p[0]) * n


def run(config: Config, run: RunDir | None) -> dict:
    problem = config.problem
    gauss_x, gauss_w = np.polynomial.legendre.leggauss(problem.quadrature_nodes)
    nodes = jnp.asarray(0.5 * (gauss_x + 1))[:, None]
    weights = jnp.asarray(0.5 * gauss_w)
    data = {"nodes": nodes, "weights": weights}
    x_plot = np.linspace(0.0, 1.0, 201)

    def loss_fn(model, batch, key):
        model = model.project(batch["nodes"], batch["weights"])
        norm = jnp.sum(batch["weights"] * jax.vmap(model)(batch["nodes"]) ** 2)
        return {
            "rayleigh": rayleigh_quotient(model, batch["nodes"], batch["weights"]),
            "norm": problem.norm_weight * (norm - 1.0) ** 2,
        }

    found: list[Deflated] = []
    summary: dict = {}
    curves = []
    start = time.perf_counter()
    keys = jr.split(jr.key(config.seed), problem.num_eigenpairs)
    for k in range(1, problem.num_eigenpairs + 1):
        net_key, train_key = jr.split(keys[k - 1])
        trial = Ansatz(MLP(1, "scalar", problem.width, problem.depth, key=net_key), _dirichlet)
        model = Deflated(trial, tuple(found), jnp.zeros((len(found),)))
        result = fit(model, loss_fn, config.train, key=train_key, data=data, run=None)
        trained = result.model.project(nodes, weights)
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
    orders = range(1, problem.num_eigenpairs + 1)
    summary["rel_l2"] = max(summary[f"u_{k}_rel_l2"] for k in orders)
    summary["max_lambda_rel_error"] = max(summary[f"lambda_{k}_rel_error"] for k in orders)
    if run is not None:
        predictions, references, histories = (list(c) for c in zip(*curves, strict=True))
        eigenvalues = np.array([summary[f"lambda_{k}"] for k in orders])
        arrays = {"u": np.stack(predictions), "reference": np.stack(references)}
        run.save_npz("prediction", x=x_plot, **arrays, eigenvalues=eigenvalues)
        run.save_figure(plot_curves_and_errors(x_plot, predictions, references), "prediction")
        histories = {f"k={k}": history for k, history in zip(orders, histories, strict=True)}
        figure = plot_histories(histories, "rayleigh", ylabel="Rayleigh quotient")
        run.save_figure(figure, "loss_curves")
    return summary
