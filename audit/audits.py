"""The audits, what each needs, and the order they run in.

Every audit declares its needs (`Need`): the fairness table needs predictions only; saliency a
model whose gradients reach its inputs; the membership attack a model and the examples it was
trained on; the random-label test a factory of fresh models and training data, because it
retrains. The pipeline runs the audits its inputs allow and records the others as skipped with
the reason ("the random-label test retrains the model: give a factory, ..."). One registry serves
`nnaudit run` (a model nnaudit trains), `nnaudit audit` (a model the user brings) and black-box
runs (a predictions file), and orders the audits from their declared ``uses``.

This module is the registry only and imports the standard library alone: the config and the CLI
read audit names from it. It names each audit's module as a string and imports none: an audit
module (``nnaudit.fairness``, ``nnaudit.generalization.memorization``, ...) exposes
``run(inputs: nnaudit.inputs.AuditInputs) -> AuditResult`` and ``TABLES`` (its table schemas),
and `AuditSpec.entry` imports it when the audit runs (docs/ARCHITECTURE.md says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from importlib import import_module
from typing import TYPE_CHECKING, Iterable, Mapping, Protocol

from nnaudit.errors import UserInputError
from nnaudit.messages import N_

if TYPE_CHECKING:
    from nnaudit.inputs import AuditInputs
    from nnaudit.results import AuditResult
    from nnaudit.schema import TableSchema


class Need(str, Enum):
    """What an audit can require of its inputs."""

    PREDICTIONS = "predictions"      # labels and predictions of the test examples
    GROUPS = "groups"                # at least one sensitive attribute per test example
    MODEL = "model"                  # a model to run on inputs it has not seen
    GRADIENTS = "gradients"          # a model whose gradients reach its inputs
    FACTORY = "factory"              # fresh, untrained copies of the architecture
    TRAINING_DATA = "training data"  # the training split
    TEST_INPUTS = "test inputs"      # the test split's inputs in memory
    MEMBERS = "members"              # which examples the model was trained on


# Phrases of the skip reasons, translated by the reports (`nnaudit.reports.i18n.translate_reason`).
WHY_MISSING = {
    Need.PREDICTIONS: N_("needs the model's predictions"),
    Need.GROUPS: N_("needs at least one sensitive attribute, and this dataset has none (see "
                    "docs/datasets.md: attributes='shades', a metadata CSV's columns, ...)"),
    Need.MODEL: N_("needs the model itself, which a predictions file does not have"),
    Need.GRADIENTS: N_("needs gradients from the model's output to its inputs, which this "
                       "model does not give"),
    Need.FACTORY: N_("retrains the model: give a factory (a run directory or module:callable), "
                     "not only weights or an exported file"),
    Need.TRAINING_DATA: N_("needs the training split of the dataset"),
    Need.TEST_INPUTS: N_("needs the test split's inputs in memory, and this dataset only "
                         "streams them"),
    Need.MEMBERS: N_("needs the examples the model was trained on: audit a run on its own "
                     "dataset, or say the dataset's training split is the model's "
                     "(--trained-on-dataset)"),
}
_MODEL_NEEDS = {Need.MODEL, Need.GRADIENTS, Need.FACTORY}


class AuditModule(Protocol):
    """What every audit module offers: its one entry point and its declared tables."""

    TABLES: Mapping[str, "TableSchema"]

    def run(self, inputs: "AuditInputs") -> "AuditResult": ...


@dataclass(frozen=True)
class AuditSpec:
    """One audit as the pipeline sees it.

    name:   the audit's folder in the run directory and its key in the manifest.
    what:   the audit in a few words, the subject of its skip reason.
    needs:  what its inputs must offer for it to run.
    module: the audit's module (an `AuditModule`: ``run`` and ``TABLES``), imported on use.
    uses:   audits whose results it reads when they ran in the same run (it runs after them).
    """

    name: str
    what: str
    needs: frozenset[Need]
    module: str
    uses: tuple[str, ...] = ()

    def entry(self) -> AuditModule:
        """The audit's module: ``entry().run(inputs)`` runs it, ``entry().TABLES`` its tables."""
        return import_module(self.module)  # type: ignore[return-value]

    def missing(self, have: set[Need]) -> str | None:
        """Why the audit cannot run with ``have``, or None when it can."""
        lacking = [need for need in Need if need in self.needs and need not in have]
        if not lacking:
            return None
        if lacking[0] in _MODEL_NEEDS and not have & {Need.MODEL, Need.FACTORY}:
            return f"{self.what} {WHY_MISSING[Need.MODEL]}"
        return f"{self.what} {WHY_MISSING[lacking[0]]}"


