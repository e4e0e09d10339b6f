from ._metrics import rel_l2 as rel_l2
from ._convergence import fit_convergence_order as fit_convergence_order
from ._stability import fourier_symbol as fourier_symbol
from ._stability import jacobian_spectrum as jacobian_spectrum
from ._stability import max_stable_dt as max_stable_dt
from ._stability import spectral_radius as spectral_radius
