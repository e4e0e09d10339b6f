"""sciml_jax: pure-function scientific machine learning in JAX."""

from ._compilation import enable_compilation_cache as enable_compilation_cache
from ._precision import default_float_dtype as default_float_dtype
from ._precision import enable_float64 as enable_float64
from ._precision import set_precision as set_precision

__version__ = "0.1.0"


def __getattr__(name: str):
    # `sciml_jax.load_run` without importing every subpackage on `import sciml_jax`
    if name == "load_run":
        from .workflow import load_run

        return load_run
    raise AttributeError(f"module 'sciml_jax' has no attribute {name!r}")
