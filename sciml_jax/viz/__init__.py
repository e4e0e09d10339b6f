from ._training import plot_history as plot_history
