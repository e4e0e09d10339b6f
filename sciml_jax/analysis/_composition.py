r"""Composition-weighted element properties (Magpie-style descriptors of a formula).

A formula such as `"Ba0.5Sr0.5TiO3"` is read as amounts $n_e$ of its elements, turned into
stoichiometric fractions $f_e = n_e / \sum_{e'} n_{e'}$, and an element property $p$
(Pauling electronegativity, atomic weight, radii, ...) taken from the periodic table that
the `mendeleev` package ships (an SQLite file, read once per process) is summarised as

$\bar p = \sum_e f_e p_e$, $\sigma_p^2 = \sum_e f_e (p_e - \bar p)^2$,
$\min_e p_e$ and $\max_e p_e$ over the elements present.

**Reference:** L. Ward, A. Agrawal, A. Choudhary, C. Wolverton, "A general-purpose machine
learning framework for predicting properties of inorganic materials", npj Comput. Mater.
2, 16028 (2016) (the Magpie descriptor set).
"""

import functools
import math
import re
from collections.abc import Mapping, Sequence

DEFAULT_PROPERTIES = ("en_pauling", "atomic_weight", "atomic_radius", "covalent_radius_pyykko")
STATISTICS = ("mean", "variance", "min", "max")

_TOKEN = re.compile(r"\s*(?:([A-Z][a-z]?)|(\()|(\))|(\d+\.?\d*|\.\d+))")


@functools.lru_cache(maxsize=1)
def _elements_table() -> dict[str, dict]:
    """`{symbol: {column: value}}` of mendeleev's `elements` table (all 118 elements)."""
    from mendeleev.fetch import fetch_table  # slow import: a SQLAlchemy engine on the DB

    table = fetch_table("elements")
    return {row["symbol"]: row for row in table.to_dict(orient="records")}


@functools.lru_cache(maxsize=1)
def _ionic_radii_table() -> dict[str, list[dict]]:
    """`{symbol: [rows of mendeleev's ionicradii table]}` (Shannon 1976 radii, pm)."""
    from mendeleev.fetch import fetch_table

    number_to_symbol = {row["atomic_number"]: s for s, row in _elements_table().items()}
    radii: dict[str, list[dict]] = {}
    for row in fetch_table("ionicradii").to_dict(orient="records"):
        radii.setdefault(number_to_symbol[row["atomic_number"]], []).append(row)
    return radii


def parse_formula(formula: str) -> dict[str, float]:
    """The amounts of the elements in a chemical formula, in order of first appearance.

    Element symbols are followed by optional integer or decimal amounts (default 1);
    parentheses group, with an optional multiplier: `"SrTiO3"`, `"Ba0.5Sr0.5TiO3"`,
    `"Ca(OH)2"`, `"Ca10(PO4)6(OH)2"`.

    **Arguments:** `formula`, the formula as a string (no charges, hydrate dots or spaces
    inside symbols).

    **Returns:** `{symbol: amount}` as floats; the same symbol in several places is summed.

    **Example:**

    ```python
    parse_formula("Ba0.5Sr0.5TiO3")  # {"Ba": 0.5, "Sr": 0.5, "Ti": 1.0, "O": 3.0}
    ```

    **Raises:** `ValueError` for unbalanced parentheses, stray characters or a symbol that
    is not an element.
    """
    known = _elements_table()
    stack: list[dict[str, float]] = [{}]
    last: dict[str, float] | None = None  # what a following number multiplies
    position = 0
    text = formula.strip()
    if not text:
        raise ValueError("parse_formula: the formula is empty.")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(
                f"parse_formula({formula!r}): cannot read {text[position:]!r} at character "
                f"{position}; write element symbols (capitalised) with optional amounts."
            )
        position = match.end()
        symbol, opening, closing, number = match.groups()
        if symbol is not None:
            if symbol not in known:
                raise ValueError(f"parse_formula({formula!r}): {symbol!r} is not an element.")
            last = {symbol: 1.0}
            stack[-1][symbol] = stack[-1].get(symbol, 0.0) + 1.0
        elif opening is not None:
            stack.append({})
            last = None
        elif closing is not None:
            if len(stack) == 1:
                raise ValueError(f"parse_formula({formula!r}): unbalanced ')'.")
            group = stack.pop()
            for s, n in group.items():
                stack[-1][s] = stack[-1].get(s, 0.0) + n
            last = group
        else:
            if last is None:
                raise ValueError(
                    f"parse_formula({formula!r}): the amount {number!r} follows nothing."
                )
            # The unit amounts were already added: add (number - 1) times them.
            for s, n in last.items():
                stack[-1][s] += (float(number) - 1.0) * n
            last = None
    if len(stack) != 1:
        raise ValueError(f"parse_formula({formula!r}): unbalanced '('.")
    amounts = stack[0]
    if any(n <= 0 for n in amounts.values()):
        raise ValueError(f"parse_formula({formula!r}): every amount must be > 0, got {amounts}.")
    return amounts


