"""The training-config language: read, validate and document training configs.

Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

from .reader import ArrayNode, Entry, Node, ObjectNode, ScalarNode, read_config_file, read_config_text

__all__ = ["read_config_file", "read_config_text", "Node", "ObjectNode", "ArrayNode", "ScalarNode", "Entry"]
