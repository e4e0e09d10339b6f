"""QM9 U0 learning curve: an invariant (SchNet) and an equivariant (PaiNN) network at
nested training sizes on one fixed split, scored on the same 10,000 test molecules.

U0 is learned as per-element reference energies (least squares on the element counts of
the training molecules) plus the network's sum of per-atom terms, so the network learns
the atomisation part. Energies only: QM9 has no forces. `prediction.npz` holds, for every
test molecule, its QM9 `Index` (`qm9_index`) and the predicted total U0 in eV (`u0_eV`)
of the first model at the largest size.
"""

import dataclasses
import time
from dataclasses import dataclass

import jax.random as jr
import numpy as np

from sciml_jax import data, potentials
from sciml_jax import workflow as wf
from sciml_jax.config import spec
from sciml_jax.viz import plot_learning_curves, plot_parity

DESCRIPTION = "QM9 U0: SchNet and PaiNN learning curves on a fixed split (CPU budget)"

ELEMENTS = (1, 6, 7, 8, 9)  # H C N O F


@dataclass(frozen=True)
class ProblemConfig:
    train_sizes: tuple[int, ...] = spec((1000, 5000, 20000), doc="nested training sets")
    steps: tuple[int, ...] = spec((3000, 6000, 12000), doc="optimizer steps per size")
    n_val: int = spec(1000, ge=1)
    n_test: int = spec(10_000, ge=1)
    split_seed: int = spec(0, ge=0, doc="the permutation of qm9_split")
    limit: int | None = spec(None, ge=1, doc="read only the first rows of QM9 (tests)")


@dataclass(frozen=True)
class ModelConfig:
    kinds: tuple[str, ...] = spec(("schnet", "painn"), doc="models of the curve, in order")
    cutoff: float = spec(5.0, gt=0.0, doc="Å")
    features: int = spec(64, ge=1)
    interactions: int = spec(3, ge=1)
    batch_size: int = spec(32, ge=1, doc="molecules per step")


Config = wf.experiment_config(problem=ProblemConfig, model=ModelConfig)


def _graphs(qm9, rows, cutoff, species_of):
    part = qm9.take(rows)
    return potentials.build_graphs(
        part.positions,
        species_of(part.atomic_numbers),
        part.node_mask,
        cutoff,
        energy=part.u0_eV,
    )


def _train_config_for(train, steps: int):
    """`train` for a run of `steps`, its cosine decay stretched over exactly that run."""
    schedule = train.optimizer.schedule
    if schedule.name == "warmup_cosine":
        decay = max(1, steps - schedule.warmup_steps)
        schedule = dataclasses.replace(schedule, decay_steps=decay)
    optimizer = dataclasses.replace(train.optimizer, schedule=schedule)
    return dataclasses.replace(train, steps=steps, optimizer=optimizer)


def run(config: Config, run) -> dict:
    p, m = config.problem, config.model
    if len(p.steps) != len(p.train_sizes):
        raise ValueError(
            f"problem.steps has {len(p.steps)} entries for {len(p.train_sizes)} train_sizes; "
            "give one step count per training size."
        )
    qm9 = data.load_qm9(limit=p.limit)
    largest = max(p.train_sizes)
    split = data.qm9_split(len(qm9), largest, n_val=p.n_val, n_test=p.n_test, seed=p.split_seed)
    hyper = {"features": m.features, "interactions": m.interactions}
    template = potentials.make_potential(m.kinds[0], ELEMENTS, cutoff=m.cutoff, key=jr.key(0))
    test = _graphs(qm9, split["test"], m.cutoff, template.species_of)
    val = _graphs(qm9, split["val"], m.cutoff, template.species_of)
    summary, curves, first = {}, {}, None
    for kind in m.kinds:
        curves[kind] = []
        for size, steps in zip(p.train_sizes, p.steps, strict=True):
            train = _graphs(qm9, split["train"][:size], m.cutoff, template.species_of)
            potential = potentials.make_potential(
                kind, ELEMENTS, cutoff=m.cutoff, key=jr.key(config.seed), **hyper
            )
            potential = potentials.with_statistics(potential, train)
            train_config = _train_config_for(config.train, steps)
            start = time.perf_counter()
            result = potentials.train_potential(
                potential,
                train,
                train_config,
                key=jr.key(config.seed + size),
                batch_size=min(m.batch_size, size),
                loss_fn=potentials.energy_force_loss(force_weight=0.0),
                validation=val,
            )
            minutes = (time.perf_counter() - start) / 60
            pred = potentials.predict_all(result.model, test, batch_size=256, forces=False)
            mae = 1e3 * float(np.mean(np.abs(pred["energy"] - np.asarray(test.energy))))
            curves[kind].append(mae)
            summary[f"{kind}_{size}_test_mae_meV"] = mae
            summary[f"{kind}_{size}_train_minutes"] = minutes
            if first is None and size == largest:
                first = (kind, result.model, pred["energy"])
    kind, model, u0 = first
    species, mask = np.asarray(test.species), np.asarray(test.node_mask)
    composition = (np.asarray(model.reference_energies)[species] * mask).sum(axis=1)
    potentials.save_potential(run.path, model, kind=kind, hyperparameters=hyper)
    run.save_npz("prediction", qm9_index=qm9.index[split["test"]], u0_eV=u0)
    reference = np.asarray(test.energy)
    run.save_figure(
        plot_learning_curves(list(p.train_sizes), curves, ylabel="test MAE U0 (meV)"),
        "learning_curve",
    )
    run.save_figure(
        plot_parity(
            {"U0 - composition": (reference - composition, u0 - composition, "eV")},
            title=f"{kind}, {largest} training molecules",
        ),
        "parity",
    )
    summary["test_molecules"] = len(test)
    summary["train_sizes"] = list(p.train_sizes)
    return summary
