"""`EnergyMeter`: one CodeCarbon offline tracker per phase of a run, and what each one measured.

CodeCarbon swallows its own errors (its ``start``/``stop`` are wrapped in ``suppress``), reports
0 kWh for hardware it cannot read, and logs to stderr. The meter therefore runs each tracker with
CodeCarbon's log captured, checks after ``stop`` that a measurement really came back, and labels
every figure ``measured`` (an energy counter: RAPL, NVML, ...) or ``estimated`` (a power model:
TDP x load, DIMM count). Whatever happens to the measurement, the wrapped work runs and its own
exceptions propagate unchanged.

CodeCarbon: https://github.com/mlco2/codecarbon (Courty et al., Zenodo 10.5281/zenodo.11171501).
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

from codecarbon import OfflineEmissionsTracker

from nnaudit.energy._grid import DEFAULT_COUNTRY, GridLocation, grid_location
from nnaudit.errors import UserInputError

COMPONENTS = ("cpu", "gpu", "ram")

# Component labels: where a figure comes from.
MEASURED, ESTIMATED, MISSING, ABSENT = "measured", "estimated", "missing", "absent"

# CodeCarbon CPU modes (codecarbon/external/hardware.py) read from an energy counter.
_CPU_COUNTER_MODES = {
    "intel_rapl": "RAPL energy counter",
    "windows_emi": "Windows Energy Meter Interface (RAPL)",
    "intel_power_gadget": "Intel Power Gadget",
}

# A tracker whose intensity differs from the validated location's by more than this was
# configured behind our back (a ~/.codecarbon.config or CODECARBON_* variable).
_INTENSITY_TOLERANCE = 0.01


@dataclass
class PhaseRecord:
    """What one phase cost. Energy figures are None when they could not be measured."""

    phase: str
    status: str  # ok | interrupted (the work raised) | failed (no measurement) | skipped
    reason: str  # why a figure is missing, estimated or suspicious; "" when nothing to say
    duration_s: float
    items: int | None = None
    cpu_kwh: float | None = None
    gpu_kwh: float | None = None
    ram_kwh: float | None = None
    kg_co2eq: float | None = None
    intensity_g_per_kwh: float | None = None
    cpu_method: str = ""
    gpu_method: str = ""
    ram_method: str = ""
    cpu_label: str = MISSING
    gpu_label: str = MISSING
    ram_label: str = MISSING
    cpu_model: str = ""
    gpu_model: str = ""
    notes: list[str] = field(default_factory=list, repr=False)

    @property
    def energy_kwh(self) -> float | None:
        parts = [getattr(self, f"{c}_kwh") for c in COMPONENTS]
        known = [p for p in parts if p is not None]
        return sum(known) if known else None

    @property
    def label(self) -> str:
        """measured | partly measured | estimated | missing, over the components present."""
        labels = [getattr(self, f"{c}_label") for c in COMPONENTS]
        present = [lab for lab in labels if lab != ABSENT]
        if self.energy_kwh is None or not present:
            return MISSING
        if all(lab == MEASURED for lab in present):
            return MEASURED
        if any(lab == MEASURED for lab in present):
            return "partly measured"
        return ESTIMATED

    def row(self) -> dict[str, Any]:
        row = {k: v for k, v in asdict(self).items() if k != "notes"}
        row["energy_kwh"] = self.energy_kwh
        row["label"] = self.label
        return row


class EnergyMeter:
    """Measure the energy and CO2 of each phase of a run with CodeCarbon, offline.

    Parameters
    ----------
    country : ISO 3166-1 alpha-3 code of the electricity grid (default ``FRA``), validated
        against CodeCarbon's energy-mix data; an unknown code raises `UserInputError`.
    region : optional sub-national region (US states, Canadian provinces, Chinese provinces,
        Nordic bidding zones), validated the same way.
    interval_s : CodeCarbon's power sampling interval in seconds. Phases shorter than it are
        still measured: CodeCarbon takes a last reading when it stops.
    enabled : False runs the phases unmeasured (each row says so).

    Examples
    --------
    >>> meter = EnergyMeter(country="FRA")
    >>> with meter.phase("training"):
    ...     train()
    >>> with meter.phase("inference", items=len(test_set)):
    ...     predict(test_set)
    >>> result = meter.result(predictions_per_day=10_000)
    """

    def __init__(self, country: str = DEFAULT_COUNTRY, region: str | None = None,
                 interval_s: float = 1.0, enabled: bool = True):
        if not interval_s > 0:
            raise UserInputError(
                f"The energy sampling interval must be positive, got {interval_s}.")
        self.location: GridLocation = grid_location(country, region)
        self.interval_s = float(interval_s)
        self.enabled = enabled
        self.phases: list[PhaseRecord] = []
        self._active: str | None = None

    @contextmanager
    def phase(self, name: str, items: int | None = None) -> Iterator[None]:
        """Measure the ``with`` block as phase ``name``; ``items``: predictions it makes."""
        if not self.enabled or self._active is not None:
            reason = ("energy measurement is disabled" if not self.enabled else
                      f"nested inside phase '{self._active}', whose figures include it")
            start = time.perf_counter()
            try:
                yield
            finally:
                self.phases.append(PhaseRecord(phase=name, status="skipped", reason=reason,
                                               duration_s=time.perf_counter() - start,
                                               items=items))
            return

        self._active = name
        with _captured_codecarbon_log() as log:
            tracker, start_problem = self._start_tracker(name, log)
            start = time.perf_counter()
            interrupted: BaseException | None = None
            try:
                yield
            except BaseException as error:
                interrupted = error
                raise
            finally:
                _wait_for_gpu()
                duration = time.perf_counter() - start
                record = self._stop_tracker(tracker, start_problem, log, name, duration, items)
                if interrupted is not None:
                    record.status = "interrupted"
                    record.notes.insert(0, f"the phase's work raised {type(interrupted).__name__}")
                record.reason = "; ".join(record.notes)
                self.phases.append(record)
                self._active = None

    # -- one tracker per phase ------------------------------------------------------------

    def _start_tracker(self, name: str, log: list[str]):
        try:
            # Every setting is passed explicitly so a CodeCarbon config file cannot switch on
            # file output, the HTTP API or a different grid.
            tracker = OfflineEmissionsTracker(
                country_iso_code=self.location.country,
                region=self.location.region,
                measure_power_secs=self.interval_s,
                project_name=f"nnaudit-{name}",
                output_methods=[],
                emissions_endpoint=None,
                electricitymaps_api_token=None,
                force_carbon_intensity_g_co2e_kwh=None,
                tracking_mode="machine",
                pue=1.0,
                allow_multiple_runs=True,
                log_level="warning",
            )
            _mute_codecarbon_console()  # the tracker re-adds its stderr handler
            tracker.start()
        except Exception as error:  # noqa: BLE001 - measurement must never break the run
            return None, f"CodeCarbon could not start ({type(error).__name__}: {error})"
        return tracker, None

    def _stop_tracker(self, tracker, start_problem: str | None, log: list[str], name: str,
                      duration: float, items: int | None) -> PhaseRecord:
        record = PhaseRecord(phase=name, status="ok", reason="", duration_s=duration, items=items)
        if tracker is None:
            return _failed(record, start_problem or "CodeCarbon could not start")
        try:
            tracker.stop()
        except Exception as error:  # noqa: BLE001
            return _failed(record, f"CodeCarbon could not stop ({type(error).__name__}: {error})")
        data = getattr(tracker, "final_emissions_data", None)
        if data is None:  # CodeCarbon swallowed an error in start() or stop()
            detail = log[-1] if log else "no reading came back"
            return _failed(record, f"CodeCarbon returned no measurement ({detail})")
        if not data.duration > 0 or not data.energy_consumed > 0:
            return _failed(record, "CodeCarbon measured no energy (0 kWh)")

        hardware = _hardware_methods(tracker)
        detected = _detected_hardware(tracker)
        record.cpu_model = str(detected.get("cpu_model") or "")
        record.gpu_model = str(detected.get("gpu_model") or "")
        energies = {"cpu": data.cpu_energy, "gpu": data.gpu_energy, "ram": data.ram_energy}
        for component in COMPONENTS:
            method, label = hardware.get(component, ("not detected", ABSENT))
            kwh = float(energies[component] or 0.0)
            if label != ABSENT and kwh <= 0:
                record.notes.append(
                    f"{component.upper()} reported 0 kWh ({method} gave no reading)")
                label, kwh = MISSING, None
            setattr(record, f"{component}_method", method)
            setattr(record, f"{component}_label", label)
            setattr(record, f"{component}_kwh", kwh if label != ABSENT else 0.0)

        record.kg_co2eq = float(data.emissions)
        record.intensity_g_per_kwh = 1000.0 * data.emissions / data.energy_consumed
        expected = self.location.intensity_g_per_kwh
        if abs(record.intensity_g_per_kwh - expected) > _INTENSITY_TOLERANCE * expected:
            record.notes.append(
                f"CodeCarbon applied {record.intensity_g_per_kwh:.0f} g/kWh instead of the "
                f"{expected:.0f} g/kWh of {self.location.country_name}; a CodeCarbon config file "
                f"or CODECARBON_* variable may override the grid")
        estimated = [c.upper() for c in COMPONENTS if getattr(record, f"{c}_label") == ESTIMATED]
        if estimated:
            record.notes.append(f"{', '.join(estimated)} estimated from a power model")
        return record


def _failed(record: PhaseRecord, why: str) -> PhaseRecord:
    record.status = "failed"
    record.notes.append(why)
    return record


def _hardware_methods(tracker) -> dict[str, tuple[str, str]]:
    """component -> (method, measured|estimated), read from the tracker's hardware objects."""
    methods: dict[str, tuple[str, str]] = {}
    for hardware in getattr(tracker, "_hardware", []):
        kind = type(hardware).__name__
        part = str(getattr(hardware, "chip_part", "")).lower()
        if kind == "RAM":
            forced = getattr(hardware, "_force_ram_power", None)
            methods["ram"] = ((f"constant {forced} W (user)" if forced is not None
                               else "power model from installed memory size (5 W per DIMM)"),
                              ESTIMATED)
        elif kind == "CPU":
            mode = getattr(hardware, "_mode", "")
            tdp = getattr(hardware, "_tdp", None)
            generic = " (generic, CPU model not in CodeCarbon's table)" if getattr(
                hardware, "_is_generic_tdp", False) else ""
            if mode in _CPU_COUNTER_MODES:
                methods["cpu"] = (_CPU_COUNTER_MODES[mode], MEASURED)
            elif mode == "cpu_load":
                methods["cpu"] = (f"CPU load x TDP {tdp} W{generic}", ESTIMATED)
            else:
                methods["cpu"] = (f"constant 50 % of TDP {tdp} W{generic}", ESTIMATED)
        elif kind in ("AppleSiliconChip", "Raspberry"):
            tool = "powermetrics" if kind == "AppleSiliconChip" else "Raspberry Pi PMIC"
            methods[part or "cpu"] = (tool, MEASURED)
        elif kind == "GPU":
            devices = getattr(getattr(hardware, "devices", None), "devices", [])
            vendors = sorted({"NVML" if "Nvidia" in type(d).__name__ else "AMD SMI"
                              for d in devices}) or ["GPU driver"]
            # Devices without a total-energy counter fall back to sampled power x time.
            sampled = any(getattr(d, "_use_power_fallback", False) for d in devices)
            methods["gpu"] = ((f"{'/'.join(vendors)} power samples x time", ESTIMATED) if sampled
                              else (f"{'/'.join(vendors)} energy counter", MEASURED))
    return methods


