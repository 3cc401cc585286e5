"""tranquillyzer's command lines (``specdsl tranquillyzer simulate-data|train-model``)."""
