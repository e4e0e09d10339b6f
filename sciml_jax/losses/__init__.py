from ._relative import relative_h1_loss as relative_h1_loss
from ._relative import relative_l2_loss as relative_l2_loss
