"""Descriptor workflows of seed 002 on real data: Goldschmidt tolerance factors of known
ABX3 compounds from Shannon radii, composition-weighted element properties, a power law
fitted by log-linear regression, DBSCAN of QM9 molecules by their Coulomb-matrix spectra,
and exact Shapley attributions of two QM9 U0 models.

1. **Perovskites.** `t = (r_A + r_X) / (sqrt(2) (r_B + r_X))` (Shannon 1976 radii from
   `mendeleev`; A at XII or the nearest tabulated coordination, B and X at VI) for the
   compounds in `COMPOUNDS`, with their observed room-temperature structure; a compound is
   classified perovskite if `perovskites.window[0] <= t <= window[1]`. Each also gets its
   composition features (stoichiometry-weighted mean, variance, min, max of element
   properties), written to `perovskites.csv`.
2. **Power law.** Static dipole polarizability against covalent radius (Pyykko) of the
   elements up to `power_law.max_atomic_number`, `alpha = c r^k` by least squares on
   `log alpha = k log r + log c`; a polarisable sphere has `k = 3`.
3. **DBSCAN.** A seeded random sample of QM9, each molecule described by its 29 Coulomb
   eigenvalues (`nn.coulomb_matrix_eigenvalues`), clustered at each `qm9_clusters.eps`;
   per eps: clusters, noise fraction, and purity in chemical formula and heavy-atom count
   (the fraction of clustered molecules sharing their cluster's commonest value).
4. **Shapley.** Features: the counts of H, C, N, O, F and the `shapley.n_eigenvalues`
   largest Coulomb eigenvalues, on `data.qm9_split` (the seeded
   permutation `configs/qm9_u0.yaml` uses, cut at smaller sizes). Models of U0: ridge
   regression (linear), and per-element reference energies plus Gaussian kernel ridge
   regression of the rest (width and ridge chosen on validation). Exact interventional
   Shapley values of `shapley.n_explain` test molecules against `shapley.n_background`
   training molecules, checked by efficiency (`sum phi = f(x) - E f(background)`) and, for
   ridge, against `w_i (x_i - E x_i)`.
"""

import csv
import io
import time
from collections import Counter
from dataclasses import dataclass

import jax
import numpy as np

from sciml_jax import analysis, data, nn
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.viz import plot_clusters_and_shapley, plot_tolerance_and_power_law

DESCRIPTION = "Tolerance factors, composition features, power law, QM9 DBSCAN and Shapley"

# formula: (observed structure at room temperature, is it a perovskite, charges or None).
# Structures: R. H. Mitchell, "Perovskites: Modern and Ancient" (2002); the 2H hexagonal
# BaNiO3 type: J. J. Lander, Acta Cryst. 4, 148 (1951). Charges where Shannon's ions allow
# several neutral combinations. MgTiO3, FeTiO3, MnTiO3 and ZnTiO3 are ilmenites that the
# XII convention (their A radii fall back to VIII) puts inside the window: misses of the
# rule, kept in the table and counted in the accuracy.
COMPOUNDS = {
    "SrTiO3": ("cubic perovskite", True, None),
    "BaTiO3": ("tetragonal perovskite", True, None),
    "CaTiO3": ("orthorhombic perovskite", True, None),
    "PbTiO3": ("tetragonal perovskite", True, (2, 4, -2)),
    "KNbO3": ("orthorhombic perovskite", True, None),
    "NaNbO3": ("orthorhombic perovskite", True, None),
    "KTaO3": ("cubic perovskite", True, None),
    "LaAlO3": ("rhombohedral perovskite", True, None),
    "LaFeO3": ("orthorhombic perovskite", True, None),
    "LaMnO3": ("orthorhombic perovskite", True, None),
    "GdFeO3": ("orthorhombic perovskite", True, None),
    "YAlO3": ("orthorhombic perovskite", True, None),
    "NdGaO3": ("orthorhombic perovskite", True, None),
    "BiFeO3": ("rhombohedral perovskite", True, None),
    "BaZrO3": ("cubic perovskite", True, None),
    "SrZrO3": ("orthorhombic perovskite", True, None),
    "CaZrO3": ("orthorhombic perovskite", True, None),
    "BaSnO3": ("cubic perovskite", True, None),
    "KMgF3": ("cubic perovskite", True, None),
    "CsPbBr3": ("orthorhombic perovskite", True, None),
    "NiTiO3": ("ilmenite", False, (2, 4, -2)),
    "NiMnO3": ("ilmenite", False, (2, 4, -2)),
    "MgTiO3": ("ilmenite", False, (2, 4, -2)),
    "FeTiO3": ("ilmenite", False, (2, 4, -2)),
    "MnTiO3": ("ilmenite", False, (2, 4, -2)),
    "ZnTiO3": ("ilmenite", False, (2, 4, -2)),
    "BaNiO3": ("2H hexagonal", False, None),
    "BaMnO3": ("2H hexagonal", False, None),
    "CsNiF3": ("2H hexagonal", False, None),
}
COMPOSITION_PROPERTIES = ("en_pauling", "atomic_weight", "covalent_radius_pyykko")
ELEMENTS = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}


