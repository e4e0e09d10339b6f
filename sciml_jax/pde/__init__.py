from ._burgers_exact import burgers_cole_hopf as burgers_cole_hopf
from ._allen_cahn import AllenCahn as AllenCahn
from ._base import AbstractPDE as AbstractPDE
from ._burgers import Burgers as Burgers
from ._heat import Heat as Heat
from ._poisson import Helmholtz as Helmholtz
from ._poisson import Poisson as Poisson
