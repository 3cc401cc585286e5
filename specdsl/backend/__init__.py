"""Backends that turn a lowered layer graph into a runnable model (Keras 3 today)."""