@dataclass(frozen=True)
class PerovskiteConfig:
    window: tuple[float, ...] = spec((0.80, 1.065), doc="(low, high): perovskite if inside")
    a_coordination: str = spec("XII", doc="Roman numeral; missing ones fall back to the nearest")


@dataclass(frozen=True)
class PowerLawConfig:
    x_property: str = spec("covalent_radius_pyykko", doc="a mendeleev elements column")
    y_property: str = spec("dipole_polarizability", doc="a mendeleev elements column")
    max_atomic_number: int = spec(86, ge=2)


@dataclass(frozen=True)
class ClusterConfig:
    n_molecules: int = spec(3000, ge=10, doc="a seeded random sample of QM9")
    eps: tuple[float, ...] = spec((2.0, 3.0, 4.0, 5.0, 6.0, 8.0), gt=0.0, doc="DBSCAN radii")
    min_samples: int = spec(3, ge=1)


@dataclass(frozen=True)
class ShapleyConfig:
    n_train: int = spec(2000, ge=10)
    n_val: int = spec(500, ge=1)
    n_test: int = spec(1000, ge=1)
    split_seed: int = spec(0, ge=0, doc="the permutation of data.qm9_split")
    n_eigenvalues: int = spec(3, ge=1, le=11, doc="largest Coulomb eigenvalues as features")
    ridge: float = spec(
        1e-8, gt=0.0, doc="x n_train, on standardised features; the features are collinear"
    )
    sigma_scales: tuple[float, ...] = spec((1.0, 2.0, 4.0, 8.0), gt=0.0, doc="x median distance")
    lambdas: tuple[float, ...] = spec((1e-8, 1e-6, 1e-4, 1e-2), gt=0.0, doc="KRR ridge, K_ii = 1")
    n_background: int = spec(50, ge=1, doc="training molecules forming the baseline")
    n_explain: int = spec(20, ge=1, doc="test molecules explained")


@dataclass(frozen=True)
class ProblemConfig:
    limit: int | None = spec(None, ge=1, doc="read only the first rows of QM9 (tests)")


Config = wf.experiment_config(
    problem=ProblemConfig,
    perovskites=PerovskiteConfig,
    power_law=PowerLawConfig,
    qm9_clusters=ClusterConfig,
    shapley=ShapleyConfig,
)


def _perovskites(c: PerovskiteConfig):
    if len(c.window) != 2 or not c.window[0] < c.window[1]:
        raise ValueError(f"perovskites.window={list(c.window)} must be [low, high], low < high.")
    rows = []
    for formula, (structure, is_perovskite, charges) in COMPOUNDS.items():
        coordinations = (c.a_coordination, "VI", "VI")
        a, b, x = analysis.perovskite_radii(formula, charges=charges, coordinations=coordinations)
        t = analysis.goldschmidt_tolerance_factor(
            formula, charges=charges, coordinations=coordinations
        )
        predicted = c.window[0] <= t <= c.window[1]
        row = {
            "formula": formula,
            "structure": structure,
            "perovskite": is_perovskite,
            "t": t,
            "predicted_perovskite": predicted,
            **{f"r_{site}_pm": ion.radius_pm for site, ion in zip("ABX", (a, b, x), strict=True)},
            **{f"q_{site}": ion.charge for site, ion in zip("ABX", (a, b, x), strict=True)},
            "a_coordination_used": a.coordination,
        }
        row.update(analysis.composition_features(formula, COMPOSITION_PROPERTIES))
        rows.append(row)
    return rows


def _power_law(c: PowerLawConfig):
    from mendeleev.fetch import fetch_table

    table = fetch_table("elements")
    symbols, x, y = [], [], []
    for symbol in table.symbol[table.atomic_number <= c.max_atomic_number]:
        try:
            xz = analysis.element_property(symbol, c.x_property)
            yz = analysis.element_property(symbol, c.y_property)
        except ValueError:  # not tabulated for this element
            continue
        symbols.append(symbol)
        x.append(xz)
        y.append(yz)
    x, y = np.array(x), np.array(y)
    k, const = analysis.fit_convergence_order(x, y)
    log_residual = np.log(y) - np.log(const * x**k)
    r2 = 1.0 - np.var(log_residual) / np.var(np.log(y))
    return symbols, x, y, k, const, float(r2)