def element_property(symbol: str, name: str) -> float:
    """One property of one element from mendeleev's `elements` table (its units: pm for
    radii, u for `atomic_weight`, bohr^3 for `dipole_polarizability`, ...).

    **Raises:** `ValueError` if the element is unknown, the column does not exist, or the
    table has no value for this element.
    """
    table = _elements_table()
    if symbol not in table:
        raise ValueError(f"element_property: {symbol!r} is not an element symbol.")
    row = table[symbol]
    if name not in row:
        numeric = sorted(k for k, v in row.items() if isinstance(v, int | float))
        raise ValueError(
            f"element_property: mendeleev's elements table has no column {name!r}; numeric "
            f"columns are {numeric}."
        )
    value = row[name]
    if value is None or not isinstance(value, int | float) or math.isnan(value):
        raise ValueError(
            f"element_property: mendeleev has no {name!r} for {symbol}; choose another "
            "property or leave this element out."
        )
    return float(value)


def composition_features(
    composition: str | Mapping[str, float],
    properties: Sequence[str] = DEFAULT_PROPERTIES,
    statistics: Sequence[str] = STATISTICS,
) -> dict[str, float]:
    r"""Stoichiometry-weighted statistics of element properties.

    With fractions $f_e$ of the elements of `composition` and a property $p_e$:
    `mean` $= \sum_e f_e p_e$, `variance` $= \sum_e f_e (p_e - \text{mean})^2$, `min` and
    `max` over the elements present. The result depends on the fractions only, so
    `"SrTiO3"` and `"Sr2Ti2O6"` give the same features.

    **Arguments:**

    - `composition`: a formula (`parse_formula`) or `{symbol: amount}`.
    - `properties`: columns of mendeleev's `elements` table, e.g. `"en_pauling"`,
      `"atomic_weight"` (u), `"atomic_radius"` and `"covalent_radius_pyykko"` (pm),
      `"dipole_polarizability"` (bohr^3).
    - `statistics`: any of `"mean"`, `"variance"`, `"min"`, `"max"`.

    **Returns:** `{f"{statistic}_{property}": value}`.

    **Example:**

    ```python
    composition_features("SrTiO3", ["en_pauling"])["mean_en_pauling"]
    # (0.95 + 1.54 + 3 * 3.44) / 5 = 2.562
    ```
    """
    amounts = parse_formula(composition) if isinstance(composition, str) else dict(composition)
    if not amounts or any(n <= 0 for n in amounts.values()):
        raise ValueError(
            f"composition_features: amounts must be > 0 and not all absent, got {amounts}."
        )
    unknown = [s for s in statistics if s not in STATISTICS]
    if unknown:
        raise ValueError(f"composition_features: statistics {unknown} not in {STATISTICS}.")
    total = sum(amounts.values())
    fractions = {s: n / total for s, n in amounts.items()}
    features = {}
    for name in properties:
        values = {s: element_property(s, name) for s in fractions}
        mean = sum(f * values[s] for s, f in fractions.items())
        results = {
            "mean": mean,
            "variance": sum(f * (values[s] - mean) ** 2 for s, f in fractions.items()),
            "min": min(values.values()),
            "max": max(values.values()),
        }
        for statistic in statistics:
            features[f"{statistic}_{name}"] = results[statistic]
    return features
