"""Training a potential on energies, forces and stresses with the package's engine.

The loss per minibatch of configurations is

$$ L = w_E \\Big\\langle \\Big(\\frac{E - \\hat E}{N}\\Big)^2 \\Big\\rangle
     + w_F \\frac{\\sum_{i\\,\\text{real}} |F_i - \\hat F_i|^2}{3 N_{\\text{real}}}
     + w_\\sigma \\langle |\\sigma - \\hat\\sigma|^2 / 9 \\rangle , $$

each term divided by the potential's `scale^2` (so O(1) at the start whatever the
units). The energy error is per atom, so cells of different sizes weigh alike; padded
atoms count in neither the force sum nor `N`. Validation metrics are in the units
people quote: meV/atom and meV for energies, meV/Å for forces, meV/Å^3 for stress.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..sampling import MinibatchSampler
from ..train import fit
from ._graphs import AtomsGraphs
from ._potential import Potential, predict_batch


def energy_force_loss(
    *, energy_weight: float = 1.0, force_weight: float = 1.0, stress_weight: float = 0.0
):
    """`loss_fn(potential, batch, key) -> {"energy", "forces"[, "stress"]}` for `fit`."""
    if min(energy_weight, force_weight, stress_weight) < 0 or (
        energy_weight + force_weight + stress_weight == 0
    ):
        raise ValueError(
            f"loss weights energy={energy_weight}, forces={force_weight}, stress={stress_weight}"
            " must be >= 0 and not all 0."
        )

    def loss_fn(potential: Potential, batch: AtomsGraphs, key):
        del key
        use_forces, use_stress = force_weight > 0, stress_weight > 0
        pred = predict_batch(potential, batch, forces=use_forces, stress=use_stress)
        unit = potential.scale**2
        terms = {}
        n_atoms = batch.n_atoms
        if energy_weight > 0:
            per_atom = (pred["energy"] - batch.energy) / n_atoms
            terms["energy"] = energy_weight * jnp.mean(per_atom**2) / unit
        if use_forces:
            error = jnp.sum((pred["forces"] - batch.forces) ** 2, axis=-1)
            real = batch.node_mask
            terms["forces"] = force_weight * jnp.sum(error * real) / (3 * real.sum() * unit)
        if use_stress:
            volume = jnp.abs(jnp.linalg.det(batch.cells))
            # (eV/Å^3 * Å^3 / atom)^2: stress error as an energy per atom, on the energy scale
            error = (pred["stress"] - batch.stress) * (volume / n_atoms)[:, None, None]
            terms["stress"] = stress_weight * jnp.mean(error**2) / unit
        return terms

    return loss_fn


_predict = eqx.filter_jit(predict_batch)


def predict_all(
    potential: Potential,
    graphs: AtomsGraphs,
    *,
    batch_size: int = 16,
    forces: bool = True,
    stress: bool = False,
):
    """`predict_batch` over a whole set in jitted chunks of `batch_size` (the last chunk
    padded by repetition, so one compiled shape serves every chunk); numpy arrays."""
    m = len(graphs)
    size = min(batch_size, m)
    parts = []
    for start in range(0, m, size):
        index = np.arange(start, start + size) % m
        out = _predict(potential, graphs.take(index), forces=forces, stress=stress)
        keep = min(size, m - start)
        parts.append({k: np.asarray(v)[:keep] for k, v in out.items()})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def error_metrics(potential: Potential, graphs: AtomsGraphs, *, batch_size: int = 16) -> dict:
    """Mean absolute errors against the labels of `graphs`, in meV, meV/Å and meV/Å^3."""
    has_stress = graphs.stress is not None and graphs.periodic
    pred = predict_all(potential, graphs, batch_size=batch_size, stress=has_stress)
    n_atoms = np.asarray(graphs.n_atoms)
    energy_error = pred["energy"] - np.asarray(graphs.energy)
    metrics = {
        "energy_mae_meV": 1e3 * float(np.mean(np.abs(energy_error))),
        "energy_mae_meV_per_atom": 1e3 * float(np.mean(np.abs(energy_error) / n_atoms)),
        "energy_rmse_meV_per_atom": 1e3 * float(np.sqrt(np.mean((energy_error / n_atoms) ** 2))),
    }
    if graphs.forces is not None:
        mask = np.asarray(graphs.node_mask)
        force_error = (pred["forces"] - np.asarray(graphs.forces))[mask]
        metrics["force_mae_meV_per_A"] = 1e3 * float(np.mean(np.abs(force_error)))
        metrics["force_rmse_meV_per_A"] = 1e3 * float(np.sqrt(np.mean(force_error**2)))
    if has_stress:
        stress_error = pred["stress"] - np.asarray(graphs.stress)
        metrics["stress_mae_meV_per_A3"] = 1e3 * float(np.mean(np.abs(stress_error)))
    return metrics


def statistics_frozen(potential: Potential):
    """A `frozen=` mask for `fit`: the fitted reference energies and scale stay fixed."""
    frozen = jax.tree.map(lambda _: False, potential)
    return eqx.tree_at(lambda p: (p.reference_energies, p.scale), frozen, (True, True))


def train_potential(
    potential: Potential,
    train: AtomsGraphs,
    config,
    *,
    key,
    batch_size: int,
    loss_fn=None,
    run=None,
    validation: AtomsGraphs | None = None,
):
    """Train `potential` on `train` with `sciml_jax.train.fit` (checkpoints, resume, NaN
    and divergence guards, progress bar); minibatches of `batch_size` configurations.

    `config` is a `TrainConfig`; with `validation` and `config.eval_every`, the error
    metrics of the validation set are logged. Reference energies and scale are held
    fixed (fit them first with `with_statistics`). Returns `fit`'s `FitResult`.
    """
    if train.energy is None:
        raise ValueError("the training graphs have no energy labels; build them with energy=.")
    loss_fn = energy_force_loss() if loss_fn is None else loss_fn
    eval_fn = None
    if validation is not None and config.eval_every is not None:
        eval_fn = lambda p: {f"val_{k}": v for k, v in error_metrics(p, validation).items()}
    return fit(
        potential,
        loss_fn,
        config,
        key=key,
        sampler=MinibatchSampler(train, batch_size),
        run=run,
        eval_fn=eval_fn,
        frozen=statistics_frozen(potential),
    )
