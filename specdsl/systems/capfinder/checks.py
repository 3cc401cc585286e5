"""Cross-field checks of Capfinder's training configs (the ``capfinder`` kind)."""

from __future__ import annotations

from specdsl.config.checks import Check, register_check
from specdsl.systems.capfinder.config_kind import CAPFINDER, bound_errors, remote_dataset_errors

register_check(Check("use_remote_dataset_version is \"\" or \"latest\" (the local processed dataset); another "
                     "version is a Comet ML artifact and is refused.", (CAPFINDER,), remote_dataset_errors))
register_check(Check("max_lr lies above base_lr (cyclic_lr) and min_lr (sgdr).", (CAPFINDER,), bound_errors))
