"""The generalization audits' tables, as `nnaudit.store.RunWriter` checks them."""

from nnaudit.schema import TableSchema, columns, with_intervals

_FIT = columns("train_acc:float test_acc:float reached_target:bool epochs_to_target:float "
               "seconds_to_target:float epochs_run:int")

MEMORIZATION_TABLES = {
    "random_labels": TableSchema(
        "True labels, random labels (and random pixels): final accuracies and time to fit.",
        columns("condition:str") | _FIT),
    "learning_curves": TableSchema(
        "Per-epoch training loss, training and test accuracy of each condition.",
        columns("condition:str epoch:int train_loss:float train_acc:float test_acc:float "
                "seconds:float")),
    "noise_sweep": TableSchema(
        "The same model trained with a share of labels corrupted, per share.",
        columns("fraction:float") | _FIT),
    "regularizer_ablation": TableSchema(
        "Regularizer settings on and off, on true and random labels (Zhang et al. Table 1).",
        columns("regularizers:str labels:str augment:bool dropout:float weight_decay:float")
        | _FIT),
}
MEMBERSHIP_TABLES = {
    "membership": TableSchema(
        "Loss-threshold attack per attacked model, overall and per subgroup.",
        columns("model:str attribute:str subgroup:str n_members:int n_nonmembers:int "
                "train_test_gap:float") | with_intervals("auc", "advantage")),
}
SEED_TABLES = {
    "seed_runs": TableSchema("Test accuracy of each seed.", columns("seed:int test_acc:float")),
    "seed_groups": TableSchema(
        "Error rate of each subgroup under each seed.",
        columns("seed:int attribute:str subgroup:str n:int error:float")),
    "seed_summary": TableSchema(
        "Per subgroup: mean, spread and range of its error rate over seeds, and how often it "
        "was its attribute's worst.",
        columns("attribute:str subgroup:str mean_error:float std_error:float min_error:float "
                "max_error:float times_worst:int")),
}
GRADIENT_TABLES = {
    "gradient_norms": TableSchema(
        "Gradient norm of each weight tensor at each step.",
        columns("step:int layer:str depth:int norm:float")),
    "gradient_health": TableSchema(
        "Per layer: median and largest norm, median ratio to the output layer's, status.",
        columns("depth:int layer:str median_norm:float max_norm:float ratio_to_output:float "
                "status:str")),
    "gradient_activations": TableSchema(
        "The deep-MLP comparison: per layer health with sigmoid and with ReLU.",
        columns("depth:int layer:str median_norm:float max_norm:float ratio_to_output:float "
                "status:str activation:str")),
}