def _coulomb_spectra(qm9, batch_size=4096):
    fn = jax.jit(jax.vmap(nn.coulomb_matrix_eigenvalues))
    parts = [
        np.asarray(
            fn(qm9.atomic_numbers[s], qm9.positions[s], qm9.node_mask[s]),
            np.float64,
        )
        for s in (slice(i, i + batch_size) for i in range(0, len(qm9), batch_size))
    ]
    return np.concatenate(parts)


def _counts(atomic_numbers):
    return np.stack([(atomic_numbers == z).sum(1) for z in ELEMENTS.values()], 1).astype(float)


def _clusters(qm9, c: ClusterConfig, seed: int):
    n = min(c.n_molecules, len(qm9))
    sample = qm9.take(np.sort(np.random.default_rng(seed).choice(len(qm9), n, replace=False)))
    spectra = _coulomb_spectra(sample)
    formulas = [tuple(row) for row in _counts(sample.atomic_numbers).astype(int)]
    heavy = list((sample.atomic_numbers > 1).sum(1))
    results = []
    for eps in c.eps:
        labels, is_core = analysis.dbscan_clusters(spectra, eps=eps, min_samples=c.min_samples)
        n_clusters = int(labels.max() + 1)
        result = {
            "eps": eps,
            "n_clusters": n_clusters,
            "noise_fraction": float(np.mean(labels == -1)),
            "largest_cluster": int(np.bincount(labels[labels >= 0]).max()) if n_clusters else 0,
        }
        if n_clusters:
            result["formula_purity"] = analysis.cluster_purity(labels, formulas)
            result["heavy_atom_purity"] = analysis.cluster_purity(labels, heavy)
        results.append(result)
    majority = Counter(heavy).most_common(1)[0][1] / n  # purity of a single cluster of all
    return n, results, majority


def _standardise(x, mean, scale):
    return (x - mean) / scale


def _sq_distances(a, b):
    """`|a_i - b_j|^2`, one feature at a time: every entry is computed by the same
    operations whatever the number of rows, unlike a BLAS product (see `_rowwise_dot`)."""
    out = np.zeros((len(a), len(b)))
    for j in range(a.shape[1]):
        out += (a[:, j, None] - b[None, :, j]) ** 2
    return out


def _rowwise_dot(a, w):
    """`a @ w` as a row-by-row sum: a prediction does not depend on the rows predicted
    with it. A BLAS product does (its blocking depends on the shape), by up to 1e-8 eV
    for a kernel model with large weights, which would hide the exactness of Shapley
    efficiency, `sum phi = f(x) - E f(background)`, behind the model's own round-off."""
    return (a * w).sum(axis=1)


