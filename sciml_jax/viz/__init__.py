from ._fields import plot_field as plot_field
from ._fields import save_field_comparison as save_field_comparison
from ._training import plot_history as plot_history
