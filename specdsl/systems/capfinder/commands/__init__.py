"""Capfinder's training commands (``capfinder create-train-config``, ``capfinder train-model``)."""
