"""The energy audit's tables, as `nnaudit.store.RunWriter` checks them."""

from nnaudit.schema import TableSchema, columns

TABLES = {
    "phases": TableSchema(
        "Energy and emissions of each phase (training, inference, each audit) and the total, "
        "with how each figure was obtained.",
        columns("phase:str status:str label:str reason:str duration_s:float items:float "
                "energy_kwh:float cpu_kwh:float gpu_kwh:float ram_kwh:float kg_co2eq:float "
                "intensity_g_per_kwh:float cpu_label:str gpu_label:str ram_label:str "
                "cpu_method:str gpu_method:str ram_method:str cpu_model:str gpu_model:str")),
    "inference": TableSchema(
        "Energy per 1,000 predictions and a year of inference at the configured rate.",
        columns("phase:str items:int energy_kwh:float kg_co2eq:float kwh_per_1000:float "
                "kg_co2eq_per_1000:float predictions_per_day:float kwh_per_day:float "
                "training_kwh:float days_to_match_training:float")),
    "equivalents": TableSchema(
        "The run's emissions in everyday units.",
        columns("equivalent:str value:float unit:str kg_co2eq_per_unit:float source:str")),
}