AUDITS: tuple[AuditSpec, ...] = (
    AuditSpec("fairness", N_("the subgroup table"), frozenset({Need.PREDICTIONS, Need.GROUPS}),
              "nnaudit.fairness"),
    AuditSpec("memorization", N_("the random-label test"),
              frozenset({Need.FACTORY, Need.TRAINING_DATA}),
              "nnaudit.generalization.memorization"),
    AuditSpec("membership", N_("the membership attack"), frozenset({Need.MODEL, Need.MEMBERS}),
              "nnaudit.generalization.membership", uses=("memorization",)),
    AuditSpec("seed_stability", N_("the seed-stability test"),
              frozenset({Need.FACTORY, Need.TRAINING_DATA}),
              "nnaudit.generalization.seed_stability"),
    AuditSpec("gradient_health", N_("the gradient-health check"),
              frozenset({Need.GRADIENTS, Need.TRAINING_DATA}),
              "nnaudit.generalization.gradient_health"),
    AuditSpec("saliency", N_("the saliency audit"), frozenset({Need.GRADIENTS, Need.TEST_INPUTS}),
              "nnaudit.saliency", uses=("memorization",)),
    # Corruptions need the model only; the attacks, which need gradients, are skipped inside
    # the audit (with the reason) for a model that gives none.
    AuditSpec("robustness", N_("the robustness audit"), frozenset({Need.MODEL, Need.TEST_INPUTS}),
              "nnaudit.robustness"),
    # Not a default: it slices the columns that travel with the predictions (`nnaudit slices`
    # searches every column of a predictions file).
    AuditSpec("slices", N_("the slice search"), frozenset({Need.PREDICTIONS, Need.GROUPS}),
              "nnaudit.slices"),
)
BY_NAME = {spec.name: spec for spec in AUDITS}
# Results written by the pipeline itself rather than by a registered audit: the energy audit
# reads the meter that wrapped every phase, so it is written last, outside the registry; the
# mitigation audit compares a remedied run with its base run (`nnaudit.mitigation`).
_OTHER_TABLES = {"energy": "nnaudit.energy", "mitigation": "nnaudit.mitigation"}
# Names that select several audits at once (`--audits generalization`).
GROUPS = {"generalization": ("memorization", "membership", "seed_stability", "gradient_health")}
DEFAULT_AUDITS = ("fairness", "generalization", "saliency", "robustness")


def expand_audit_names(names: Iterable[str]) -> list[str]:
    """Audit names with groups expanded, in registry order; an unknown name is refused."""
    chosen: set[str] = set()
    for name in names:
        if name in GROUPS:
            chosen.update(GROUPS[name])
        elif name in BY_NAME:
            chosen.add(name)
        else:
            raise UserInputError(f"unknown audit {name!r} in audits.run; choose from: "
                                 f"{', '.join([*BY_NAME, *GROUPS])}.")
    return [spec.name for spec in AUDITS if spec.name in chosen]


def table_schemas(audit: str) -> Mapping[str, "TableSchema"]:
    """The declared schemas (`nnaudit.schema.TableSchema`) of an audit's tables, by table name:
    what the pipeline hands `nnaudit.store.RunWriter.write_audit`."""
    if audit in BY_NAME:
        return BY_NAME[audit].entry().TABLES
    if audit in _OTHER_TABLES:
        return import_module(_OTHER_TABLES[audit]).TABLES
    raise KeyError(f"audit {audit!r} declares no tables: add it to nnaudit.audits")


def run_order(names: Iterable[str]) -> list[AuditSpec]:
    """The chosen audits, each after the chosen audits it uses (registry order otherwise)."""
    pending = [BY_NAME[n] for n in expand_audit_names(names)]
    chosen = {spec.name for spec in pending}
    ordered: list[AuditSpec] = []
    while pending:
        done = {spec.name for spec in ordered}
        ready = next((s for s in pending if all(u in done or u not in chosen for u in s.uses)),
                     None)
        if ready is None:
            raise RuntimeError(f"audits {[s.name for s in pending]} use each other in a cycle")
        ordered.append(ready)
        pending.remove(ready)
    return ordered
