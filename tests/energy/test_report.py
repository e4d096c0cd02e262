"""The energy report's arithmetic on fixed, hand-made phase records (no CodeCarbon involved)."""

import math

import pytest

from nnaudit.audits import table_schemas
from nnaudit.energy import (EQUIVALENTS, EnergyMeter, PhaseRecord, energy_result,
                            equivalents_table, inference_projection)
from nnaudit.errors import UserInputError


def record(phase, cpu, gpu, ram, *, items=None, cpu_label="measured", gpu_label="measured",
           intensity=56.0):
    kwh = cpu + gpu + ram
    return PhaseRecord(phase=phase, status="ok", reason="", duration_s=10.0, items=items,
                       cpu_kwh=cpu, gpu_kwh=gpu, ram_kwh=ram, kg_co2eq=kwh * intensity / 1000,
                       intensity_g_per_kwh=intensity, cpu_label=cpu_label, gpu_label=gpu_label,
                       ram_label="estimated", cpu_method="RAPL energy counter",
                       gpu_method="NVML energy counter", ram_method="model")


@pytest.fixture
def meter_with():
    def build(records):
        meter = EnergyMeter(country="FRA", enabled=False)
        meter.phases = records
        return meter
    return build


def test_projection_on_fixed_numbers():
    # 0.5 kWh per 1,000 predictions at 4,000 a day = 2 kWh a day; training 2 kWh -> 1 day.
    assert inference_projection(2.0, 0.5, 4000) == pytest.approx(1.0)
    # 0.01 kWh per 1,000 at 100,000 a day = 1 kWh a day; training 10 kWh -> 10 days.
    assert inference_projection(10.0, 0.01, 100_000) == pytest.approx(10.0)
    assert inference_projection(1.0, 0.0, 1000) == math.inf
    with pytest.raises(ValueError):
        inference_projection(1.0, -0.1, 1000)


def test_inference_table_and_findings_on_fixed_numbers(meter_with):
    meter = meter_with([record("training", 2.0, 0.9, 0.1),          # 3 kWh
                        record("inference", 0.1, 0.08, 0.02, items=4000)])  # 0.2 kWh
    result = energy_result(meter, predictions_per_day=10_000)
    row = result.tables["inference"].iloc[0]
    assert row["kwh_per_1000"] == pytest.approx(0.05)
    assert row["kg_co2eq_per_1000"] == pytest.approx(0.05 * 0.056)
    assert row["kwh_per_day"] == pytest.approx(0.5)
    assert row["days_to_match_training"] == pytest.approx(6.0)
    assert result.summary["days_to_match_training"] == pytest.approx(6.0)
    assert result.summary["training_kwh"] == pytest.approx(3.0)
    assert result.summary["total_kwh"] == pytest.approx(3.2)
    assert result.summary["total_kg_co2eq"] == pytest.approx(3.2 * 0.056)
    projection = [f for f in result.findings if "{days}" in f.template]
    assert projection and projection[0].params["days"] == pytest.approx(6.0)
    assert projection[0].params["wh_per_1000"] == pytest.approx(50.0)


def test_processor_counters_make_the_run_measured_even_with_modelled_ram(meter_with):
    meter = meter_with([record("training", 2.0, 0.9, 0.1), record("audit:fairness", 0.5, 0, 0.5)])
    result = energy_result(meter)
    phases = result.tables["phases"]
    assert list(phases["label"][:2]) == ["partly measured", "partly measured"]
    assert result.summary["measured"] is True
    assert result.summary["measured_share"] == pytest.approx(3.4 / 4.0)
    estimates = [f for f in result.findings if "methods" in f.params]
    assert estimates and estimates[0].params["methods"] == "RAM: model"


def test_estimated_processor_makes_the_run_estimated_and_warns(meter_with):
    meter = meter_with([record("training", 2.0, 0.0, 0.1, cpu_label="estimated",
                               gpu_label="absent")])
    meter.phases[0].gpu_kwh = 0.0
    result = energy_result(meter)
    assert result.summary["measured"] is False
    assert result.tables["phases"]["label"].iloc[0] == "estimated"
    warning = [f for f in result.findings if f.severity == "warning"][0]
    assert "CPU: RAPL energy counter" in warning.params["methods"]


