r"""Goldschmidt's tolerance factor of an $ABX_3$ perovskite from Shannon ionic radii.

$t = \dfrac{r_A + r_X}{\sqrt{2}\,(r_B + r_X)}$

compares the $A$-$X$ distance with $\sqrt 2$ times the $B$-$X$ distance of the ideal cubic
perovskite, where both fit exactly at $t = 1$. Empirically $ABX_3$ compounds take the
perovskite structure for $t$ of roughly 0.8 to 1.06; below it the $A$ cation is too small
(ilmenite and other structures with octahedral $A$), above it the $BX_6$ octahedra share
faces (hexagonal polytypes such as BaNiO3).

Radii are the effective ionic radii of Shannon (1976), in pm, as tabulated in the
`mendeleev` package, looked up by charge and coordination: the $A$ site 12-fold (XII),
the $B$ and $X$ sites 6-fold (VI) by default.

**References:** V. M. Goldschmidt, "Die Gesetze der Krystallochemie", Naturwissenschaften
14, 477 (1926); R. D. Shannon, "Revised effective ionic radii and systematic studies of
interatomic distances in halides and chalcogenides", Acta Cryst. A32, 751 (1976).
"""

import dataclasses
import itertools
import math
import re

from ._composition import _ionic_radii_table, parse_formula

_ROMAN = {"I": 1, "V": 5, "X": 10}
_COORDINATION = re.compile(r"^([IVX]+)(.*)$")


def _coordination_number(coordination: str) -> tuple[int, str]:
    """`"XII"` -> `(12, "")`, `"IVSQ"` -> `(4, "SQ")` (square planar), `"IIIPY"` -> `(3, "PY")`."""
    match = _COORDINATION.match(coordination)
    if match is None:
        raise ValueError(f"coordination {coordination!r} is not a Roman numeral like 'VI'.")
    numeral, geometry = match.groups()
    values = [_ROMAN[c] for c in numeral]
    number = sum(
        -v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values)
    )
    return number, geometry


@dataclasses.dataclass(frozen=True)
class IonicRadius:
    """One Shannon radius: `symbol` with `charge` at `coordination` (the one found, which
    may differ from the one asked for), `spin` (`"HS"`, `"LS"` or `""`), `radius_pm`."""

    symbol: str
    charge: int
    coordination: str
    spin: str
    radius_pm: float


def shannon_radius(symbol: str, charge: int, coordination: str, *, spin: str = "HS") -> IonicRadius:
    """The Shannon effective ionic radius of an ion, falling back to the nearest tabulated
    coordination.

    Shannon's table does not list every ion at every coordination (Mg2+ stops at VIII,
    Ni2+ at VI, Y3+ at IX). When `coordination` is missing, the tabulated one with the
    nearest coordination number is used; ties go to the plain polyhedron over square-planar
    (`SQ`) or pyramidal (`PY`) ones, then to the higher number. The returned `coordination`
    says which one was used. Where an ion has high- and low-spin radii at that
    coordination (Fe3+, Mn3+, Co3+ at VI), `spin` picks one.

    **Arguments:** `symbol` ("Sr"), `charge` (2; -2 for O2-), `coordination` as a Roman
    numeral ("XII", "VI"), keyword-only `spin` ("HS" or "LS").

    **Returns:** an `IonicRadius` (radius in pm).

    **Example:**

    ```python
    shannon_radius("Sr", 2, "XII").radius_pm  # 144.0
    shannon_radius("Mg", 2, "XII").coordination  # "VIII" (89 pm)
    ```
    """
    rows = [r for r in _ionic_radii_table().get(symbol, []) if r["charge"] == charge]
    if not rows:
        charges = sorted({r["charge"] for r in _ionic_radii_table().get(symbol, [])})
        raise ValueError(
            f"shannon_radius: no Shannon radius for {symbol} with charge {charge:+d}; "
            f"the table has charges {charges} for {symbol}."
        )
    wanted, _ = _coordination_number(coordination)

    def distance(row):
        number, geometry = _coordination_number(row["coordination"])
        return (abs(number - wanted), geometry != "", -number)

    best = min(distance(r) for r in rows)
    found = [r for r in rows if distance(r) == best]
    if len(found) > 1:
        found = [r for r in found if r["spin"] == spin]
        if len(found) != 1:
            raise ValueError(
                f"shannon_radius: {symbol}{charge:+d} at {coordination} has spin states "
                f"{sorted({r['spin'] for r in rows if distance(r) == best})}; pass spin= one "
                "of them."
            )
    row = found[0]
    return IonicRadius(symbol, charge, row["coordination"], row["spin"], float(row["ionic_radius"]))


