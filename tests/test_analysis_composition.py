"""Composition features and Goldschmidt tolerance factors against values typed from their
sources: IUPAC standard atomic weights and Pauling electronegativities (CRC Handbook),
Shannon's 1976 table of effective ionic radii (Acta Cryst. A32, 751, Table 1, in pm), and
the room-temperature structures of well-characterised ABX3 compounds."""

import math

import pytest

from sciml_jax.analysis import (
    composition_features,
    goldschmidt_tolerance_factor,
    parse_formula,
    perovskite_radii,
    shannon_radius,
)

# IUPAC standard atomic weights (u) and Pauling electronegativities.
WEIGHT = {"Sr": 87.62, "Ba": 137.327, "Ti": 47.867, "O": 15.999}
PAULING = {"Sr": 0.95, "Ba": 0.89, "Ti": 1.54, "O": 3.44}


def test_parse_formula():
    assert parse_formula("SrTiO3") == {"Sr": 1.0, "Ti": 1.0, "O": 3.0}
    assert parse_formula("Ba0.5Sr0.5TiO3") == {"Ba": 0.5, "Sr": 0.5, "Ti": 1.0, "O": 3.0}
    # Hydroxyapatite: Ca10 P6 O(24 + 2) H2.
    assert parse_formula("Ca10(PO4)6(OH)2") == {"Ca": 10.0, "P": 6.0, "O": 26.0, "H": 2.0}
    assert parse_formula("CO") == {"C": 1.0, "O": 1.0}  # carbon monoxide, not cobalt
    for bad in ("SrTiO3)", "(SrTiO3", "Xx2O", "sr", "3O", ""):
        with pytest.raises(ValueError):
            parse_formula(bad)


def _by_hand(values, amounts):
    total = sum(amounts.values())
    f = {s: n / total for s, n in amounts.items()}
    mean = sum(f[s] * values[s] for s in f)
    variance = sum(f[s] * (values[s] - mean) ** 2 for s in f)
    return mean, variance, min(values[s] for s in f), max(values[s] for s in f)


@pytest.mark.parametrize(
    "formula, amounts",
    [
        ("SrTiO3", {"Sr": 1, "Ti": 1, "O": 3}),
        ("Ba0.5Sr0.5TiO3", {"Ba": 0.5, "Sr": 0.5, "Ti": 1, "O": 3}),
    ],
)
def test_composition_features_equal_hand_computed_statistics(formula, amounts):
    features = composition_features(formula, ["atomic_weight", "en_pauling"])
    for name, table in (("atomic_weight", WEIGHT), ("en_pauling", PAULING)):
        expected = _by_hand(table, amounts)
        got = [features[f"{s}_{name}"] for s in ("mean", "variance", "min", "max")]
        assert got == pytest.approx(expected, rel=1e-12), name
    # The mean atomic weight times the atoms per formula unit is the molar mass.
    molar_mass = sum(n * WEIGHT[s] for s, n in amounts.items())
    assert features["mean_atomic_weight"] * sum(amounts.values()) == pytest.approx(molar_mass)
    # Only the fractions matter: the doubled formula unit has the same features.
    doubled = {s: 2 * n for s, n in amounts.items()}
    assert composition_features(doubled, ["atomic_weight", "en_pauling"]) == pytest.approx(
        features, rel=1e-12
    )


def test_composition_features_refuses_missing_data():
    with pytest.raises(ValueError, match="no column"):
        composition_features("SrTiO3", ["not_a_property"])
    with pytest.raises(ValueError, match="has no 'en_pauling' for He"):
        composition_features("HeO", ["en_pauling"])  # Pauling gave helium no value


# Shannon (1976) effective ionic radii, pm.
SHANNON = {
    ("Sr", 2, "XII"): 144.0,
    ("Ba", 2, "XII"): 161.0,
    ("Ca", 2, "XII"): 134.0,
    ("Ti", 4, "VI"): 60.5,
    ("O", -2, "VI"): 140.0,
    ("Fe", 3, "VI"): 64.5,  # high spin
}


def test_shannon_radii_and_coordination_fallback():
    for (symbol, charge, coordination), radius in SHANNON.items():
        found = shannon_radius(symbol, charge, coordination)
        assert found.radius_pm == pytest.approx(radius), (symbol, charge, coordination)
        assert found.coordination == coordination
    assert shannon_radius("Fe", 3, "VI", spin="LS").radius_pm == pytest.approx(55.0)
    # Mg2+ is tabulated up to VIII (89 pm), Ni2+ only up to VI (69 pm), Y3+ up to IX.
    assert (
        shannon_radius("Mg", 2, "XII").coordination,
        shannon_radius("Mg", 2, "XII").radius_pm,
    ) == (
        "VIII",
        pytest.approx(89.0),
    )
    assert shannon_radius("Ni", 2, "XII").radius_pm == pytest.approx(69.0)
    assert shannon_radius("Y", 3, "XII").coordination == "IX"
    # Mg2+ has no VII: VI and VIII are equally near, and ties go to the higher number.
    assert shannon_radius("Mg", 2, "VII").coordination == "VIII"
    # Ni2+ at IV: the tetrahedral 55 pm, not the square-planar IVSQ 49 pm.
    assert shannon_radius("Ni", 2, "IV").radius_pm == pytest.approx(55.0)
    with pytest.raises(ValueError, match="charges"):
        shannon_radius("Sr", 3, "XII")


