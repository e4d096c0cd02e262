"""The course architectures, a registry by name, and factories of fresh models.

May import: nnaudit.errors, nnaudit._plugins and torch only.
"""

from nnaudit.models.factory import ModelFactory
from nnaudit.models.registry import (describe_model, factory, get_model, list_models,
                                     model_options, register)

__all__ = ["get_model", "list_models", "describe_model", "model_options", "register", "factory",
           "ModelFactory"]
