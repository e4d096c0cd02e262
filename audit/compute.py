"""Where the audits' independent trainings run: in this process, or as Ray tasks.

The audits that retrain the architecture (memorization: the label-noise sweep, random pixels,
each regularizer row of the ablation; seed stability: the seeds) describe their trainings as
`TrainingJob`s, each a stack of models that `nnaudit.train.train_many` trains together, and
hand the list to a backend, which returns one `ManyResult` per job, in order:

- `LocalBackend` (``compute.backend = "local"``, the default) runs them one after another in
  this process, on the run's device;
- `RayBackend` (``"ray"``) runs each job as a Ray task, on a Ray it starts for the run or on
  the cluster at ``compute.address``, each task on ``compute.gpus_per_task`` GPUs when the
  run's device is CUDA.

Both run the same jobs with the same code and seeds, and a job leaves its caller's random
state as it found it, so the results do not depend on the backend (identical on CPUs, which a
test checks). A job that fails raises an error naming its audit and condition. A task that ran
on another machine measured its energy there (`nnaudit.energy.EnergyMeter`) and hands the
record back with its result, for the run's energy audit to add; a task on the run's own machine
is already inside the measured phase of the audit that waits for it.

What spreads out is the jobs; one job's training does not (that is data parallelism,
torchrun/DDP: docs/scale.md).
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

import torch

from nnaudit.config import ComputeConfig, EnergyConfig, TrainConfig, ray_host_port
from nnaudit.errors import ServiceUnavailable, UserInputError, one_line
from nnaudit.models import ModelFactory
from nnaudit.train import ManyResult, train_many

ProgressCallback = Callable[[int, int], None]  # (jobs done, jobs in all)


@dataclass(frozen=True)
class TrainingJob:
    """One independent training of an audit: the arguments of one `train_many` call.

    ``audit`` and ``condition`` ("label noise 0, 0.5, 1", "regularizers: weight decay") name
    it in progress and in errors.
    """

    audit: str
    condition: str
    factory: ModelFactory
    x: torch.Tensor
    ys: torch.Tensor
    config: TrainConfig
    seeds: tuple[int, ...]
    x_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None
    track_train_acc: bool = True
    stop_at_train_acc: float | None = None
    test_every_epoch: bool | tuple[int, ...] = True

    def run(self, device: torch.device | str) -> ManyResult:
        """Train on ``device``; the global random state is restored afterwards, so what runs
        next in this process does not depend on whether the job ran here or elsewhere."""
        device = torch.device(device)
        cuda = [device.index if device.index is not None else torch.cuda.current_device()] \
            if device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            return train_many(self.factory, self.x, self.ys, config=self.config, device=device,
                              x_test=self.x_test, y_test=self.y_test, seeds=list(self.seeds),
                              track_train_acc=self.track_train_acc,
                              stop_at_train_acc=self.stop_at_train_acc,
                              test_every_epoch=self.test_every_epoch)


class TrainingFailed(RuntimeError):
    """A job's training raised: the message names the audit, the condition and the error."""


class Backend(Protocol):
    name: str

    def run(self, jobs: Sequence[TrainingJob]) -> list[ManyResult]: ...

    def close(self) -> None: ...


class LocalBackend:
    """The jobs one after another, in this process, on ``device``."""

    name = "local"

    def __init__(self, device: torch.device | str, *, on_progress: ProgressCallback | None = None):
        self.device, self.on_progress = torch.device(device), on_progress

    def run(self, jobs: Sequence[TrainingJob]) -> list[ManyResult]:
        results = []
        for job in jobs:
            try:
                results.append(job.run(self.device))
            except Exception as exc:
                raise failure(job, exc) from exc
            if self.on_progress is not None:
                self.on_progress(len(results), len(jobs))
        return results

    def close(self) -> None:
        pass


