"""Tabular CSV datasets, and the UCI Adult and German credit presets.

Categorical columns are one-hot encoded and numeric columns standardized by a scikit-learn
`ColumnTransformer` fitted on the training split only, so no statistic of the validation or
test rows leaks into the inputs. Sensitive columns stay out of the inputs unless
``include_sensitive`` is true; they always travel in ``Split.groups``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from nnaudit.data._bands import numeric_bands
from nnaudit.data.dataset import (AuditDataset, Split, check_classes, make_card, read_csv,
                                require_columns, sensitive_groups, stratified_indices)
from nnaudit.errors import UserInputError

ADULT_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
                 "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
                 "hours-per-week", "native-country", "income"]


def _read_csv(path: Path, **read_options) -> pd.DataFrame:
    return read_csv(path, skipinitialspace=True, **read_options)


def _build(name: str, frame: pd.DataFrame, test_frame: pd.DataFrame | None, *, where: str,
           target: str, sensitive: Sequence[str], positive: str | None, include_sensitive: bool,
           test_size: float, val_size: float, categorical: Sequence[str] | None,
           bins: dict | None, drop: Sequence[str], seed: int, card: dict) -> AuditDataset:
    """Split, encode and package ``frame`` (and ``test_frame``, an official test set, if any)."""
    sensitive = list(sensitive)
    for part, part_where in ((frame, where), (test_frame, f"the test file of {where}")):
        if part is not None:
            require_columns(part, [target, *sensitive, *drop], part_where)
    features = [c for c in frame.columns
                if c not in {target, *drop} and (include_sensitive or c not in sensitive)]
    if not features:
        raise UserInputError(f"{where} has no feature column left besides the target and sensitive columns.")
    whole = frame if test_frame is None else pd.concat([frame, test_frame], ignore_index=True)
    missing = [c for c in features if whole[c].isna().any()]
    if missing:
        raise UserInputError(
            f"{where} has missing values (NaN) in feature column {missing[0]!r}; fill or drop them first.")
    if whole[target].isna().any():
        raise UserInputError(
            f"the target column {target!r} of {where} has {int(whole[target].isna().sum())} "
            "missing values (NaN); fill or drop those rows first.")
    labels = whole[target].astype(str).str.strip().to_numpy()
    classes = check_classes(labels, f"column {target!r} of {where}")
    if positive is not None and str(positive) not in classes:
        raise UserInputError(
            f"positive class {positive!r} is not a value of {target!r} in {where}; its values are: "
            f"{', '.join(classes)}.")
    y_all = np.searchsorted(classes, labels)
    bins, banded = numeric_bands(whole, sensitive, bins, where)
    card = {**card, "attributes": {c: card["attributes"].get(c, c)
                                   + (f", {banded[c]}" if c in banded else "")
                                   for c in sensitive}} if banded else card

    if test_frame is None:
        train_idx, val_idx, test_idx = stratified_indices(y_all, test_size, val_size, seed,
                                                          classes=classes, where=where)
    else:
        n = len(frame)
        train_idx, val_idx = train_test_split(np.arange(n), test_size=val_size,
                                              stratify=y_all[:n], random_state=seed)
        train_idx, val_idx = np.sort(train_idx), np.sort(val_idx)
        test_idx = np.arange(n, len(whole))

    if categorical is None:
        categorical = [c for c in features if not pd.api.types.is_numeric_dtype(whole[c])]
    else:
        require_columns(whole, categorical, where)
    numeric = [c for c in features if c not in categorical]
    encoder = ColumnTransformer(
        [("numeric", StandardScaler(), numeric),
         ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
          [c for c in features if c in categorical])],
        verbose_feature_names_out=False)
    # Fitted on the training rows only: validation and test statistics must not leak in.
    encoder.fit(whole.iloc[train_idx][features].astype({c: str for c in categorical}))

    splits = {}
    for split_name, index in (("train", train_idx), ("val", val_idx), ("test", test_idx)):
        rows = whole.iloc[index]
        x = encoder.transform(rows[features].astype({c: str for c in categorical}))
        splits[split_name] = Split(
            x=torch.as_tensor(x, dtype=torch.float32),
            y=torch.as_tensor(y_all[index], dtype=torch.int64),
            groups=sensitive_groups(rows.reset_index(drop=True), sensitive, bins, where))
    card = make_card(name, splits=splits, **card, simulated_attributes=False,
                     features=list(encoder.get_feature_names_out()), target=target,
                     sensitive_in_inputs=include_sensitive)
    return AuditDataset(name, splits["train"], splits["val"], splits["test"], classes=classes,
                        sensitive=sensitive, card=card, positive_class=positive)


def load_csv(*, seed: int = 0, data_dir: Path | None = None, path: str | None = None,
             target: str | None = None, sensitive: Sequence[str] = (), positive: str | None = None,
             include_sensitive: bool = False, test_size: float = 0.2, val_size: float = 0.1,
             categorical: Sequence[str] | None = None, bins: dict | None = None,
             drop: Sequence[str] = ()) -> AuditDataset:
    """A tabular CSV: ``target`` column, ``sensitive`` columns, every other column a feature.

    ``path`` is read relative to ``data_dir`` when relative. Categorical columns are detected
    from their type unless ``categorical`` lists them; ``bins`` turns numeric sensitive
    columns into bands; ``drop`` lists columns to ignore.
    """
    if path is None or target is None:
        raise UserInputError("the 'csv' dataset needs the options 'path' and 'target'.")
    file = Path(path).expanduser()
    if data_dir is not None and not file.is_absolute():
        file = data_dir / file
    frame = _read_csv(file)
    card = dict(source=str(file), citation="user-supplied CSV", license="as supplied",
                attributes={c: f"column {c!r} of the CSV" for c in sensitive},
                limits=["Sensitive attributes are as recorded in the CSV; their definition and "
                        "quality are the data owner's."])
    return _build("csv", frame, None, where=repr(str(file)), target=target, sensitive=sensitive,
                  positive=positive, include_sensitive=include_sensitive, test_size=test_size,
                  val_size=val_size, categorical=categorical, bins=bins, drop=drop, seed=seed,
                  card=card)


def _require_data_dir(data_dir: Path | None, name: str, files: list[str]) -> Path:
    if data_dir is None:
        raise UserInputError(f"the {name!r} dataset needs data_dir, the folder holding {', '.join(files)}.")
    folder = data_dir / name if (data_dir / name / files[0]).is_file() else data_dir
    absent = [f for f in files if not (folder / f).is_file()]
    if absent:
        raise UserInputError(
            f"{absent[0]!r} is not in {str(folder)!r}; put the UCI {name} files "
            f"({', '.join(files)}) there (or in a {name}/ subfolder).")
    return folder


def load_adult(*, seed: int = 0, data_dir: Path | None = None,
               sensitive: Sequence[str] = ("sex", "race"), include_sensitive: bool = False,
               val_size: float = 0.1) -> AuditDataset:
    """UCI Adult: predict income >50K; official test file as the test split."""
    folder = _require_data_dir(data_dir, "adult", ["adult.data", "adult.test"])
    train = _read_csv(folder / "adult.data", header=None, names=ADULT_COLUMNS)
    # adult.test starts with a header (or UCI's '|1x3 Cross validator' line) and its labels end in '.'.
    test = _read_csv(folder / "adult.test", header=None, names=ADULT_COLUMNS, skiprows=1)
    test["income"] = test["income"].astype(str).str.rstrip(".")
    card = dict(source="UCI Adult / Census Income (adult.data, adult.test)",
                citation="Becker & Kohavi, Adult, UCI Machine Learning Repository (1996)",
                license="CC BY 4.0",
                attributes={"sex": "as recorded by the 1994 US census (Female, Male)",
                            "race": "as recorded by the 1994 US census (5 categories)"},
                limits=["1994 US census extract: the income threshold and the populations are dated.",
                        "Missing values are coded '?' and kept as their own category.",
                        "Few rows for some race categories: their error rates have wide intervals."])
    return _build("adult", train, test, where="adult.data", target="income", sensitive=sensitive,
                  positive=">50K", include_sensitive=include_sensitive, test_size=0.0,
                  val_size=val_size, categorical=None, bins=None, drop=(), seed=seed, card=card)


def load_german(*, seed: int = 0, data_dir: Path | None = None,
                sensitive: Sequence[str] = ("sex", "age"), include_sensitive: bool = False,
                test_size: float = 0.2, val_size: float = 0.1) -> AuditDataset:
    """UCI Statlog German credit: predict good or bad credit risk."""
    folder = _require_data_dir(data_dir, "german", ["german.data"])
    file = folder / "german.data"
    # The header line is comma-separated (with a leading placeholder name); rows are space-separated.
    names = [n.strip() for n in file.open().readline().split(",")]
    frame = _read_csv(file, sep=" ", header=None, skiprows=1)
    names = names[-frame.shape[1]:]
    frame.columns = names
    status = frame.pop("Personal status and sex")
    # Codes of attribute 9: A92 and A95 are the female categories.
    frame["sex"] = np.where(status.isin(["A92", "A95"]), "female", "male")
    frame["age"] = frame.pop("Age in years")
    frame["credit"] = frame.pop("Customer class").map({1: "good", 2: "bad"})
    card = dict(source="UCI Statlog German Credit (german.data)",
                citation="Hofmann, Statlog (German Credit Data), UCI Machine Learning Repository (1994)",
                license="CC BY 4.0",
                attributes={"sex": "derived from 'Personal status and sex' (A92, A95 = female); "
                                   "that column is dropped since it encodes sex",
                            "age": "'Age in years' in bands 0-26 and 26-120 (under 26 or not), "
                                   "as in Kamiran & Calders 2009"},
                limits=["1,000 rows: subgroup error rates have wide intervals.",
                        "Sex is inferred from a combined marital-status code; single women are "
                        "not distinguished from divorced or married ones."])
    return _build("german", frame, None, where=repr(str(file)), target="credit",
                  sensitive=sensitive, positive="good", include_sensitive=include_sensitive,
                  test_size=test_size, val_size=val_size, categorical=None,
                  bins={"age": [0, 26, 120]} if "age" in sensitive else None, drop=(),
                  seed=seed, card=card)
