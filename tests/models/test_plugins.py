"""A user's own models and datasets, registered by a call or by a package's entry points."""

from __future__ import annotations

import sys
import textwrap

import pytest

import nnaudit.data.registry as datasets
import nnaudit.models.registry as models
from nnaudit.errors import UserInputError


@pytest.fixture
def fresh_registries(monkeypatch):
    """Registries as on first use: nothing registered, entry points not read yet."""
    for registry in (models._REGISTRY, datasets._REGISTRY):
        monkeypatch.setattr(registry, "registered", {})
        monkeypatch.setattr(registry, "entry_points_read", False)


def test_a_registered_model_is_built_and_its_options_checked(fresh_registries):
    from torch import nn

    def tiny(input_shape, num_classes, width: int = 3):
        """Two linear layers, for the test."""
        return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[-1], width),
                             nn.Linear(width, num_classes))

    models.register("tiny", tiny)
    assert "tiny" in models.list_models()
    assert models.describe_model("tiny") == "Two linear layers, for the test."
    assert models.get_model("tiny", (5,), 2, width=4)[1].out_features == 4
    with pytest.raises(UserInputError, match="model 'tiny' has no option 'depth'"):
        models.get_model("tiny", (5,), 2, depth=3)
    with pytest.raises(UserInputError, match="already registered"):
        models.register("lenet5", tiny)


def test_a_registered_dataset_loads_by_name(fresh_registries):
    from nnaudit.data import load_dataset

    shades = load_dataset("shades-mnist", seed=0)

    def small_shades(*, seed: int = 0, size: int = 10):
        """shades-mnist, smaller."""
        return shades

    datasets.register("small-shades", small_shades)
    assert ("small-shades", "shades-mnist, smaller.") in datasets.list_datasets()
    assert load_dataset("small-shades", size=5) is shades
    with pytest.raises(UserInputError, match="has no option 'colour'"):
        load_dataset("small-shades", colour=1)
    datasets.register("broken", lambda *, seed=0: "data")
    with pytest.raises(UserInputError, match="returned a str, not an AuditDataset"):
        load_dataset("broken")


def test_a_package_adds_them_through_entry_points(fresh_registries, tmp_path, monkeypatch):
    (tmp_path / "my_plugin.py").write_text(textwrap.dedent('''
        from torch import nn

        def wide_net(input_shape, num_classes):
            """A wide net from a plugin."""
            return nn.Sequential(nn.Flatten(), nn.LazyLinear(num_classes))

        def plugin_data(*, seed=0):
            """Data from a plugin."""
            raise RuntimeError("not loaded in this test")
        '''))
    info = tmp_path / "my_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[nnaudit.models]\nwide_net = my_plugin:wide_net\n\n"
        "[nnaudit.datasets]\nplugin-data = my_plugin:plugin_data\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "wide_net" in models.list_models()
    assert models.describe_model("wide_net") == "A wide net from a plugin."
    assert ("plugin-data", "Data from a plugin.") in datasets.list_datasets()
    sys.modules.pop("my_plugin", None)
