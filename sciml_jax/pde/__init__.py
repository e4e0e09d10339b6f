from ._burgers_exact import burgers_cole_hopf as burgers_cole_hopf
