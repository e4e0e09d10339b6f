"""A MeshGraphNet emulator of 2D Navier-Stokes vorticity (the FNO's data, nu = 1e-3) on an
irregular periodic triangulation, against an FNO trained in the same run on the same split.

The trajectories are the FNO benchmark's (`data.navier_stokes_dataset`, snapshots every
time unit); each snapshot is resampled to the mesh nodes by its Fourier series, which is
exact for the pseudo-spectral solver's band-limited states. Both models are one-step
emulators with the same inputs and targets: the vorticity and the (fixed) forcing, each
divided by its training standard deviation, to the next snapshot's increment divided by the
increments' standard deviation, trained by the same optimizer and steps on the same
minibatches of (w_t, w_t+1) pairs from the training trajectories, with a mean-squared loss;
`input_noise` (per model) perturbs the training inputs as MeshGraphNets do. The GNN sees
node values and minimum-image edge displacements only; the FNO sees the grid (and, as the
FNO does, its coordinates).

Both are scored at the mesh nodes (the FNO's grid output is interpolated spectrally, as the
data are): the one-step relative L2 error of the next state over all test pairs, and the
nRMSE of `rollout_steps`-step rollouts from each test trajectory's first snapshot."""

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sciml_jax import workflow as wf
from sciml_jax.analysis import nrmse_per_step, rel_l2
from sciml_jax.config import spec
from sciml_jax.data import li_forcing, navier_stokes_dataset
from sciml_jax.geometry import jittered_points, periodic_triangulation
from sciml_jax.nn import (
    FNO,
    MeshGraph,
    MeshGraphNet,
    MeshIncrementStepper,
    relative_position_features,
)
from sciml_jax.ops import spectral_interpolate
from sciml_jax.sampling import MinibatchSampler
from sciml_jax.train import fit
from sciml_jax.viz import plot_histories, plot_mesh_rollout, plot_rollout_error

DESCRIPTION = "MeshGraphNet vs FNO on NS vorticity resampled to an irregular periodic mesh"


@dataclass(frozen=True)
class DataConfig:
    num_train: int = spec(32, ge=1, doc="training trajectories (all their one-step pairs)")
    num_test: int = spec(8, ge=1, doc="test trajectories")
    resolution: int = spec(32, ge=8, doc="grid the FNO sees and the mesh is resampled from")
    solve_points: int = spec(64, ge=8)
    viscosity: float = spec(1e-3, gt=0.0)
    dt: float = spec(1e-2, gt=0.0, doc="solver step")
    rollout_steps: int = spec(100, ge=1, doc="data up to T = rollout_steps, snapshots every 1")
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class MeshConfig:
    points_per_axis: int = spec(32, ge=3, doc="a jittered points_per_axis^2 lattice")
    jitter: float = spec(0.3, ge=0.0, lt=0.5, doc="in lattice spacings")
    seed: int = spec(0, ge=0)


@dataclass(frozen=True)
class GNNConfig:
    latent_size: int = spec(32, ge=1)
    num_blocks: int = spec(6, ge=1, doc="message-passing steps")
    mlp_depth: int = spec(1, ge=1, doc="hidden layers of every MLP")
    input_noise: float = spec(
        0.0, ge=0.0, doc="training-input noise in state std units (MeshGraphNets' stabiliser)"
    )


@dataclass(frozen=True)
class FNOConfig:
    width: int = spec(20, ge=1)
    modes: int = spec(12, ge=1)
    num_layers: int = spec(4, ge=1)
    input_noise: float = spec(0.0, ge=0.0, doc="training-input noise in state std units")


@dataclass(frozen=True)
class BatchConfig:
    batch_size: int = spec(16, ge=1, doc="one-step pairs per step, both models")


Config = wf.experiment_config(
    data=DataConfig, mesh=MeshConfig, gnn=GNNConfig, fno=FNOConfig, batch=BatchConfig
)


def _grid_points(n: int) -> np.ndarray:
    g = np.arange(n) / n
    return np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)


