namespace Occam.Studies;

/// <summary>One concrete change: a technique from the advisor's vocabulary ("weight_decay", "l2", "l1", "dropout",
/// "augmentation", "early_stopping", "label_smoothing", "batch_norm", "more_data", "reduce_regularization",
/// "increase_capacity", "train_longer", "lower_learning_rate", "gradient_clipping"), a suggested value where one
/// applies, and why.</summary>
public sealed record Recommendation(string Technique, double? Value, string Why);

/// <summary>The advisor's reading of learning curves: "overfitting", "underfitting", "good-fit" or "diverged" (a NaN or
/// infinite loss at the last epoch), the best epoch (0-based), the recommendations, and a short written reading.</summary>
public sealed record Advice(string Diagnosis, int BestEpoch, IReadOnlyList<Recommendation> Recommendations, string Reading);
