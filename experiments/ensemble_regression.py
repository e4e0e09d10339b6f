"""A deep ensemble of heteroscedastic MLPs (Lakshminarayanan et al. 2017), trained as one
stacked PyTree in one vmapped `fit`, on a toy with known noise and on scikit-learn's
diabetes data.

Each member is a `uq.GaussianHead` MLP with outputs `(mu_i(x), sigma_i^2(x))`, trained by
the beta-NLL. The ensemble's predictive is the equally weighted mixture, whose variance
splits by the law of total variance:

$$ \\operatorname{Var}[y \\mid x] = \\underbrace{\\tfrac1M \\textstyle\\sum_i \\sigma_i^2(x)}_
   {\\text{aleatoric}} + \\underbrace{\\tfrac1M \\textstyle\\sum_i (\\mu_i(x) - \\bar\\mu(x))^2}_
   {\\text{epistemic}} $$

Toy: `y = sin(2x) + sigma(x) eps` on `[-1, 1]` with `sigma(x)` linear from `noise_low` to
`noise_high`: the learned aleatoric std is compared with the true one over the data range
(target: within 10 %), and the epistemic std inside the data with that outside it.
Diabetes (442 patients, 10 features; `sklearn.datasets.load_diabetes`, bundled, offline):
test NLL and RMSE of the ensemble against homoscedastic models, an MLP trained by MSE
with the maximum-likelihood constant variance and scikit-learn's `BayesianRidge`.
"""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import uq
from sciml_jax import workflow as wf
from sciml_jax.config import OptimizerConfig, TrainConfig, spec
from sciml_jax.losses import beta_nll_loss
from sciml_jax.nn import MLP
from sciml_jax.train import fit
from sciml_jax.viz import (
    plot_coverage_curve,
    plot_curves,
    plot_predictive_band,
    plot_reliability_diagram,
)

DESCRIPTION = "Deep ensemble (8 Gaussian-head MLPs, one vmapped fit): toy noise, diabetes NLL"


@dataclass(frozen=True)
class EnsembleConfig:
    members: int = spec(8, ge=2)
    width: int = spec(32, ge=1)
    depth: int = spec(2, ge=1)
    beta: float = spec(0.5, ge=0.0, le=1.0, doc="beta-NLL weight (0: the plain NLL)")
    min_variance: float = spec(1e-6, gt=0.0, doc="variance floor, in standardised units")


@dataclass(frozen=True)
class ToyConfig:
    num_train: int = spec(4000, ge=10)
    num_test: int = spec(4000, ge=10)
    noise_low: float = spec(0.1, gt=0.0, doc="sigma at x = -1")
    noise_high: float = spec(0.3, gt=0.0, doc="sigma at x = +1")
    steps: int = spec(3000, ge=1)
    learning_rate: float = spec(3e-3, gt=0.0)


@dataclass(frozen=True)
class DiabetesConfig:
    test_fraction: float = spec(0.2, gt=0.0, lt=1.0)
    split_seed: int = spec(0, ge=0)
    steps: int = spec(1000, ge=1)
    learning_rate: float = spec(1e-3, gt=0.0)
    weight_decay: float = spec(1e-3, ge=0.0, doc="L2 added to Adam's gradient")


Config = wf.experiment_config(ensemble=EnsembleConfig, toy=ToyConfig, diabetes=DiabetesConfig)


def _member_factory(c: EnsembleConfig, in_size: int):
    def make(key):
        return uq.GaussianHead(
            MLP(in_size, 2, c.width, c.depth, key=key), min_variance=c.min_variance
        )

    return make


def _nll_loss(beta: float):
    def loss(head, batch, key):
        # points as columns: one GEMM per layer for all of them
        mean, variance = head(batch["x"].T)
        return beta_nll_loss(mean, variance, batch["y"], beta=beta)

    return loss


def _mse_loss(model, batch, key):
    return jnp.mean((model(batch["x"].T) - batch["y"]) ** 2)


