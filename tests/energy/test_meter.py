"""EnergyMeter against the real CodeCarbon offline tracker, and with a broken one."""

import json
import math
import time
from importlib.resources import files

import pytest

from nnaudit.energy import EnergyMeter, energy_result
from nnaudit.errors import UserInputError


def busy(seconds: float) -> int:
    """Pure-Python CPU work for about ``seconds``; returns how many rounds ran."""
    rounds, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(i * i for i in range(2000))
        rounds += 1
    return rounds


def codecarbon_intensity(country: str) -> float:
    """The g CO2eq/kWh CodeCarbon's shipped energy-mix file gives for ``country``."""
    path = files("codecarbon") / "data" / "private_infra" / "global_energy_mix.json"
    return json.loads(path.read_text())[country]["carbon_intensity"]


@pytest.fixture(scope="module")
def measured_run():
    meter = EnergyMeter(country="FRA", interval_s=0.5)
    with meter.phase("training"):
        busy(0.6)
    with meter.phase("audit:fairness"):
        busy(0.2)
    with meter.phase("inference", items=5000):
        busy(0.3)
    return meter, energy_result(meter, predictions_per_day=10_000)


def test_every_phase_has_a_row_and_a_total(measured_run):
    _, result = measured_run
    phases = result.tables["phases"]
    assert list(phases["phase"]) == ["training", "audit:fairness", "inference", "total"]
    assert (phases["status"].iloc[:-1] == "ok").all()
    assert result.name == "energy"


def test_energy_and_emissions_are_positive_and_add_up(measured_run):
    _, result = measured_run
    phases = result.tables["phases"]
    rows = phases.iloc[:-1]
    assert (rows["energy_kwh"] > 0).all() and (rows["kg_co2eq"] > 0).all()
    assert (rows["duration_s"] > 0.15).all()
    parts = rows[["cpu_kwh", "gpu_kwh", "ram_kwh"]].sum(axis=1)
    assert parts.to_numpy() == pytest.approx(rows["energy_kwh"].to_numpy(), rel=1e-9)
    total = phases.iloc[-1]
    assert total["energy_kwh"] == pytest.approx(rows["energy_kwh"].sum(), rel=1e-9)
    assert result.summary["total_kwh"] == pytest.approx(total["energy_kwh"])
    assert result.summary["training_kwh"] == pytest.approx(rows["energy_kwh"].iloc[0])


def test_emissions_are_energy_times_the_country_intensity(measured_run):
    _, result = measured_run
    rows = result.tables["phases"]
    intensity = codecarbon_intensity("FRA")  # 56 g/kWh in CodeCarbon 3.3 data
    expected = rows["energy_kwh"] * intensity / 1000.0
    assert rows["kg_co2eq"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-6)
    assert rows["intensity_g_per_kwh"].to_numpy() == pytest.approx(intensity, rel=1e-6)


def test_the_configured_country_sets_the_intensity():
    meter = EnergyMeter(country="deu", interval_s=0.5)
    with meter.phase("training"):
        busy(0.2)
    row = energy_result(meter).tables["phases"].iloc[0]
    assert row["kg_co2eq"] == pytest.approx(row["energy_kwh"] * codecarbon_intensity("DEU") / 1000,
                                            rel=1e-6)
    assert meter.location.country == "DEU"


def test_each_figure_is_labelled_with_its_method(measured_run):
    _, result = measured_run
    rows = result.tables["phases"].iloc[:-1]
    for component in ("cpu", "gpu", "ram"):
        assert set(rows[f"{component}_label"]) <= {"measured", "estimated", "absent"}
        assert rows[f"{component}_method"].str.len().gt(0).all()
    # CodeCarbon has no RAM energy counter on x86: the RAM figure is always a model.
    assert set(rows["ram_label"]) == {"estimated"}
    processors_measured = set(rows["cpu_label"]) | set(rows["gpu_label"]) <= {"measured", "absent"}
    assert result.summary["measured"] == processors_measured


def test_short_phase_is_still_measured():
    meter = EnergyMeter(country="FRA", interval_s=1.0)
    with meter.phase("blink"):
        busy(0.05)  # far shorter than the sampling interval: CodeCarbon reads again at stop
    record = meter.phases[0]
    assert record.status == "ok" and record.energy_kwh > 0


def test_inference_cost_per_1000_predictions(measured_run):
    meter, result = measured_run
    inference = result.tables["inference"].set_index("phase").loc["inference"]
    record = meter.phases[2]
    assert inference["kwh_per_1000"] == pytest.approx(record.energy_kwh / 5)
    days = meter.phases[0].energy_kwh / (inference["kwh_per_1000"] * 10)
    assert inference["days_to_match_training"] == pytest.approx(days)
    assert result.summary["days_to_match_training"] == pytest.approx(days)