def _detected_hardware(tracker) -> dict[str, Any]:
    try:
        return tracker.get_detected_hardware()
    except Exception:  # noqa: BLE001 - names are informative only
        return {}


def _wait_for_gpu() -> None:
    """Let queued CUDA kernels finish so their energy lands in the phase that launched them."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


class _LogCapture(logging.Handler):
    def __init__(self, sink: list[str]):
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message = f"{type(error).__name__}: {error}"
        if not any(noise in message for noise in _LOG_NOISE):
            self.sink.append(message)


# Messages CodeCarbon logs on every normal run, or around an error it already reports.
_LOG_NOISE = ("graceful shutdown", "stopping.", "Multiple instances of codecarbon")


_CODECARBON_LOGGER = logging.getLogger("codecarbon")


def _mute_codecarbon_console() -> None:
    """Drop the stderr handler CodeCarbon adds on every tracker creation: audits never print."""
    _CODECARBON_LOGGER.handlers = [h for h in _CODECARBON_LOGGER.handlers
                                   if isinstance(h, _LogCapture)]


@contextmanager
def _captured_codecarbon_log() -> Iterator[list[str]]:
    """Collect CodeCarbon's warnings and errors instead of printing them; restore on exit."""
    saved = (list(_CODECARBON_LOGGER.handlers), _CODECARBON_LOGGER.level,
             _CODECARBON_LOGGER.propagate)
    messages: list[str] = []
    _CODECARBON_LOGGER.handlers = [_LogCapture(messages)]
    _CODECARBON_LOGGER.setLevel(logging.WARNING)
    _CODECARBON_LOGGER.propagate = False
    try:
        yield messages
    finally:
        _CODECARBON_LOGGER.handlers, level, _CODECARBON_LOGGER.propagate = saved
        _CODECARBON_LOGGER.setLevel(level)
