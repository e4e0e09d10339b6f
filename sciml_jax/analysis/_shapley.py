r"""Exact interventional Shapley values of a model's prediction, by enumerating subsets.

For a model $f$ of $n$ features, an input $x$ and a background set $\{b^{(k)}\}_{k=1}^m$,
the value of a coalition $S \subseteq N = \{1, \dots, n\}$ is the mean prediction with the
features in $S$ set to $x$ and the others taken from the background,

$v(S) = \frac{1}{m} \sum_k f(x_S, b^{(k)}_{\bar S})$,

and feature $i$'s attribution is its Shapley value

$\phi_i = \sum_{S \subseteq N \setminus \{i\}} \frac{|S|! (n - |S| - 1)!}{n!}
\big(v(S \cup \{i\}) - v(S)\big)$.

They satisfy efficiency, $\sum_i \phi_i = f(x) - \frac1m \sum_k f(b^{(k)})$ exactly; equal
attributions for features the game treats alike; zero for a feature $f$ ignores; and for a
linear $f(x) = w \cdot x + c$, $\phi_i = w_i (x_i - \bar b_i)$. The cost is
$2^n m$ model evaluations per input, so this is for a handful of features (up to 16 here);
beyond, sample subsets or permutations (the `shap` package's `PermutationExplainer`,
`KernelExplainer`).

**References:** L. S. Shapley, "A value for n-person games" (1953); S. M. Lundberg,
S.-I. Lee, "A unified approach to interpreting model predictions", NeurIPS (2017);
D. Janzing, L. Minorics, P. Bloebaum, "Feature relevance quantification in explainable AI:
a causal problem", AISTATS (2020) (the interventional value function).
"""

import math
from collections.abc import Callable

import numpy as np
from jaxtyping import ArrayLike

MAX_FEATURES = 16


def exact_shapley_values(
    predict: Callable[[np.ndarray], ArrayLike],
    x: ArrayLike,
    background: ArrayLike,
    *,
    batch_size: int = 1 << 16,
) -> tuple[np.ndarray, float]:
    r"""Exact interventional Shapley values of `predict` at `x` against `background`.

    **Arguments:**

    - `predict`: maps a `(rows, n)` array of inputs to `(rows,)` predictions (a fitted
      model's `predict`, a vmapped JAX function).
    - `x`: one input `(n,)` or several `(k, n)`.
    - `background`: `(m, n)` inputs whose mean prediction is the baseline (a sample of
      the training set).
    - `batch_size`: at most this many rows per `predict` call.

    **Returns:** `(values, expected_value)`: `values` of the shape of `x` (one attribution
    per feature, float64), and the baseline $\frac1m \sum_k f(b^{(k)})$, so that
    `values.sum(-1) + expected_value` equals `predict(x)` up to round-off.

    **Example:**

    ```python
    w = np.array([1.0, -2.0, 0.5])
    values, base = exact_shapley_values(lambda X: X @ w, x, background)
    # values == w * (x - background.mean(0)), base == background.mean(0) @ w
    ```
    """
    x = np.asarray(x, dtype=np.float64)
    background = np.asarray(background, dtype=np.float64)
    single = x.ndim == 1
    x = x[None] if single else x
    if x.ndim != 2 or background.ndim != 2 or background.shape[1] != x.shape[1]:
        raise ValueError(
            f"exact_shapley_values: x must be (n,) or (k, n) and background (m, n) with the "
            f"same n, got shapes {x.shape} and {background.shape}."
        )
    n, m = x.shape[1], background.shape[0]
    if not 1 <= n <= MAX_FEATURES or m < 1:
        raise ValueError(
            f"exact_shapley_values: exact enumeration needs 1 <= n <= {MAX_FEATURES} features "
            f"and a non-empty background, got n={n}, m={m}; group features or sample "
            "permutations beyond that (2^n * m model calls per input)."
        )
    coalitions = 1 << n
    masks = ((np.arange(coalitions)[:, None] >> np.arange(n)) & 1).astype(bool)  # (2^n, n)
    values = np.empty((x.shape[0], coalitions))
    per_chunk = max(1, batch_size // m)
    for row, point in enumerate(x):
        for start in range(0, coalitions, per_chunk):
            chunk = masks[start : start + per_chunk]
            hybrid = np.where(chunk[:, None, :], point, background[None])  # (c, m, n)
            out = np.asarray(predict(hybrid.reshape(-1, n)), dtype=np.float64)
            if out.shape != (hybrid.shape[0] * m,):
                raise ValueError(
                    f"exact_shapley_values: predict must map ({hybrid.shape[0] * m}, {n}) "
                    f"inputs to ({hybrid.shape[0] * m},) predictions, got shape {out.shape}."
                )
            values[row, start : start + len(chunk)] = out.reshape(len(chunk), m).mean(axis=1)

    sizes = masks.sum(axis=1)
    weights = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    attributions = np.empty(x.shape)
    for i in range(n):
        without = np.flatnonzero(~masks[:, i])  # coalitions S not containing i
        gain = values[:, without | (1 << i)] - values[:, without]
        attributions[:, i] = gain @ weights[sizes[without]]
    expected_value = float(values[0, 0])  # v(empty set): the same for every x
    return (attributions[0] if single else attributions), expected_value
