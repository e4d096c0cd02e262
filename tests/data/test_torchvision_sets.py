import pytest

from nnaudit.data import load_dataset
from nnaudit.errors import UserInputError


@pytest.fixture
def mnist_root(shared_data, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        if not (shared_data / "mnist" / name).is_file():
            pytest.skip(f"{name} is not in the shared data")
        (raw / name).symlink_to((shared_data / "mnist" / name).resolve())
    return tmp_path


def test_real_mnist_test_files_with_shades(mnist_root):
    data = load_dataset("mnist", data_dir=mnist_root, download=False, test_only=True,
                        attributes="shades", skew=0.1)
    assert len(data.test) == 3000 and len(data.train) + len(data.val) == 7000
    assert data.input_shape == (1, 28, 28) and data.classes[3] == "3"
    assert data.test.x.max() == 1.0 and data.test.x.min() >= 0.0
    # MNIST's t10k labels: 980 zeros among the 10,000 images
    zeros = sum(int((s.y == 0).sum()) for s in (data.train, data.val, data.test))
    assert zeros == 980
    assert (data.train.groups["tone"] == "dark").sum() == round(0.1 * len(data.train))
    assert data.card["simulated_attributes"] is True
    plain = load_dataset("mnist", data_dir=mnist_root, download=False, test_only=True)
    assert plain.sensitive == [] and plain.test.groups.shape == (3000, 0)


def test_missing_training_files_say_where(mnist_root):
    with pytest.raises(UserInputError, match=r"train-images-idx3-ubyte\.gz.*MNIST/raw"):
        load_dataset("mnist", data_dir=mnist_root, download=False)


def test_missing_files_without_download(tmp_path):
    with pytest.raises(UserInputError, match="cifar-10-python.tar.gz"):
        load_dataset("cifar10", data_dir=tmp_path, download=False)
    with pytest.raises(UserInputError, match="FashionMNIST"):
        load_dataset("fashion-mnist", data_dir=tmp_path, download=False)
    with pytest.raises(UserInputError, match="list_attr_celeba.txt"):
        load_dataset("celeba", data_dir=tmp_path, download=False)


def test_unknown_dataset_and_option():
    from nnaudit.data import list_datasets
    names = [name for name, _ in list_datasets()]
    assert names[0] == "shades-mnist" and {"mnist", "csv", "image-folder", "celeba"} <= set(names)
    with pytest.raises(UserInputError, match="unknown dataset 'mnsit'; choose one of: shades-mnist"):
        load_dataset("mnsit")
    with pytest.raises(UserInputError, match="no option 'skw'"):
        load_dataset("shades-mnist", skw=0.1)


def _idx_gz(path, magic: int, array) -> None:
    """An MNIST idx file, gzipped: magic, sizes, then the bytes (LeCun's format)."""
    import gzip
    import struct

    with gzip.open(path, "wb") as fh:
        fh.write(struct.pack(">" + "I" * (1 + array.ndim), magic, *array.shape))
        fh.write(array.astype("uint8").tobytes())


def test_mnist_files_straight_in_the_data_folder_are_read_and_the_folder_left_as_it_was(tmp_path):
    """As the MNIST site and ../shared/data ship them: no MNIST/raw folder. The archives are
    extracted elsewhere, so a read-only data folder works and is not changed."""
    import numpy as np

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (100, 28, 28)), np.arange(100) % 10
    _idx_gz(tmp_path / "t10k-images-idx3-ubyte.gz", 2051, images)
    _idx_gz(tmp_path / "t10k-labels-idx1-ubyte.gz", 2049, labels)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    data = load_dataset("mnist", data_dir=tmp_path, download=False, test_only=True,
                        test_share=1.0)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert sorted(data.test.y.tolist()) == sorted(labels.tolist())
    assert sorted(data.test.x.flatten(1).mul(255).round().sum(1).tolist()) == sorted(
        images.reshape(100, -1).sum(1).astype(float).tolist())