def _perovskite_sites(formula: str) -> tuple[str, str, str]:
    amounts = parse_formula(formula)
    if len(amounts) != 3 or [round(n, 12) for n in amounts.values()] != [1.0, 1.0, 3.0]:
        raise ValueError(
            f"goldschmidt_tolerance_factor: {formula!r} is not written as ABX3 with one element "
            f"per site (got {amounts}); write it A first, then B, then X3, e.g. 'SrTiO3'."
        )
    a, b, x = amounts
    return a, b, x


def _neutral_charges(formula: str, a: str, b: str, x: str) -> tuple[int, int, int]:
    table = _ionic_radii_table()

    def charges(symbol, sign):
        return sorted({r["charge"] for r in table.get(symbol, []) if r["charge"] * sign > 0})

    options = [
        (qa, qb, qx)
        for qa, qb, qx in itertools.product(charges(a, 1), charges(b, 1), charges(x, -1))
        if qa + qb + 3 * qx == 0
    ]
    if len(options) != 1:
        raise ValueError(
            f"goldschmidt_tolerance_factor: the charges of {formula!r} are "
            f"{'ambiguous' if options else 'not determined'}: charge-neutral choices among "
            f"Shannon's ions are {options}; pass charges=(q_A, q_B, q_X), e.g. "
            f"{options[0] if options else '(2, 4, -2)'}."
        )
    return options[0]


def perovskite_radii(
    formula: str,
    *,
    charges: tuple[int, int, int] | None = None,
    coordinations: tuple[str, str, str] = ("XII", "VI", "VI"),
    spin: str = "HS",
) -> tuple[IonicRadius, IonicRadius, IonicRadius]:
    """The Shannon radii of the A, B and X ions of an ABX3 formula (see `shannon_radius`).

    **Arguments:**

    - `formula`: `"ABX3"` with one element per site, A first (`"SrTiO3"`, `"CsPbBr3"`).
    - `charges`: `(q_A, q_B, q_X)`; None infers them as the only charge-neutral
      combination of the charges Shannon tabulates (Sr2+ Ti4+ O2-), and raises where there
      are several (Pb2+ Ti4+ or Pb4+ Ti2+).
    - `coordinations`: of A, B and X (default XII, VI, VI).
    - `spin`: for ions with high- and low-spin radii.

    **Returns:** `(A, B, X)` `IonicRadius`.
    """
    a, b, x = _perovskite_sites(formula)
    charges = _neutral_charges(formula, a, b, x) if charges is None else tuple(charges)
    if len(charges) != 3 or sum(charges[:2]) + 3 * charges[2] != 0:
        raise ValueError(
            f"perovskite_radii: charges {charges} of {formula!r} are not (q_A, q_B, q_X) with "
            "q_A + q_B + 3 q_X = 0."
        )
    return tuple(
        shannon_radius(s, q, c, spin=spin)
        for s, q, c in zip((a, b, x), charges, coordinations, strict=True)
    )


def goldschmidt_tolerance_factor(
    formula: str,
    *,
    charges: tuple[int, int, int] | None = None,
    coordinations: tuple[str, str, str] = ("XII", "VI", "VI"),
    spin: str = "HS",
) -> float:
    r"""Goldschmidt's tolerance factor $t = (r_A + r_X) / (\sqrt 2 (r_B + r_X))$ of an ABX3
    formula from Shannon ionic radii (the arguments are those of `perovskite_radii`).

    **Returns:** $t$ (dimensionless).

    **Example:**

    ```python
    goldschmidt_tolerance_factor("SrTiO3")  # (144 + 140) / (sqrt(2) (60.5 + 140)) = 1.0016
    goldschmidt_tolerance_factor("PbTiO3", charges=(2, 4, -2))  # 1.019
    ```
    """
    a, b, x = perovskite_radii(formula, charges=charges, coordinations=coordinations, spin=spin)
    return (a.radius_pm + x.radius_pm) / (math.sqrt(2.0) * (b.radius_pm + x.radius_pm))
