"""The course architectures and a registry by name."""

from nnaudit.models.registry import describe_model, get_model, list_models, model_options

__all__ = ["get_model", "list_models", "describe_model", "model_options"]