def test_total_row_sums_the_phases(meter_with):
    meter = meter_with([record("training", 1.0, 2.0, 0.5), record("inference", 0.25, 0.0, 0.25,
                                                                  items=10)])
    total = energy_result(meter).tables["phases"].set_index("phase").loc["total"]
    assert total["energy_kwh"] == pytest.approx(4.0)
    components = (total["cpu_kwh"], total["gpu_kwh"], total["ram_kwh"])
    assert components == pytest.approx((1.25, 2.0, 0.75))
    assert total["intensity_g_per_kwh"] == pytest.approx(56.0)
    assert total["status"] == "ok"


def test_predictions_per_day_must_be_positive(meter_with):
    with pytest.raises(UserInputError, match="-5"):
        energy_result(meter_with([]), predictions_per_day=-5)


def test_equivalents_on_fixed_numbers():
    table = equivalents_table(450.0).set_index("equivalent")["value"]
    # EPA: 400 g CO2 per mile -> 450 kg = 450 / 0.4 miles = 1125 miles = 1810.5 km.
    assert table["car_km"] == pytest.approx(1125 * 1.609344)
    # Strubell et al.: 1,984 lbs round trip NY-SF, 450 kg one way -> exactly one flight.
    assert table["flight_share"] == pytest.approx(1.0)
    assert table["person_year_share"] == pytest.approx(450 / 4700)


def test_every_equivalent_is_sourced():
    assert {e.name for e in EQUIVALENTS} == {"car_km", "flight_share", "person_year_share"}
    for equivalent in EQUIVALENTS:
        assert equivalent.kg_co2eq_per_unit > 0 and len(equivalent.source) > 40
        assert equivalent.unit


def test_findings_use_plain_placeholders(meter_with):
    result = energy_result(meter_with([record("training", 1.0, 0.0, 0.1),
                                       record("inference", 0.1, 0.0, 0.0, items=100)]))
    for finding in result.findings:
        assert ":" not in "".join(part.split("}")[0] for part in finding.template.split("{")[1:])
        assert finding.text  # every placeholder has a param
    share = [f for f in result.findings if "flight_share_pct" in f.params][0]
    # 1.2 kWh at 56 g/kWh against 450 kg per flight
    assert share.params["flight_share_pct"] == pytest.approx(1.2 * 0.056 / 450)


def test_figure_stacks_components_per_phase(meter_with):
    result = energy_result(meter_with([record("training", 1.0, 2.0, 0.5)]))
    axes = result.figures["energy_by_phase"].axes[0]
    heights = sorted(patch.get_height() for patch in axes.patches)
    assert heights == pytest.approx([500.0, 1000.0, 2000.0])  # Wh


def test_result_round_trips_through_the_run_directory(meter_with, tmp_path):
    from nnaudit.store import Run, RunWriter

    failed = PhaseRecord(phase="audit:saliency", status="failed", reason="CodeCarbon could not "
                         "start", duration_s=1.0)
    meter = meter_with([record("training", 1.0, 2.0, 0.5), failed,
                        record("inference", 0.25, 0.0, 0.25, items=10)])
    writer = RunWriter.create(tmp_path, "energy", {})
    writer.write_audit(energy_result(meter), table_schemas("energy"))
    writer.finish({"kind": "trained"})
    run = Run.open(writer.path)
    phases = run.table("energy", "phases")
    assert list(phases["phase"]) == ["training", "audit:saliency", "inference", "total"]
    assert math.isnan(phases["energy_kwh"].iloc[1]) and phases["reason"].iloc[1].startswith("Code")
    assert run.audits["energy"]["summary"]["total_kwh"] == pytest.approx(4.0)
    assert run.findings("energy")[0].params["phases"] == "audit:saliency"