class _FNOIncrement(eqx.Module):
    """The FNO as the same one-step emulator: ``w + s_dw fno([w / s_w, f / s_f])`` on the grid."""

    net: FNO
    forcing: jax.Array  # (1, n, n), already divided by its scale
    state_scale: float = eqx.field(static=True)
    increment_scale: float = eqx.field(static=True)

    def __call__(self, w):  # (1, n, n)
        inputs = jnp.concatenate([w / self.state_scale, self.forcing])
        return w + self.increment_scale * self.net(inputs)

    def rollout(self, w, num_steps):
        def step(state, _):
            new = self(state)
            return new, new

        return jax.lax.scan(step, w, None, length=num_steps)[1]


def _parameter_count(model) -> int:
    return sum(x.size for x in jax.tree.leaves(eqx.filter(model, eqx.is_array)))


def run(config: Config, run) -> dict:
    d, m = config.data, config.mesh
    n = d.resolution
    w = jnp.asarray(
        navier_stokes_dataset(
            d.num_train + d.num_test,
            resolution=n,
            solve_points=d.solve_points,
            viscosity=d.viscosity,
            final_time=float(d.rollout_steps),
            dt=d.dt,
            seed=d.seed,
        )
    )  # (N, T + 1, 1, n, n)
    w_train, w_test = w[: d.num_train], w[d.num_train :]

    mesh = periodic_triangulation(jittered_points(m.points_per_axis, m.jitter, m.seed))
    points = jnp.asarray(mesh.points, dtype=w.dtype)
    on_mesh = jax.jit(lambda fields: spectral_interpolate(fields, points))
    node_train = jax.lax.map(on_mesh, w_train[:, :, 0])[..., None]  # (N, T + 1, nodes, 1)
    node_test = jax.lax.map(on_mesh, w_test[:, :, 0])[..., None]
    forcing_grid = li_forcing(n)  # (1, n, n)
    forcing_nodes = on_mesh(forcing_grid)[0][:, None]  # (nodes, 1)

    # the same normalisation for both models, from the training trajectories
    state_scale = float(jnp.std(w_train))
    increment_scale = float(jnp.std(w_train[:, 1:] - w_train[:, :-1]))
    forcing_scale = float(jnp.std(forcing_grid))
    graph = MeshGraph(
        jnp.asarray(mesh.senders),
        jnp.asarray(mesh.receivers),
        relative_position_features(jnp.asarray(mesh.displacements, dtype=w.dtype)),
    )

    def gnn_stepper(net):
        return MeshIncrementStepper(
            net, graph, forcing_nodes / forcing_scale, state_scale, increment_scale
        )

    def fno_stepper(net):
        return _FNOIncrement(net, forcing_grid / forcing_scale, state_scale, increment_scale)

    def pairs(trajectories):
        before = trajectories[:, :-1].reshape(-1, *trajectories.shape[2:])
        after = trajectories[:, 1:].reshape(-1, *trajectories.shape[2:])
        return {"u": before, "v": after}

    def increment_loss(make_stepper, input_noise):
        def loss_fn(net, batch, key):
            # a noisy input keeps the target v: the net learns to undo its own errors
            # (Pfaff et al. 2021, sec. 3), which steadies long rollouts
            u = batch["u"] + input_noise * state_scale * jr.normal(key, batch["u"].shape)
            predicted = jax.vmap(make_stepper(net))(u)
            return jnp.mean(((predicted - batch["v"]) / increment_scale) ** 2)

        return loss_fn

    gnn_key, fno_key, train_key = jr.split(jr.key(config.seed), 3)
    g = config.gnn
    gnn = MeshGraphNet(
        2,
        3,
        1,
        latent_size=g.latent_size,
        num_blocks=g.num_blocks,
        mlp_depth=g.mlp_depth,
        key=gnn_key,
    )
    f = config.fno
    fno = FNO(
        2, 1, width=f.width, modes=f.modes, num_layers=f.num_layers, num_spatial_dims=2, key=fno_key
    )

    fits = {}
    for name, net, make_stepper, trajectories, noise in (
        ("gnn", gnn, gnn_stepper, node_train, g.input_noise),
        ("fno", fno, fno_stepper, w_train, f.input_noise),
    ):
        # the same minibatch order for both: the same sampler key
        sampler = MinibatchSampler(pairs(trajectories), config.batch.batch_size)
        fits[name] = fit(
            net,
            increment_loss(make_stepper, noise),
            config.train,
            key=train_key,
            sampler=sampler,
            run=wf.sub_run(run, name),
        )
    gnn_model = gnn_stepper(fits["gnn"].model)
    fno_model = fno_stepper(fits["fno"].model)

    # one step, every test pair, scored at the mesh nodes
    test_pairs_nodes, test_pairs_grid = pairs(node_test), pairs(w_test)
    gnn_next = jax.jit(jax.vmap(gnn_model))(test_pairs_nodes["u"])
    fno_next_grid = jax.jit(jax.vmap(fno_model))(test_pairs_grid["u"])
    fno_next = jax.lax.map(on_mesh, fno_next_grid[:, 0], batch_size=64)[..., None]
    one_step = {
        "gnn": jnp.mean(jax.vmap(rel_l2)(gnn_next, test_pairs_nodes["v"])),
        "fno": jnp.mean(jax.vmap(rel_l2)(fno_next, test_pairs_nodes["v"])),
        "fno_grid": jnp.mean(jax.vmap(rel_l2)(fno_next_grid, test_pairs_grid["v"])),
        "persistence": jnp.mean(jax.vmap(rel_l2)(test_pairs_nodes["u"], test_pairs_nodes["v"])),
    }

    # rollouts from each test trajectory's first snapshot
    steps = d.rollout_steps
    gnn_roll = jax.jit(jax.vmap(lambda u0: gnn_model.rollout(u0, steps)))(node_test[:, 0])
    fno_roll_grid = jax.jit(jax.vmap(lambda w0: fno_model.rollout(w0, steps)))(w_test[:, 0])
    fno_roll = jax.lax.map(on_mesh, fno_roll_grid[:, :, 0])[..., None]
    reference = node_test[:, 1:]
    curves = {
        "MeshGraphNet": jnp.mean(jax.vmap(nrmse_per_step)(gnn_roll, reference), axis=0),
        "FNO": jnp.mean(jax.vmap(nrmse_per_step)(fno_roll, reference), axis=0),
    }

    shown = sorted({0, steps // 10, steps // 2, steps - 1})
    fields = {
        "reference": np.asarray(reference[0, :, :, 0]),
        "MeshGraphNet": np.asarray(gnn_roll[0, :, :, 0]),
        "FNO": np.asarray(fno_roll[0, :, :, 0]),
    }
    if run is not None:
        run.save_figure(
            plot_mesh_rollout(mesh.triangle_vertices(), mesh.triangles, fields, shown),
            "rollout_mesh",
        )
        run.save_figure(plot_rollout_error({k: np.asarray(c) for k, c in curves.items()}), "nrmse")
        histories = {"MeshGraphNet": fits["gnn"].history, "FNO": fits["fno"].history}
        run.save_figure(plot_histories(histories, "loss"), "loss")
        run.save_npz(
            "rollouts",
            points=mesh.points,
            triangles=mesh.triangles,
            reference=np.asarray(reference[..., 0]),
            gnn=np.asarray(gnn_roll[..., 0]),
            fno=np.asarray(fno_roll[..., 0]),
        )
    summary = {
        "num_nodes": mesh.num_nodes,
        "num_edges": int(mesh.senders.shape[0]),
        "num_triangles": int(mesh.triangles.shape[0]),
        "rollout_steps": steps,
        "num_train_pairs": int(node_train.shape[0] * steps),
        "num_test_trajectories": d.num_test,
        "persistence_one_step_rel_l2": float(one_step["persistence"]),
    }
    for key, label in (("gnn", "MeshGraphNet"), ("fno", "FNO")):
        summary[f"{key}_one_step_rel_l2"] = float(one_step[key])
        summary[f"{key}_rollout_nrmse"] = float(curves[label][-1])
        summary[f"{key}_rollout_nrmse_mean"] = float(jnp.mean(curves[label]))
        summary[f"{key}_rollout_nrmse_per_step"] = [float(e) for e in curves[label]]
        summary[f"{key}_final_loss"] = fits[key].history[-1]["loss"]
        summary[f"{key}_parameters"] = _parameter_count(fits[key].model)
        summary[f"{key}_train_s"] = wf.training_seconds(fits[key].history)
    summary["fno_one_step_rel_l2_on_grid"] = float(one_step["fno_grid"])
    return summary
