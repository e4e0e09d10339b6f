"""sciml_jax: pure-function scientific machine learning in JAX."""

from ._precision import default_float_dtype as default_float_dtype
from ._precision import enable_float64 as enable_float64
from ._precision import set_precision as set_precision

__version__ = "0.1.0"
