from ._domains import AbstractDomain as AbstractDomain
from ._domains import Box as Box
from ._domains import Disk as Disk
from ._domains import Interval as Interval
from ._domains import Rectangle as Rectangle
from ._domains import TimeDomain as TimeDomain
from ._lshape import LShape as LShape