def _shapley(qm9, c: ShapleyConfig):
    split = data.qm9_split(len(qm9), c.n_train, n_val=c.n_val, n_test=c.n_test, seed=c.split_seed)
    parts = {name: qm9.take(rows) for name, rows in split.items()}
    features = {
        name: np.concatenate(
            [_counts(m.atomic_numbers), _coulomb_spectra(m)[:, : c.n_eigenvalues]], 1
        )
        for name, m in parts.items()
    }
    names = [f"n_{s}" for s in ELEMENTS] + [f"coulomb_eig_{i + 1}" for i in range(c.n_eigenvalues)]
    y = {name: m.u0_eV for name, m in parts.items()}
    x_train = features["train"]
    mean, scale = x_train.mean(0), x_train.std(0)
    scale = np.where(scale > 0, scale, 1.0)  # no fluorine in a small sample

    # Ridge: U0 = w . x + b on standardised x (the intercept unpenalised).
    z = _standardise(x_train, mean, scale)
    zc, yc = z - z.mean(0), y["train"] - y["train"].mean()
    beta = np.linalg.solve(zc.T @ zc + c.ridge * len(z) * np.eye(z.shape[1]), zc.T @ yc)
    w = beta / scale
    b0 = y["train"].mean() - (z.mean(0) * scale + mean) @ w

    def ridge(x):
        return _rowwise_dot(x, w) + b0

    # KRR: per-element reference energies (least squares on the counts) + a Gaussian kernel
    # model of the rest, width and ridge chosen on validation.
    design = np.concatenate([x_train[:, : len(ELEMENTS)], np.ones((len(x_train), 1))], 1)
    reference = np.linalg.lstsq(design, y["train"], rcond=None)[0]

    def composition(x):
        return _rowwise_dot(x[:, : len(ELEMENTS)], reference[:-1]) + reference[-1]

    residual = y["train"] - composition(x_train)
    z_val = _standardise(features["val"], mean, scale)
    d_train, d_val = _sq_distances(z, z), _sq_distances(z_val, z)
    median = float(np.sqrt(np.median(d_train[np.triu_indices(len(z), 1)])))
    best = None
    for s in c.sigma_scales:
        sigma = s * median
        gram, k_val = np.exp(-d_train / (2 * sigma**2)), np.exp(-d_val / (2 * sigma**2))
        for lam in c.lambdas:
            alpha = np.linalg.solve(gram + lam * np.eye(len(z)), residual)
            val_mae = float(
                np.mean(np.abs(composition(features["val"]) + k_val @ alpha - y["val"]))
            )
            if best is None or val_mae < best[0]:
                best = (val_mae, sigma, lam, alpha)
    _, sigma, lam, alpha = best

    def krr(x):
        d = _sq_distances(_standardise(x, mean, scale), z)
        return composition(x) + _rowwise_dot(np.exp(-d / (2 * sigma**2)), alpha)

    background = x_train[: c.n_background]
    explain = features["test"][: c.n_explain]
    out = {
        "features": names,
        "krr_sigma": sigma,
        "krr_lambda": lam,
        "composition_test_mae_meV": 1e3
        * float(np.mean(np.abs(composition(features["test"]) - y["test"]))),
    }
    attributions = {}
    for label, model in (("ridge", ridge), ("krr", krr)):
        start = time.perf_counter()
        values, base = analysis.exact_shapley_values(model, explain, background, batch_size=8192)
        seconds = time.perf_counter() - start
        efficiency = np.abs(values.sum(1) + base - model(explain))
        out[f"{label}_test_mae_meV"] = 1e3 * float(
            np.mean(np.abs(model(features["test"]) - y["test"]))
        )
        out[f"{label}_efficiency_max_abs_eV"] = float(efficiency.max())
        out[f"{label}_efficiency_max_rel"] = float(
            (efficiency / np.abs(model(explain) - base)).max()
        )
        out[f"{label}_expected_value_eV"] = base
        out[f"{label}_shapley_seconds"] = seconds
        out[f"{label}_mean_abs_shapley_eV"] = dict(
            zip(names, np.abs(values).mean(0).tolist(), strict=True)
        )
        attributions[label] = values
    linear = w * (explain - background.mean(0))
    out["ridge_linear_rule_max_abs_eV"] = float(np.abs(attributions["ridge"] - linear).max())
    return out, attributions, names


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue()


def run(config: Config, run) -> dict:
    start = time.perf_counter()
    rows = _perovskites(config.perovskites)
    power = _power_law(config.power_law)
    qm9 = data.load_qm9(limit=config.problem.limit)
    n_sampled, clusters, majority = _clusters(qm9, config.qm9_clusters, config.seed)
    shapley, attributions, names = _shapley(qm9, config.shapley)

    correct = [r["perovskite"] == r["predicted_perovskite"] for r in rows]
    summary = {
        "tolerance_factor": {r["formula"]: r["t"] for r in rows},
        "tolerance_classification_accuracy": float(np.mean(correct)),
        "tolerance_misclassified": [
            r["formula"] for r, ok in zip(rows, correct, strict=True) if not ok
        ],
        "composition_SrTiO3": analysis.composition_features("SrTiO3", COMPOSITION_PROPERTIES),
        "composition_Ba0.5Sr0.5TiO3": analysis.composition_features(
            "Ba0.5Sr0.5TiO3", COMPOSITION_PROPERTIES
        ),
        "power_law": {
            "x": config.power_law.x_property,
            "y": config.power_law.y_property,
            "n_elements": len(power[0]),
            "exponent": power[3],
            "constant": power[4],
            "r2_log": power[5],
        },
        "qm9_clusters": {
            "n_molecules": n_sampled,
            "min_samples": config.qm9_clusters.min_samples,
            "heavy_atom_majority_fraction": majority,
            "by_eps": clusters,
        },
        "shapley": shapley,
        "minutes": (time.perf_counter() - start) / 60,
    }
    if run is not None:
        (run.path / "perovskites.csv").write_text(_csv(rows))
        run.save_npz(
            "shapley",
            features=np.array(names),
            **{f"{label}_values": v for label, v in attributions.items()},
        )
        symbols, x, y, k, const, r2 = power
        tolerance = {r["formula"]: (r["t"], r["perovskite"]) for r in rows}
        figure = plot_tolerance_and_power_law(
            tolerance,
            config.perovskites.window,
            symbols,
            x,
            y,
            exponent=k,
            constant=const,
            r2_log=r2,
        )
        run.save_figure(figure, "perovskites_power_law")
        scan = [[r[key] for r in clusters] for key in ("eps", "n_clusters", "noise_fraction")]
        figure = plot_clusters_and_shapley(*scan, names, attributions)
        run.save_figure(figure, "qm9_clusters_shapley")
    return summary
