"""The saliency audit's tables, as `nnaudit.store.RunWriter` checks them."""

from nnaudit.schema import TableSchema, columns

_SIMILARITY = columns("spearman_abs:float spearman_signed:float ssim:float")

TABLES = {
    "sanity": TableSchema(
        "Per method: similarity of its maps after full weight randomization (and on the "
        "random-label model) with the trained model's; passes when both stay low.",
        columns("method:str full_randomization_spearman_abs:float "
                "full_randomization_spearman_signed:float full_randomization_ssim:float "
                "passes:bool"),
        columns("random_labels_spearman_abs:float")),
    "cascade": TableSchema(
        "Similarity at each step of the cascading randomization, top layer first.",
        columns("method:str step:int layer:str") | _SIMILARITY),
    "random_labels": TableSchema(
        "Similarity of each method's maps on the random-label model with the trained model's.",
        columns("method:str") | _SIMILARITY),
    "faithfulness": TableSchema(
        "Deletion and insertion AUCs per method and for a random order (Petsiuk et al. 2018).",
        columns("method:str deletion_auc:float insertion_auc:float"),
        columns("infidelity:float sensitivity_max:float")),
    "deletion_curves": TableSchema(
        "Mean probability of the predicted class as pixels are deleted or inserted.",
        columns("method:str curve:str fraction:float probability:float")),
    "examples": TableSchema(
        "The attributed test examples: index, label, prediction, groups.",
        columns("test_index:int label:str prediction:str correct:bool"), attributes=True),
    "foreground_share": TableSchema(
        "Share of attribution on the digit (foreground) per method and subgroup, beside the "
        "share of pixels that are foreground.",
        columns("method:str attribute:str subgroup:str n:int foreground_share:float "
                "foreground_pixel_share:float")),
    "feature_importance": TableSchema(
        "Tabular models: mean |attribution| and rank of each feature per method and subgroup.",
        columns("method:str attribute:str subgroup:str n:int feature:str "
                "mean_abs_attribution:float rank:int")),
}
