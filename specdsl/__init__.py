"""specdsl: architecture strings and training configs → Keras 3 models and runs.

Importing the package is cheap: TensorFlow and Keras load only when a model is built.
"""

__version__ = "0.1.0"