def _train_config(config, steps, learning_rate, weight_decay=0.0) -> TrainConfig:
    """Adam for `steps` in chunks of `train.chunk_size`; the four fits of a run keep no
    checkpoints (they would share one run folder)."""
    chunk = min(config.train.chunk_size, steps)
    return TrainConfig(
        steps=steps,
        chunk_size=chunk,
        checkpoint_every=chunk * -(-steps // chunk),
        progress=config.train.progress,
        optimizer=OptimizerConfig(
            name="adam", learning_rate=learning_rate, weight_decay=weight_decay
        ),
    )


def _fit_ensemble(config, data, steps, learning_rate, key, weight_decay=0.0):
    c = config.ensemble
    build_key, train_key = jr.split(key)
    ensemble = uq.Ensemble.build(_member_factory(c, data["x"].shape[1]), build_key, c.members)
    train = _train_config(config, steps, learning_rate, weight_decay)
    return fit(ensemble, uq.ensemble_loss(_nll_loss(c.beta)), train, key=train_key, data=data)


def _fit_homoscedastic(config, data, steps, learning_rate, key, weight_decay=0.0):
    c = config.ensemble
    build_key, train_key = jr.split(key)
    model = MLP(data["x"].shape[1], "scalar", c.width, c.depth, key=build_key)
    train = _train_config(config, steps, learning_rate, weight_decay)
    model = fit(model, _mse_loss, train, key=train_key, data=data).model
    # the maximum-likelihood constant variance: the training mean squared residual
    return model, float(_mse_loss(model, data, None))


@jax.jit
def _predict(ensemble, x):
    members = jax.vmap(lambda m: m(x.T))(ensemble.members)  # (means, variances), (M, n)
    return uq.mixture_moments(members)


def _scores(y, mean, std) -> dict:
    return {
        "nll": float(jnp.mean(uq.gaussian_nll(y, mean, std))),
        "rmse": float(jnp.sqrt(jnp.mean((y - mean) ** 2))),
        "crps": float(jnp.mean(uq.crps_gaussian(y, mean, std))),
    }


def _toy(config, key) -> tuple[dict, dict]:
    t = config.toy

    def true_std(x):
        return t.noise_low + (t.noise_high - t.noise_low) * (x + 1.0) / 2.0

    def draw(key, n):
        kx, ke = jr.split(key)
        x = jr.uniform(kx, (n, 1), minval=-1.0, maxval=1.0)
        return {"x": x, "y": jnp.sin(2.0 * x[:, 0]) + true_std(x[:, 0]) * jr.normal(ke, (n,))}

    data_key, test_key, fit_key, plain_key = jr.split(key, 4)
    data, test = draw(data_key, t.num_train), draw(test_key, t.num_test)
    ensemble = _fit_ensemble(config, data, t.steps, t.learning_rate, fit_key).model
    plain, sigma2 = _fit_homoscedastic(config, data, t.steps, t.learning_rate, plain_key)

    grid = jnp.linspace(-1.0, 1.0, 201)[:, None]
    on_grid = _predict(ensemble, grid)
    learned = jnp.sqrt(on_grid.aleatoric)
    relative = jnp.abs(learned / true_std(grid[:, 0]) - 1.0)
    wide = jnp.linspace(-2.0, 2.0, 401)[:, None]
    on_wide = _predict(ensemble, wide)
    outside = jnp.abs(wide[:, 0]) > 1.25
    inside = jnp.abs(wide[:, 0]) <= 1.0
    epistemic_std = jnp.sqrt(on_wide.epistemic)

    prediction = _predict(ensemble, test["x"])
    ens = _scores(test["y"], prediction.mean, prediction.std)
    homo_mean = plain(test["x"].T)
    homo = _scores(test["y"], homo_mean, jnp.full_like(homo_mean, np.sqrt(sigma2)))
    summary = {
        "toy_std_max_rel_error": float(relative.max()),
        "toy_std_mean_rel_error": float(relative.mean()),
        "toy_nll_ensemble": ens["nll"],
        "toy_nll_homoscedastic": homo["nll"],
        "toy_rmse_ensemble": ens["rmse"],
        "toy_rmse_homoscedastic": homo["rmse"],
        "toy_aleatoric_fraction": float(
            jnp.mean(prediction.aleatoric) / jnp.mean(prediction.variance)
        ),
        "toy_epistemic_std_inside": float(jnp.mean(epistemic_std[inside])),
        "toy_epistemic_std_outside": float(jnp.mean(epistemic_std[outside])),
    }
    figures = {
        "grid": grid[:, 0],
        "learned_std": learned,
        "true_std": true_std(grid[:, 0]),
        "wide": wide[:, 0],
        "wide_mean": on_wide.mean,
        "wide_std": on_wide.std,
        "wide_epistemic_std": epistemic_std,
        "data": (data["x"][:400, 0], data["y"][:400]),
        "test": (test["y"], prediction.mean, prediction.std, homo_mean, np.sqrt(sigma2)),
    }
    return summary, figures


def _diabetes(config, key) -> tuple[dict, dict]:
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import BayesianRidge
    from sklearn.model_selection import train_test_split

    d = config.diabetes
    x_all, y_all = load_diabetes(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x_all, y_all, test_size=d.test_fraction, random_state=d.split_seed
    )
    x_mean, x_std = x_train.mean(axis=0), x_train.std(axis=0)
    y_mean, y_std = y_train.mean(), y_train.std()
    dtype = jnp.asarray(0.0).dtype

    def standard(x, y):
        return {
            "x": jnp.asarray((x - x_mean) / x_std, dtype),
            "y": jnp.asarray((y - y_mean) / y_std, dtype),
        }

    data, test = standard(x_train, y_train), standard(x_test, y_test)
    fit_key, plain_key = jr.split(key)
    ensemble = _fit_ensemble(
        config, data, d.steps, d.learning_rate, fit_key, weight_decay=d.weight_decay
    ).model
    plain, sigma2 = _fit_homoscedastic(
        config, data, d.steps, d.learning_rate, plain_key, weight_decay=d.weight_decay
    )
    # scores in the target's own units (disease progression): y = y_mean + y_std * z
    y = jnp.asarray(y_test, dtype)
    prediction = _predict(ensemble, test["x"])
    ens_mean, ens_std = y_mean + y_std * prediction.mean, y_std * prediction.std
    homo_mean = y_mean + y_std * plain(test["x"].T)
    homo_std = jnp.full_like(homo_mean, y_std * np.sqrt(sigma2))
    ridge = BayesianRidge().fit(np.asarray(data["x"]), np.asarray(data["y"]))
    ridge_z, ridge_sz = ridge.predict(np.asarray(test["x"]), return_std=True)
    ridge_mean = jnp.asarray(y_mean + y_std * ridge_z, dtype)
    ridge_std = jnp.asarray(y_std * ridge_sz, dtype)
    models = {
        "ensemble": (ens_mean, ens_std),
        "homoscedastic MLP": (homo_mean, homo_std),
        "BayesianRidge": (ridge_mean, ridge_std),
    }
    summary = {"diabetes_num_train": len(y_train), "diabetes_num_test": len(y_test)}
    for label, key_name in zip(
        models, ("ensemble", "homoscedastic", "bayesian_ridge"), strict=True
    ):
        scores = _scores(y, *models[label])
        summary |= {f"diabetes_{name}_{key_name}": value for name, value in scores.items()}
    summary |= {
        "diabetes_aleatoric_fraction": float(
            jnp.mean(prediction.aleatoric) / jnp.mean(prediction.variance)
        ),
        "diabetes_epistemic_std_mean": float(y_std * jnp.mean(jnp.sqrt(prediction.epistemic))),
        "diabetes_aleatoric_std_mean": float(y_std * jnp.mean(jnp.sqrt(prediction.aleatoric))),
    }
    return summary, {"y": y, "models": models}


def run(config: Config, run) -> dict:
    toy_key, diabetes_key = jr.split(jr.key(config.seed))
    toy, toy_fig = _toy(config, toy_key)
    diabetes, diabetes_fig = _diabetes(config, diabetes_key)
    y, mean, std, homo_mean, homo_std = toy_fig["test"]
    predictive = {
        "toy: ensemble": (y, mean, std),
        "toy: homoscedastic MLP": (y, homo_mean, jnp.full_like(homo_mean, homo_std)),
    }
    for label, (m, s) in diabetes_fig["models"].items():
        predictive[f"diabetes: {label}"] = (diabetes_fig["y"], m, s)
    coverage, reliability = {}, {}
    for label, (yy, m, s) in predictive.items():
        levels, coverage[label] = uq.gaussian_coverage_curve(yy, m, s)
        _, reliability[label] = uq.quantile_calibration_curve(yy, m, s)
    summary = {
        "members": config.ensemble.members,
        **toy,
        **diabetes,
        "coverage_error_toy_ensemble": float(
            uq.calibration_error(levels, coverage["toy: ensemble"])
        ),
        "coverage_error_diabetes_ensemble": float(
            uq.calibration_error(levels, coverage["diabetes: ensemble"])
        ),
    }
    if run is not None:
        run.save_npz(
            "prediction",
            x=toy_fig["grid"],
            learned_std=toy_fig["learned_std"],
            true_std=toy_fig["true_std"],
            x_wide=toy_fig["wide"],
            mean_wide=toy_fig["wide_mean"],
            std_wide=toy_fig["wide_std"],
            epistemic_std_wide=toy_fig["wide_epistemic_std"],
        )
        run.save_figure(
            plot_curves(
                toy_fig["grid"],
                {"ensemble aleatoric std": toy_fig["learned_std"]},
                reference=("true noise std", toy_fig["true_std"]),
                labels=("x", "std"),
                title="toy: learned vs true noise",
            ),
            "toy_std",
        )
        run.save_figure(
            plot_predictive_band(
                toy_fig["wide"],
                toy_fig["wide_mean"],
                toy_fig["wide_std"],
                reference=jnp.sin(2.0 * toy_fig["wide"]),
                data={"training data (400 shown)": toy_fig["data"]},
                title="toy: ensemble predictive (data on [-1, 1])",
            ),
            "toy_prediction",
        )
        run.save_figure(
            plot_coverage_curve(levels, coverage, title="ensemble regression: coverage"),
            "coverage_curve",
        )
        run.save_figure(
            plot_reliability_diagram(
                levels,
                reliability,
                labels=("quantile level", "observed fraction below"),
                title="ensemble regression: reliability",
            ),
            "reliability_diagram",
        )
    return summary
