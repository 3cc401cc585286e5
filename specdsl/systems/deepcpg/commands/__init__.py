"""DeepCpG's command lines (``specdsl deepcpg data|train|eval|eval-export``)."""