def test_measurement_writes_no_file_and_prints_nothing(tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    meter = EnergyMeter(country="FRA", interval_s=0.2)
    with meter.phase("training"):
        busy(0.3)
    energy_result(meter)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("country", ["XYZ", "France", ""])
def test_unknown_country_is_a_user_error_naming_it(country):
    with pytest.raises(UserInputError, match=f"'{country}'"):
        EnergyMeter(country=country)


def test_country_hint_suggests_the_code():
    with pytest.raises(UserInputError, match=r"FRA \(France\)"):
        EnergyMeter(country="France")


@pytest.mark.parametrize("country, region", [("FRA", "Paris"), ("USA", "Atlantis")])
def test_unknown_region_is_a_user_error(country, region):
    with pytest.raises(UserInputError, match=region):
        EnergyMeter(country=country, region=region)


def test_region_changes_the_intensity():
    california = EnergyMeter(country="USA", region="California").location.intensity_g_per_kwh
    assert california != pytest.approx(codecarbon_intensity("USA"))
    assert 0 < california < 1000


class _TrackerFailingAt:
    """Stands in for OfflineEmissionsTracker, raising in one method."""

    fail_at = "start"

    def __init__(self, **settings):
        if self.fail_at == "init":
            raise PermissionError("cannot read /sys/class/powercap")

    def start(self):
        if self.fail_at == "start":
            raise RuntimeError("no hardware found")

    def stop(self):
        if self.fail_at == "stop":
            raise RuntimeError("counter overflow")


class _TrackerSwallowingErrors:
    """Like CodeCarbon when its suppress() decorator hides an error: no measurement at all."""

    def __init__(self, **settings):
        pass

    def start(self):
        pass

    def stop(self):
        return None


@pytest.mark.parametrize("fail_at, why", [("init", "could not start.*PermissionError"),
                                          ("start", "could not start.*no hardware found"),
                                          ("stop", "could not stop.*counter overflow")])
def test_failing_tracker_leaves_the_work_done_and_the_gap_explained(monkeypatch, fail_at, why):
    tracker = type("Failing", (_TrackerFailingAt,), {"fail_at": fail_at})
    monkeypatch.setattr("nnaudit.energy._meter.OfflineEmissionsTracker", tracker)
    meter = EnergyMeter(country="FRA")
    done = []
    with meter.phase("training"):
        done.append(busy(0.05))
    with meter.phase("inference", items=100):
        done.append(busy(0.05))
    assert len(done) == 2 and all(rounds > 0 for rounds in done)
    result = energy_result(meter)
    phases = result.tables["phases"]
    assert list(phases["phase"]) == ["training", "inference", "total"]
    assert (phases["status"] == ["failed", "failed", "incomplete"]).all()
    assert phases["reason"].iloc[0] == phases["reason"].iloc[1]
    assert phases["reason"].str.contains(why).iloc[:2].all()
    assert phases["energy_kwh"].iloc[:2].isna().all()
    assert phases["duration_s"].iloc[:2].gt(0).all()
    assert result.summary["measured"] is False
    assert result.findings[0].severity == "warning"
    assert result.findings[0].params["phases"] == "training, inference"


def test_tracker_that_swallows_its_error_is_detected(monkeypatch):
    monkeypatch.setattr("nnaudit.energy._meter.OfflineEmissionsTracker", _TrackerSwallowingErrors)
    meter = EnergyMeter(country="FRA")
    with meter.phase("training"):
        busy(0.05)
    record = meter.phases[0]
    assert record.status == "failed" and "returned no measurement" in record.reason
    assert record.energy_kwh is None


def test_work_exception_propagates_and_the_phase_is_recorded():
    meter = EnergyMeter(country="FRA", interval_s=0.5)
    with pytest.raises(ZeroDivisionError):
        with meter.phase("audit:saliency"):
            busy(0.1)
            1 / 0  # noqa: B018
    record = meter.phases[0]
    assert record.status == "interrupted" and "ZeroDivisionError" in record.reason
    assert record.energy_kwh > 0  # what ran before the error is still measured


def test_nested_and_disabled_phases_run_unmeasured():
    meter = EnergyMeter(country="FRA", interval_s=0.5)
    with meter.phase("audit:generalization"):
        with meter.phase("training"):
            busy(0.05)
    inner, outer = meter.phases
    assert inner.status == "skipped" and "audit:generalization" in inner.reason
    assert outer.status == "ok" and outer.energy_kwh > 0

    off = EnergyMeter(country="FRA", enabled=False)
    ran = []
    with off.phase("training"):
        ran.append(busy(0.05))
    assert ran and off.phases[0].status == "skipped" and "disabled" in off.phases[0].reason


def test_sampling_interval_must_be_positive():
    with pytest.raises(UserInputError, match="interval"):
        EnergyMeter(interval_s=0)


@pytest.mark.gpu
def test_gpu_work_is_measured_by_nvml():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    meter = EnergyMeter(country="FRA", interval_s=0.5)
    x = torch.randn(4096, 4096, device="cuda")
    with meter.phase("training"):
        for _ in range(200):
            x = torch.tanh(x @ x)
    record = meter.phases[0]
    assert record.gpu_label in ("measured", "estimated")
    assert record.gpu_kwh > 0 and "NVML" in record.gpu_method
    assert math.isfinite(record.kg_co2eq)
