"""QM9 (Ramakrishnan et al. 2014) read from the CSV files the `qm9pack` wheel ships.

The wheel holds the 130,831 molecules that survive QM9's consistency check (the 3,054
"uncharacterised" ones of the 133,885 are absent) as
`<site-packages>/qm9pack/data/qm9_part{1,2,3}.csv`, one molecule per row with its `Index`
(the number in `dsgdb9nsd_NNNNNN.xyz`), `N_atoms`, `Elements` (`"['C','H',...]"`),
`XYZ_Ang` (`"[[x,y,z],...]"`, Angstrom) and `InternalEnergy_0K_au` (U0, Hartree, B3LYP/
6-31G(2df,p)). The files are read here with the `csv` module (qm9pack's own code is never
imported), parsed once and cached as arrays; molecules are padded to 29 atoms, QM9's largest.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import sys
from pathlib import Path

import numpy as np

from ._cache import cached_dataset

__all__ = ["QM9", "load_qm9", "qm9_split", "HARTREE_TO_EV", "QM9_MAX_ATOMS"]

HARTREE_TO_EV = 27.211386245988  # CODATA 2018
QM9_MAX_ATOMS = 29
_SYMBOLS = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}
_PARTS = ("qm9_part1.csv", "qm9_part2.csv", "qm9_part3.csv")
_FORMAT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class QM9:
    """QM9 molecules as padded arrays (`m` molecules, 29 atom slots each).

    - `index`: `(m,)` int, QM9's own molecule number (the CSV `Index` column, 1-based).
    - `n_atoms`: `(m,)` int, the number of real atoms; slots past it are padding.
    - `atomic_numbers`: `(m, 29)` int, 0 in padding slots.
    - `positions`: `(m, 29, 3)` float64 Angstrom, 0 in padding slots.
    - `u0_eV`: `(m,)` float64, the internal energy at 0 K in eV (1 Ha = 27.211386245988 eV).
    """

    index: np.ndarray
    n_atoms: np.ndarray
    atomic_numbers: np.ndarray
    positions: np.ndarray
    u0_eV: np.ndarray

    def __len__(self) -> int:
        return int(self.index.shape[0])

    @property
    def node_mask(self) -> np.ndarray:
        """`(m, 29)` bool, True for real atoms."""
        return self.atomic_numbers > 0

    def take(self, rows) -> QM9:
        """The molecules at `rows` (positions in this dataset, e.g. `qm9_split(...)['train']`)."""
        rows = np.asarray(rows)
        return QM9(**{f.name: getattr(self, f.name)[rows] for f in dataclasses.fields(self)})


def _qm9pack_data_dir() -> Path:
    # find_spec locates the package without executing its __init__ (which imports pandas).
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "load_qm9 reads the QM9 CSV files shipped in the `qm9pack` wheel, but qm9pack is "
            f"not installed for {sys.executable}; install it with `pip install qm9pack` "
            "(or `pip install -e .[potentials]`)."
        )
    directory = Path(next(iter(spec.submodule_search_locations))) / "data"
    missing = [name for name in _PARTS if not (directory / name).exists()]
    if missing:
        raise FileNotFoundError(
            f"qm9pack is installed at {directory.parent} but its data files {missing} are "
            "missing; reinstall the wheel with `pip install --force-reinstall qm9pack`."
        )
    return directory


def _parse_rows(directory: Path, limit: int | None) -> dict[str, np.ndarray]:
    index, n_atoms, numbers, positions, u0 = [], [], [], [], []
    csv.field_size_limit(1 << 24)
    for name in _PARTS:
        with open(directory / name, newline="") as handle:
            for row in csv.DictReader(handle):
                if limit is not None and len(index) >= limit:
                    break
                n = int(row["N_atoms"])
                symbols = [s.strip(" '\"") for s in row["Elements"].strip("[]").split(",")]
                xyz = np.array(row["XYZ_Ang"].replace("[", "").replace("]", "").split(","), float)
                if len(symbols) != n or xyz.size != 3 * n:
                    raise ValueError(
                        f"{directory / name}: molecule Index={row['Index']} has N_atoms={n} "
                        f"but {len(symbols)} elements and {xyz.size // 3} positions; the "
                        "file is corrupt, reinstall qm9pack."
                    )
                z = np.zeros(QM9_MAX_ATOMS, np.int32)
                z[:n] = [_SYMBOLS[s] for s in symbols]
                r = np.zeros((QM9_MAX_ATOMS, 3))
                r[:n] = xyz.reshape(n, 3)
                index.append(int(row["Index"]))
                n_atoms.append(n)
                numbers.append(z)
                positions.append(r)
                u0.append(float(row["InternalEnergy_0K_au"]))
        if limit is not None and len(index) >= limit:
            break
    return {
        "index": np.asarray(index, np.int64),
        "n_atoms": np.asarray(n_atoms, np.int32),
        "atomic_numbers": np.stack(numbers),
        "positions": np.stack(positions),
        "u0_eV": np.asarray(u0) * HARTREE_TO_EV,
    }


def load_qm9(limit: int | None = None, cache_dir: str | Path | None = None) -> QM9:
    """QM9's geometries and U0 from the `qm9pack` wheel, parsed once and cached.

    **Arguments:**

    - `limit`: read only the first `limit` molecules (in `Index` order), e.g. for tests;
      None reads all 130,831 (about a minute the first time, then a cached .npz).
    - `cache_dir`: where the parsed arrays are stored (default `default_cache_dir()`).

    **Returns:** a `QM9` dataclass of padded arrays; energies in eV, positions in Angstrom.

    **Example:**

    ```python
    qm9 = data.load_qm9()
    split = data.qm9_split(len(qm9), 1000)
    train = qm9.take(split["train"])
    ```

    **Raises:** `ModuleNotFoundError` naming the fix if qm9pack is not installed.
    """
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive int or None (all molecules), got {limit!r}.")
    directory = _qm9pack_data_dir()
    sizes = [(directory / name).stat().st_size for name in _PARTS]
    recipe = {"name": "qm9", "version": _FORMAT_VERSION, "limit": limit, "csv_bytes": sizes}
    arrays = cached_dataset(recipe, lambda: _parse_rows(directory, limit), cache_dir=cache_dir)
    return QM9(**{f.name: arrays[f.name] for f in dataclasses.fields(QM9)})


def qm9_split(
    n_molecules: int, n_train: int, *, n_val: int = 1000, n_test: int = 10_000, seed: int = 0
) -> dict[str, np.ndarray]:
    """A fixed, seeded train/validation/test split with nested training sets.

    One permutation `p` of `range(n_molecules)` (NumPy's PCG64 seeded with `seed`) is cut as
    `test = p[:n_test]`, `val = p[n_test:n_test + n_val]` and `train` = the first `n_train`
    of the rest. The permutation does not depend on `n_train`, so for the same seed the
    1,000-molecule training set is inside the 5,000 one, which is inside the 20,000 one, and
    every size is scored on the same test set: a learning curve on nested sets.

    **Arguments:**

    - `n_molecules`: the dataset size (`len(load_qm9())`, 130,831 for all of QM9).
    - `n_train`, `n_val`, `n_test`: the sizes; `n_train + n_val + n_test <= n_molecules`.
    - `seed`: the permutation's seed.

    **Returns:** `{"train", "val", "test"}` int64 arrays of row positions in the dataset
    (not QM9 `Index` values; `qm9.index[rows]` gives those), pairwise disjoint.
    """
    for name, value, low in (("n_train", n_train, 1), ("n_val", n_val, 0), ("n_test", n_test, 0)):
        if int(value) != value or value < low:
            raise ValueError(f"qm9_split: {name} must be an int >= {low}, got {value!r}.")
    if n_train + n_val + n_test > n_molecules:
        raise ValueError(
            f"qm9_split: n_train + n_val + n_test = {n_train} + {n_val} + {n_test} = "
            f"{n_train + n_val + n_test} exceeds n_molecules = {n_molecules}; lower n_train "
            f"to at most {n_molecules - n_val - n_test} or load more molecules."
        )
    order = np.random.default_rng(seed).permutation(n_molecules)
    return {
        "train": order[n_test + n_val : n_test + n_val + n_train],
        "val": order[n_test : n_test + n_val],
        "test": order[:n_test],
    }
