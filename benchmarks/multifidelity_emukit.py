"""Our multi-fidelity GPs against emukit 0.5.1 (GPy) on the same data, side by side.

For each shipped config (`multifidelity_forrester`, `multifidelity_nonlinear`) both sides
see the same nested design (`experiments/multifidelity_gp.design`) and are scored on the
same 1000 test points: test RMSE of the single-fidelity GP, AR1 (emukit's
`GPyLinearMultiFidelityModel`) and NARGP (emukit's `NonLinearMultiFidelityModel`), and the
wall time of each fit + predict. emukit is set up as in its multi-fidelity tutorials:
RBF kernels, noise fixed at zero (the data are noise-free), restarts of L-BFGS-B.
Prints one JSON line.

    .venv/bin/python benchmarks/multifidelity_emukit.py   # needs the `bench` extra (emukit[gpy])
"""

import argparse
import json
import time
import warnings

import jax

jax.config.update("jax_enable_x64", True)

import GPy  # noqa: E402
import numpy as np  # noqa: E402
from emukit.model_wrappers.gpy_model_wrappers import GPyMultiOutputWrapper  # noqa: E402
from emukit.multi_fidelity.convert_lists_to_array import (  # noqa: E402
    convert_x_list_to_array,
    convert_xy_lists_to_arrays,
)
from emukit.multi_fidelity.kernels import LinearMultiFidelityKernel  # noqa: E402
from emukit.multi_fidelity.models import GPyLinearMultiFidelityModel  # noqa: E402
from emukit.multi_fidelity.models.non_linear_multi_fidelity_model import (  # noqa: E402
    NonLinearMultiFidelityModel,
    make_non_linear_kernels,
)

from sciml_jax.config import load_yaml, parse_config  # noqa: E402
from sciml_jax.workflow import load_experiment  # noqa: E402

CONFIGS = ("configs/multifidelity_forrester.yaml", "configs/multifidelity_nonlinear.yaml")


def _rmse(mean, truth) -> float:
    return float(np.sqrt(np.mean((np.ravel(mean) - np.ravel(truth)) ** 2)))


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def emukit_single(x_high, y_high, x, restarts):
    model = GPy.models.GPRegression(x_high[:, None], y_high[:, None], GPy.kern.RBF(1))
    model.Gaussian_noise.variance.fix(0.0)
    model.optimize_restarts(restarts, verbose=False)
    return model.predict(x[:, None])[0]


def emukit_ar1(x_low, y_low, x_high, y_high, x, restarts):
    X, Y = convert_xy_lists_to_arrays(
        [x_low[:, None], x_high[:, None]], [y_low[:, None], y_high[:, None]]
    )
    kernel = LinearMultiFidelityKernel([GPy.kern.RBF(1), GPy.kern.RBF(1)])
    gpy_model = GPyLinearMultiFidelityModel(X, Y, kernel, n_fidelities=2)
    gpy_model.mixed_noise.Gaussian_noise.fix(0)
    gpy_model.mixed_noise.Gaussian_noise_1.fix(0)
    model = GPyMultiOutputWrapper(
        gpy_model, 2, n_optimization_restarts=restarts, verbose_optimization=False
    )
    model.optimize()
    X_test = convert_x_list_to_array([x[:, None], x[:, None]])[len(x) :]
    return model.predict(X_test)[0]


def emukit_nargp(x_low, y_low, x_high, y_high, x, restarts):
    X, Y = convert_xy_lists_to_arrays(
        [x_low[:, None], x_high[:, None]], [y_low[:, None], y_high[:, None]]
    )
    kernels = make_non_linear_kernels(GPy.kern.RBF, 2, X.shape[1] - 1)
    model = NonLinearMultiFidelityModel(
        X, Y, n_fidelities=2, kernels=kernels, verbose=False, optimization_restarts=restarts
    )
    for m in model.models:
        m.Gaussian_noise.variance.fix(0)
    model.optimize()
    X_test = convert_x_list_to_array([x[:, None], x[:, None]])[len(x) :]
    return model.predict(X_test)[0]


def compare(path: str, restarts: int) -> dict:
    experiment = load_experiment("multifidelity_gp")
    config = parse_config(experiment.Config, load_yaml(path), source=path)
    summary, ours_s = _timed(lambda: experiment.run(config, None))
    x_low, y_low, x_high, y_high, x, truth = (np.asarray(a) for a in experiment.design(config))
    row = {"config": path, "ours_fit_predict_s": ours_s}
    for key in ("single", "ar1", "nargp"):
        row[f"ours_rmse_{key}"] = summary[f"rmse_{key}"]
    fits = {
        "single": lambda: emukit_single(x_high, y_high, x, restarts),
        "ar1": lambda: emukit_ar1(x_low, y_low, x_high, y_high, x, restarts),
        "nargp": lambda: emukit_nargp(x_low, y_low, x_high, y_high, x, restarts),
    }
    total = 0.0
    for key, fit in fits.items():
        np.random.seed(0)  # GPy's restarts draw from numpy's global generator
        mean, seconds = _timed(fit)
        row[f"emukit_rmse_{key}"] = _rmse(mean, truth)
        total += seconds
    row["emukit_fit_predict_s"] = total
    for side in ("ours", "emukit"):
        best = min(row[f"{side}_rmse_ar1"], row[f"{side}_rmse_nargp"])
        row[f"{side}_rmse_ratio_best"] = best / row[f"{side}_rmse_single"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--restarts", type=int, default=8, help="emukit optimiser restarts (ours: the config's)"
    )
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GPy's overflow warnings during restarts
        rows = [compare(path, args.restarts) for path in CONFIGS]
    print(json.dumps({"benchmark": "multifidelity_emukit", "rows": rows}))


if __name__ == "__main__":
    main()
