"""The audits, what each needs, and the order they run in.

Every audit declares its needs (`Need`): the fairness table needs predictions only; saliency a
model whose gradients reach its inputs; the membership attack a model and the examples it was
trained on; the random-label test a factory of fresh models and training data, because it
retrains. The pipeline runs the audits its inputs allow and records the others as skipped with
the reason ("the random-label test retrains the model: give a factory, ..."). One registry serves
`nnaudit run` (a model nnaudit trains), `nnaudit audit` (a model the user brings) and black-box
runs (a predictions file), and orders the audits from their declared ``uses``.

This module imports no heavy library: the config and the CLI read audit names from it. Each
audit's code is imported when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from importlib import import_module
from typing import TYPE_CHECKING, Any, Callable, Iterable

from nnaudit.errors import UserInputError
from nnaudit.messages import N_

if TYPE_CHECKING:
    import torch

    from nnaudit.config import RunConfig
    from nnaudit.data import AuditDataset
    from nnaudit.models import ModelFactory
    from nnaudit.results import AuditResult


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


@dataclass(frozen=True)
class AuditSpec:
    """One audit as the pipeline sees it.

    name:   the audit's folder in the run directory and its key in the manifest.
    what:   the audit in a few words, the subject of its skip reason.
    needs:  what its inputs must offer for it to run.
    runner: ``"module:function"``, a function ``(AuditInputs) -> AuditResult``.
    uses:   audits whose results it reads when they ran in the same run (it runs after them).
    tables: ``"module:NAME"`` of its table schemas (``nnaudit.schema``), checked when written.
    """

    name: str
    what: str
    needs: frozenset[Need]
    runner: str
    tables: str
    uses: tuple[str, ...] = ()

    def load_runner(self) -> Callable[["AuditInputs"], "AuditResult"]:
        return _load(self.runner)

    def load_tables(self) -> dict[str, Any]:
        return _load(self.tables)

    def missing(self, have: set[Need]) -> str | None:
        """Why the audit cannot run with ``have``, or None when it can."""
        lacking = [need for need in Need if need in self.needs and need not in have]
        if not lacking:
            return None
        if lacking[0] in _MODEL_NEEDS and not have & {Need.MODEL, Need.FACTORY}:
            return f"{self.what} {WHY_MISSING[Need.MODEL]}"
        return f"{self.what} {WHY_MISSING[lacking[0]]}"


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


_GENERALIZATION = "nnaudit.generalization"
AUDITS: tuple[AuditSpec, ...] = (
    AuditSpec("fairness", N_("the subgroup table"), frozenset({Need.PREDICTIONS, Need.GROUPS}),
              "nnaudit.audits:run_fairness", "nnaudit.fairness:TABLES"),
    AuditSpec("memorization", N_("the random-label test"),
              frozenset({Need.FACTORY, Need.TRAINING_DATA}),
              "nnaudit.audits:run_memorization", f"{_GENERALIZATION}:MEMORIZATION_TABLES"),
    AuditSpec("membership", N_("the membership attack"), frozenset({Need.MODEL, Need.MEMBERS}),
              "nnaudit.audits:run_membership", f"{_GENERALIZATION}:MEMBERSHIP_TABLES",
              uses=("memorization",)),
    AuditSpec("seed_stability", N_("the seed-stability test"),
              frozenset({Need.FACTORY, Need.TRAINING_DATA}),
              "nnaudit.audits:run_seed_stability", f"{_GENERALIZATION}:SEED_TABLES"),
    AuditSpec("gradient_health", N_("the gradient-health check"),
              frozenset({Need.GRADIENTS, Need.TRAINING_DATA}),
              "nnaudit.audits:run_gradient_health", f"{_GENERALIZATION}:GRADIENT_TABLES"),
    AuditSpec("saliency", N_("the saliency audit"), frozenset({Need.GRADIENTS, Need.TEST_INPUTS}),
              "nnaudit.audits:run_saliency", "nnaudit.saliency:TABLES", uses=("memorization",)),
    # Corruptions need the model only; the attacks, which need gradients, are skipped inside
    # the audit (with the reason) for a model that gives none.
    AuditSpec("robustness", N_("the robustness audit"), frozenset({Need.MODEL, Need.TEST_INPUTS}),
              "nnaudit.audits:run_robustness", "nnaudit.robustness:TABLES"),
    # Not a default: it slices the columns that travel with the predictions (`nnaudit slices`
    # searches every column of a predictions file).
    AuditSpec("slices", N_("the slice search"), frozenset({Need.PREDICTIONS, Need.GROUPS}),
              "nnaudit.slices:run", "nnaudit.slices:TABLES"),
)
BY_NAME = {spec.name: spec for spec in AUDITS}
# Results written by the pipeline itself rather than by a registered audit: the energy audit
# reads the meter that wrapped every phase, so it is written last, outside the registry; the
# mitigation audit compares a remedied run with its base run (`nnaudit.mitigation`).
_OTHER_TABLES = {"energy": "nnaudit.energy:TABLES", "mitigation": "nnaudit.mitigation:TABLES"}
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


def table_schemas(audit: str) -> dict[str, Any]:
    """The declared schemas (`nnaudit.schema.TableSchema`) of an audit's tables, by table name."""
    if audit in BY_NAME:
        return BY_NAME[audit].load_tables()
    if audit in _OTHER_TABLES:
        return _load(_OTHER_TABLES[audit])
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


