"""A predictions source on disk: one file, a glob or a folder of Parquet or CSV files.

Resolved once, before any engine reads a row, so every engine reads the same files in the same
order, and a bad source (nothing matches, mixed formats, a file missing a column, two files
disagreeing on a column's type) is refused with one sentence naming the file and the column.
"""

from __future__ import annotations

import csv
import glob
import os
from dataclasses import dataclass
from pathlib import Path

from nnaudit.errors import UserInputError

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".txt": "csv"}
GLOB_CHARACTERS = set("*?[")

# Column kinds the SQL text distinguishes (each engine maps its own types onto them); any other
# type keeps its engine's name (a timestamp, a list, a struct) and is refused by `check_schemas`.
NUMBER_KINDS = frozenset({"integer", "float", "decimal"})
READABLE_KINDS = NUMBER_KINDS | {"boolean", "string"}


@dataclass(frozen=True)
class PredictionFiles:
    """The files of a predictions source, sorted, all of one format.

    source: what the user gave (shown in messages); name: a short name for the run directory
    (the file's stem, the folder's name, or the glob's folder).
    """

    source: str
    name: str
    files: tuple[Path, ...]
    format: str

    def describe(self, file: Path | None = None) -> str:
        """The source in a message, or one of its files when there are several."""
        if file is None or len(self.files) == 1:
            return self.source
        return str(file)


def find_prediction_files(source: Path | str) -> PredictionFiles:
    """The Parquet or CSV files named by ``source``: a file, a glob, or a folder (searched
    recursively, so a partitioned dataset's folder works). A file reached twice (a symbolic
    link beside its target, a link loop under ``**``) is read once."""
    text = str(source)
    path = Path(text)
    if GLOB_CHARACTERS & set(text):
        files = [Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()]
        if not files:
            raise UserInputError(f"No file matches {text}.")
        name = _glob_folder(path).name or "predictions"
    elif path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS
                 and not _hidden(p.relative_to(path))]
        if not files:
            raise UserInputError(f"Folder {text} holds no Parquet (.parquet) or CSV (.csv) file.")
        name = path.resolve().name
    elif path.is_file():
        files, name = [path], path.stem
    elif path.exists():
        raise UserInputError(f"Predictions file {text} is not a regular file (a device, a pipe "
                             "or a socket), so it is not read.")
    else:
        raise UserInputError(f"Predictions file {text} does not exist.")
    files = _once_each(sorted(files, key=str))
    formats = {FORMATS.get(p.suffix.lower()) for p in files}
    if None in formats:
        odd = next(p for p in files if p.suffix.lower() not in FORMATS)
        raise UserInputError(f"{odd} is neither CSV (.csv) nor Parquet (.parquet).")
    if len(formats) > 1:
        raise UserInputError(f"{text} mixes Parquet and CSV files; point it at one format.")
    file_format = formats.pop()
    for file in files:
        _check_unique_header(file, file_format)
    return PredictionFiles(text, name, tuple(files), file_format)


def _once_each(files: list[Path]) -> list[Path]:
    """The first of the files that share a real path (symbolic links resolved)."""
    seen: set[str] = set()
    kept = []
    for file in files:
        real = os.path.realpath(file)
        if real not in seen:
            seen.add(real)
            kept.append(file)
    return kept


def _check_unique_header(file: Path, file_format: str) -> None:
    """Two columns of one name would be read as the first one silently: refused."""
    try:
        if file_format == "parquet":
            import pyarrow.parquet as pq

            names = pq.read_schema(file).names
        else:
            with open(file, newline="", encoding="utf-8", errors="replace") as fh:
                names = [n.strip() for n in next(csv.reader(fh), [])]
    except Exception:  # unreadable: the engine that reads it names the problem
        return
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UserInputError(f"{file} has two columns named {name!r}; rename one so each "
                                 "column has its own name.")
        seen.add(name)


def check_schemas(files: PredictionFiles, schemas: dict[Path, dict[str, str]],
                  columns: list[str], *, score: str | None = None) -> None:
    """Every file has every needed column, of one kind across files (numbers mix freely).

    ``schemas``: file -> column -> kind (``integer``, ``float``, ``decimal``, ``boolean``,
    ``string`` or ``other``). The ``score`` column may be text in some files: its values are
    read as numbers, and the first that is not one is named (a file of scores becomes text
    when a single value is "high").
    """
    for column in columns:
        missing = [f for f in files.files if column not in schemas[f]]
        if len(missing) == len(files.files):
            found = schemas[files.files[0]]
            if files.format == "csv" and len(found) == 1 and "," in next(iter(found)):
                # the sniffer found no consistent delimiter: rows disagree with the header
                raise UserInputError(f"{files.files[0]} could not be read as CSV: its rows do "
                                     "not all have as many fields as its header "
                                     f"({next(iter(found))}).")
            raise UserInputError(f"Column {column!r} not found in {files.source} "
                                 f"(its columns: {', '.join(found)}).")
        if missing:
            raise UserInputError(f"{missing[0]} has no column {column!r}, which the other files "
                                 f"of {files.source} have.")
        odd_type = next((f for f in files.files
                          if schemas[f][column] not in READABLE_KINDS), None)
        if odd_type is not None:
            raise UserInputError(f"Column {column!r} of {odd_type} holds {schemas[odd_type][column]}"
                                 " values; a label, prediction, score or group column must hold "
                                 "numbers, booleans or text.")
        if column == score:
            continue
        family = {f: _family(schemas[f][column]) for f in files.files}
        first = files.files[0]
        odd = next((f for f in files.files if family[f] != family[first]), None)
        if odd is not None:
            raise UserInputError(f"Column {column!r} holds {family[odd]} in {odd} but "
                                 f"{family[first]} in {first}; the files' schemas differ.")


def _family(kind: str) -> str:
    return "numbers" if kind in NUMBER_KINDS else {"boolean": "booleans", "string": "text"}[kind]


def _glob_folder(pattern: Path) -> Path:
    """The deepest folder of a glob pattern without glob characters."""
    parts = []
    for part in pattern.parts:
        if GLOB_CHARACTERS & set(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def _hidden(relative: Path) -> bool:
    """Files a writer leaves beside its data (``_SUCCESS``, ``.crc``, temporary files)."""
    return any(part.startswith((".", "_")) for part in relative.parts)
