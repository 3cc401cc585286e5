"""Every layer kind, one registry entry each.  Importing this package registers them."""

from . import core, recurrent, residual, sequence, tagging  # noqa: F401