class RayBackend:
    """Each job a Ray task; Ray starts (or connects to ``address``) at the first jobs.

    Tasks train on a GPU (``gpus_per_task`` of one) when ``device`` is CUDA, on one CPU core
    otherwise. With ``energy`` (the run's ``[energy]`` settings, enabled), a task on another
    machine measures itself there and ``on_energy`` receives its `PhaseRecord`.
    """

    name = "ray"

    def __init__(self, device: torch.device | str, *, address: str = "",
                 gpus_per_task: float = 1.0, energy: EnergyConfig | None = None,
                 on_progress: ProgressCallback | None = None,
                 on_energy: Callable[[Any], None] | None = None):
        self.device, self.address, self.gpus_per_task = torch.device(device), address, gpus_per_task
        self.energy, self.on_progress, self.on_energy = energy, on_progress, on_energy
        self.started = False

    def run(self, jobs: Sequence[TrainingJob]) -> list[ManyResult]:
        import ray

        self._connect()
        cuda = self.device.type == "cuda"
        gpus = ray.cluster_resources().get("GPU", 0)
        if cuda and gpus < self.gpus_per_task:  # Ray would wait for them forever
            raise UserInputError(f"compute.gpus_per_task = {self.gpus_per_task:g} but the Ray "
                                 f"cluster has {gpus:g} GPUs: lower it or add GPU nodes.")
        task = ray.remote(_run_task).options(num_cpus=1, num_gpus=self.gpus_per_task if cuda else 0)
        energy = (None if self.energy is None or not self.energy.enabled else
                  {"country": self.energy.country, "region": self.energy.region or None,
                   "interval_s": self.energy.interval_s})
        driver = ray.get_runtime_context().get_node_id()
        for job in jobs:
            _check_sendable(job.factory)
        pending = {task.remote(job, self.device.type, driver, energy): i
                   for i, job in enumerate(jobs)}
        results: list[ManyResult | None] = [None] * len(jobs)
        try:
            while pending:
                [ready], _ = ray.wait(list(pending), num_returns=1)
                i = pending.pop(ready)
                try:
                    result, record = ray.get(ready)
                except ray.exceptions.RayTaskError as exc:  # the training raised, over there
                    cause = exc.cause if isinstance(exc.cause, Exception) else exc
                    raise failure(jobs[i], cause, " as a Ray task") from None
                except ray.exceptions.RayError as exc:  # the worker or its node died
                    raise failure(jobs[i], exc, " as a Ray task") from None
                results[i] = result.to(self.device)
                if record is not None and self.on_energy is not None:
                    self.on_energy(record)
                if self.on_progress is not None:
                    self.on_progress(len(jobs) - len(pending), len(jobs))
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        return results

    def _connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        try:
            ray.init(address=self.address or None, include_dashboard=False,
                     logging_level="warning", log_to_driver=False)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            # The environment, not this audit's input: the run fails and says so (an audit
            # skipped for it would leave a run that looks complete).
            where = f"the Ray cluster at {self.address!r}" if self.address else "a local Ray"
            raise ServiceUnavailable(f"compute.backend = 'ray' could not start or reach {where}: "
                                     f"{one_line(exc)}") from None
        self.started = True

    def close(self) -> None:
        """Stop the Ray this backend started (a Ray the caller started stays up)."""
        if self.started:
            import ray

            ray.shutdown()
            self.started = False


def check_reachable(compute: ComputeConfig, timeout_s: float = 5.0) -> None:
    """Refuse, before a run starts, a ``compute.address`` nothing answers at.

    Ray's own connection retries for minutes against a closed port; one TCP connection says
    at once whether a cluster head listens there. ``auto`` is left to Ray, which answers fast
    when no cluster runs on this machine.
    """
    if compute.backend != "ray" or compute.address in ("", "auto"):
        return
    host, port = ray_host_port(compute.address)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise UserInputError(f"compute.address {compute.address!r}: nothing answers at "
                             f"{host}:{port} ({one_line(exc) or type(exc).__name__}); start the "
                             "Ray cluster or correct the address.") from None


def compute_backend(compute: ComputeConfig, device: torch.device | str, *,
                    energy: EnergyConfig | None = None,
                    on_progress: ProgressCallback | None = None,
                    on_energy: Callable[[Any], None] | None = None) -> Backend:
    """The backend ``[compute]`` asks for (`LocalBackend` or `RayBackend`)."""
    if compute.backend == "ray":
        return RayBackend(device, address=compute.address, gpus_per_task=compute.gpus_per_task,
                          energy=energy, on_progress=on_progress, on_energy=on_energy)
    return LocalBackend(device, on_progress=on_progress)


def failure(job: TrainingJob, exc: BaseException, where: str = "") -> Exception:
    """The error to raise for a failed job: it names the audit and the condition."""
    if isinstance(exc, UserInputError):  # still the user's to fix: the run records it as such
        return UserInputError(f"the {job.audit} audit's training '{job.condition}': {exc}")
    return TrainingFailed(f"the {job.audit} audit's training '{job.condition}' failed{where}: "
                          f"{type(exc).__name__}: {exc}")


# --- inside a Ray task ---------------------------------------------------------------------

def _run_task(job: TrainingJob, device_type: str, driver_node: str,
              energy: dict[str, Any] | None) -> tuple[ManyResult, Any]:
    import ray

    record = None
    if energy is not None and ray.get_runtime_context().get_node_id() != driver_node:
        from nnaudit.energy import EnergyMeter

        meter = EnergyMeter(**energy)
        with meter.phase(f"{job.audit} task: {job.condition} (on {socket.gethostname()})"):
            result = job.run(device_type)
        record = meter.phases[-1]
    else:
        result = job.run(device_type)
    return result.to("cpu"), record


def _check_sendable(factory: ModelFactory) -> None:
    """Refuse, in one sentence, a factory that Ray workers could not rebuild.

    Functions travel by reference (module and name), so a factory read from a ``file.py``
    (whose module no worker can import) is sent by value instead; what still cannot be
    pickled (a closure over an open file, a lock) is refused here rather than deep in Ray.
    """
    from ray import cloudpickle

    build = factory.build
    while hasattr(build, "func"):  # functools.partial
        build = build.func
    module = sys.modules.get(getattr(build, "__module__", None) or "")
    if module is not None and module.__name__ != "__main__" and not _importable(module.__name__):
        cloudpickle.register_pickle_by_value(module)
    try:
        cloudpickle.dumps(factory)
    except Exception as exc:
        raise UserInputError(
            f"the model factory {factory.name!r} cannot be sent to Ray workers "
            f"({type(exc).__name__}: {exc}); use compute.backend = 'local', or a factory "
            "importable as package.module:callable on every node.") from None


def _importable(name: str) -> bool:
    """Whether a fresh interpreter finds the module ``name`` (not only this one's sys.modules)."""
    top = name.partition(".")[0]
    return any(finder.find_spec(top, None) is not None for finder in sys.meta_path
               if hasattr(finder, "find_spec"))