# --- what an audit receives --------------------------------------------------------------------

@dataclass
class AuditInputs:
    """Everything the pipeline has for the audits of one run; any part may be missing.

    predictions: the test predictions counted per intersection cell: an object with
                 ``counts`` (`nnaudit.fairness.CellCounts`), ``attributes`` and
                 ``training_groups`` (`nnaudit.pipeline.ModelPredictions`,
                 `nnaudit.engines.CountedPredictions`).
    model:       the trained model to audit (eval mode), or None.
    factory:     fresh untrained copies of its architecture, or None.
    trained_on_train_split: the model was trained on ``dataset.train`` (membership attack).
    reference_accuracy: the model's accuracy on its own test split, when ``dataset`` is another
                 one (the robustness audit compares the two: a shift).
    results:     the audits that already ran, by name.
    compute:     where the audits that retrain run their trainings (`nnaudit.compute`);
                 None: in this process.
    """

    config: "RunConfig"
    device: "torch.device | None" = None
    dataset: "AuditDataset | None" = None
    predictions: Any = None
    model: "torch.nn.Module | None" = None
    factory: "ModelFactory | None" = None
    trained_on_train_split: bool = False
    reference_accuracy: float | None = None
    results: dict[str, "AuditResult"] = field(default_factory=dict)
    compute: Any = None

    def available(self) -> set[Need]:
        have = set()
        if self.predictions is not None:
            have.add(Need.PREDICTIONS)
            if self.predictions.attributes:
                have.add(Need.GROUPS)
        if self.model is not None:
            have.add(Need.MODEL)
            if self.dataset is not None and self.dataset.test.x is not None and \
                    _input_gradients(self.model, self.dataset.test.x[:1], self.device):
                have.add(Need.GRADIENTS)
        if self.factory is not None:
            have.add(Need.FACTORY)
        if self.dataset is not None:
            if len(self.dataset.train) > 0:
                have.add(Need.TRAINING_DATA)
            if self.dataset.test.x is not None:
                have.add(Need.TEST_INPUTS)
            if self.trained_on_train_split and self.model is not None:
                have.add(Need.MEMBERS)
        return have


def _input_gradients(model, x, device) -> bool:
    """Does a backward pass from the model's output reach its input?"""
    import torch

    x = x.to(device).clone().requires_grad_(True)
    try:
        with torch.enable_grad():
            model(x).float().sum().backward()
    except (RuntimeError, TypeError, NotImplementedError):
        return False
    finally:
        model.zero_grad(set_to_none=True)
    return x.grad is not None


# --- how the pipeline calls each audit ---------------------------------------------------------

def run_fairness(inputs: AuditInputs) -> "AuditResult":
    from nnaudit.fairness import fairness_audit_counts

    options = inputs.config.fairness
    return fairness_audit_counts(inputs.predictions.counts, min_group_size=options.min_group_size,
                                 n_boot=options.n_boot, seed=inputs.config.seed,
                                 training_groups=inputs.predictions.training_groups)


def run_memorization(inputs: AuditInputs) -> "AuditResult":
    from nnaudit.generalization import memorization_audit

    return memorization_audit(inputs.dataset, inputs.factory, inputs.config.train, inputs.device,
                              protocol=inputs.config.audits.protocol, seed=inputs.config.seed,
                              compute=inputs.compute)


def run_membership(inputs: AuditInputs) -> "AuditResult":
    from nnaudit.generalization import membership_audit

    return membership_audit(inputs.model, inputs.dataset, inputs.device,
                            protocol=inputs.config.audits.protocol, seed=inputs.config.seed,
                            memorization=inputs.results.get("memorization"))


def run_seed_stability(inputs: AuditInputs) -> "AuditResult":
    from nnaudit.generalization import seed_stability_audit

    return seed_stability_audit(inputs.dataset, inputs.factory, inputs.config.train,
                                inputs.device, protocol=inputs.config.audits.protocol,
                                seed=inputs.config.seed, compute=inputs.compute)


def run_gradient_health(inputs: AuditInputs) -> "AuditResult":
    from nnaudit.generalization import gradient_health_audit

    return gradient_health_audit(inputs.dataset, inputs.factory or inputs.model,
                                 inputs.config.train, inputs.device,
                                 protocol=inputs.config.audits.protocol, seed=inputs.config.seed)


def run_saliency(inputs: AuditInputs) -> "AuditResult":
    from nnaudit.saliency import saliency_audit

    options = inputs.config.saliency
    memorization = inputs.results.get("memorization")
    return saliency_audit(inputs.model, inputs.dataset, inputs.device,
                          n_examples=options.n_examples, methods=options.methods or None,
                          seed=inputs.config.seed, protocol=inputs.config.audits.protocol,
                          random_label_model=memorization.models.get("random_labels")
                          if memorization is not None else None)


def run_robustness(inputs: AuditInputs) -> "AuditResult":
    from nnaudit.robustness import robustness_audit

    options = inputs.config.robustness
    attacks = [] if options.attacks == ["none"] else options.attacks or None
    return robustness_audit(inputs.model, inputs.dataset.test, inputs.dataset.classes,
                            inputs.device, protocol=inputs.config.audits.protocol,
                            corruptions=options.corruptions or None,
                            severities=options.severities or None, attacks=attacks,
                            radii=options.radii or None, n_examples=options.n_examples or None,
                            seed=inputs.config.seed,
                            reference_accuracy=inputs.reference_accuracy)