@pytest.mark.parametrize(
    "formula, r_a, r_b",
    [("SrTiO3", 144.0, 60.5), ("BaTiO3", 161.0, 60.5), ("CaTiO3", 134.0, 60.5)],
)
def test_titanate_tolerance_factors(formula, r_a, r_b):
    expected = (r_a + 140.0) / (math.sqrt(2.0) * (r_b + 140.0))
    t = goldschmidt_tolerance_factor(formula)
    assert t == pytest.approx(expected, rel=1e-12)
    # The textbook values: cubic SrTiO3 ~1.00, BaTiO3 ~1.06, CaTiO3 ~0.97.
    assert t == pytest.approx({"SrTiO3": 1.00, "BaTiO3": 1.06, "CaTiO3": 0.97}[formula], abs=5e-3)


# Room-temperature structures (R. H. Mitchell, "Perovskites: Modern and Ancient", Almaz
# Press 2002; hexagonal polytypes: BaNiO3, J. J. Lander, Acta Cryst. 4, 148 (1951); CsNiF3,
# BaMnO3 in the 2H BaNiO3 type). Charges are given where Shannon's ions allow several
# charge-neutral choices.
PEROVSKITES = {
    "SrTiO3": None,  # cubic
    "BaTiO3": None,  # tetragonal
    "CaTiO3": None,  # orthorhombic, the mineral perovskite
    "PbTiO3": (2, 4, -2),  # tetragonal
    "KNbO3": None,
    "NaNbO3": None,
    "KTaO3": None,  # cubic
    "LaAlO3": None,  # rhombohedral
    "LaFeO3": None,
    "LaMnO3": None,
    "GdFeO3": None,  # the orthorhombic GdFeO3 type; Gd3+ tabulated up to IX
    "YAlO3": None,  # Y3+ up to IX
    "NdGaO3": None,
    "BiFeO3": None,  # rhombohedral; Bi3+ up to VIII
    "BaZrO3": None,
    "SrZrO3": None,
    "CaZrO3": None,
    "BaSnO3": None,
    "KMgF3": None,  # cubic fluoride perovskite
    "CsPbBr3": None,  # orthorhombic halide perovskite
}
NON_PEROVSKITES = {
    "NiTiO3": (2, 4, -2),  # ilmenite: A too small, t < 0.8
    "NiMnO3": (2, 4, -2),  # ilmenite
    "BaNiO3": None,  # 2H hexagonal, face-sharing NiO6 chains: t > 1
    "BaMnO3": None,  # 2H hexagonal
    "CsNiF3": None,  # 2H hexagonal fluoride
}
WINDOW = (0.80, 1.065)  # BaTiO3 (1.0615) is the largest t among the perovskites above


def test_tolerance_factor_separates_perovskites_from_non_perovskites():
    low, high = WINDOW
    for formula, charges in PEROVSKITES.items():
        t = goldschmidt_tolerance_factor(formula, charges=charges)
        assert low <= t <= high, (formula, t)
    for formula, charges in NON_PEROVSKITES.items():
        t = goldschmidt_tolerance_factor(formula, charges=charges)
        assert not low <= t <= high, (formula, t)
    assert goldschmidt_tolerance_factor("NiTiO3", charges=(2, 4, -2)) == pytest.approx(
        (69.0 + 140.0) / (math.sqrt(2.0) * (60.5 + 140.0)), rel=1e-12
    )


def test_ilmenites_depend_on_the_a_site_coordination():
    # MgTiO3 (geikielite) and FeTiO3 (ilmenite) have octahedral A cations. With the XII
    # convention their radii fall back to VIII (89, 92 pm) and t lands just inside the
    # window, a known miss of Goldschmidt's rule; with the VI radii of their actual A site
    # (72, 78 pm) they fall below 0.8.
    for formula, r_viii, r_vi in (("MgTiO3", 89.0, 72.0), ("FeTiO3", 92.0, 78.0)):
        xii = goldschmidt_tolerance_factor(formula, charges=(2, 4, -2))
        vi = goldschmidt_tolerance_factor(
            formula, charges=(2, 4, -2), coordinations=("VI", "VI", "VI")
        )
        assert xii == pytest.approx((r_viii + 140) / (math.sqrt(2) * 200.5), rel=1e-12)
        assert vi == pytest.approx((r_vi + 140) / (math.sqrt(2) * 200.5), rel=1e-12)
        assert vi < 0.8 < xii


def test_charges_inferred_or_refused():
    a, b, x = perovskite_radii("LaFeO3")  # La has only 3+, so Fe3+
    assert (a.charge, b.charge, x.charge) == (3, 3, -2)
    with pytest.raises(ValueError, match="ambiguous"):
        goldschmidt_tolerance_factor("PbTiO3")  # Pb2+ Ti4+ or Pb4+ Ti2+
    with pytest.raises(ValueError, match="ABX3"):
        goldschmidt_tolerance_factor("Ba0.5Sr0.5TiO3")
