from ._mesh import data_mesh as data_mesh
from ._mesh import initialize_multihost as initialize_multihost
from ._mesh import replicate as replicate
from ._mesh import shard_batch as shard_batch
from ._sweep import sweep as sweep
