"""The robustness audit's tables, as `nnaudit.store.RunWriter` checks them."""

from nnaudit.schema import TableSchema, columns, with_intervals

_GROUP = columns("attribute:str subgroup:str n:int")
_ACCURACY = columns("correct:int") | with_intervals("accuracy") | columns("small_group:bool")
_CHANGE = (columns("clean_accuracy:float lost:int gained:int clean_correct:int")
           | with_intervals("drop", "flip_rate"))
_GAP = (columns("attribute:str worst_group:str worst_n:int best_group:str best_n:int "
                "p_value:float p_adjusted:float significant:bool")
        | with_intervals("worst", "best", "difference"))
_ATTACK = columns("attack:str norm:str radius:float")

TABLES = {
    "clean": TableSchema("Accuracy on the uncorrupted inputs per subgroup, with intervals.",
                         _GROUP | _ACCURACY, attributes=True),
    "corruptions": TableSchema(
        "Accuracy per corruption, severity and subgroup; its drop from clean and the share of "
        "correct predictions the corruption flips.",
        columns("corruption:str severity:int") | _GROUP | _ACCURACY | _CHANGE, attributes=True),
    "corruption_gaps": TableSchema(
        "Per corruption and severity, the groups that lose most and least (flip rate).",
        columns("corruption:str severity:int") | _GAP),
    "corruption_error": TableSchema(
        "Mean corruption error over the severities, relative to the clean error "
        "(Hendrycks & Dietterich 2019), per subgroup.",
        columns("corruption:str") | _GROUP
        | columns("clean_error:float corruption_error:float clean_correct:int small_group:bool")
        | with_intervals("relative_corruption_error", "flip_rate"), attributes=True),
    "corruption_error_gaps": TableSchema(
        "Per corruption, the groups that lose most and least over all severities.",
        columns("corruption:str") | _GAP),
    "adversarial": TableSchema(
        "Robust accuracy per attack, radius and subgroup.",
        _ATTACK | columns("steps:int") | _GROUP | _ACCURACY | _CHANGE, attributes=True),
    "adversarial_gaps": TableSchema(
        "Per attack and radius, the groups that lose most and least.", _ATTACK | _GAP),
    "flip_radius": TableSchema(
        "Per subgroup, the median smallest radius that flips an image (Nanda et al. 2021).",
        _GROUP | columns("wrong_clean:int searched:int not_flipped:int max_radius:float "
                         "small_group:bool") | with_intervals("median_radius"), attributes=True),
    "flip_radii": TableSchema(
        "Each searched image's smallest flipping radius (infinite when none flipped it).",
        columns("test_index:int label:str prediction:str radius:float"), attributes=True),
    "shift": TableSchema(
        "Accuracy on this dataset against the model's accuracy on its own test split.",
        _GROUP | _ACCURACY | columns("reference_accuracy:float difference:float"),
        attributes=True),
}
