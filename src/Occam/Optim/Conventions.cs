namespace Occam.Optim;

/// <summary>
/// Translations between the regularization conventions of other libraries and Occam's (PyTorch's
/// coupled weight decay λ_wd, gradient g ← g + λ_wd·θ; Keras-style penalties l1·Σ|w| + l2·Σw² added to a
/// mean loss). Each assumes the data loss is a mean over the n training samples.
/// </summary>
public static class Conventions
{
    /// <summary>Keras l2 penalty l2·Σw² has gradient 2·l2·w, so λ_wd = 2·l2.</summary>
    public static double KerasL2ToWeightDecay(double l2) => 2 * NonNegative(l2, "KerasL2ToWeightDecay", "l2");

    /// <summary>Inverse of <see cref="KerasL2ToWeightDecay"/>: l2 = λ_wd/2.</summary>
    public static double WeightDecayToKerasL2(double weightDecay) => NonNegative(weightDecay, "WeightDecayToKerasL2", "weightDecay") / 2;

    /// <summary>scikit-learn MLP's alpha adds (α/2n)·Σw² to the mean loss (gradient (α/n)·w), so λ_wd = α/n.</summary>
    public static double SklearnMlpAlphaToWeightDecay(double alpha, int samples) =>
        NonNegative(alpha, "SklearnMlpAlphaToWeightDecay", "alpha") / Positive(samples, "SklearnMlpAlphaToWeightDecay");

    /// <summary>scikit-learn LogisticRegression minimizes ½‖w‖² + C·Σᵢ lossᵢ; divided by C·n that is the mean loss
    /// plus (1/(2Cn))‖w‖², so λ_wd = 1/(C·n) (and the Keras l2 = 1/(2Cn)).</summary>
    public static double LogisticRegressionCToWeightDecay(double c, int samples)
    {
        if (!(c > 0)) throw new ArgumentException($"LogisticRegressionCToWeightDecay: C must be positive, got {c}");
        return 1 / (c * Positive(samples, "LogisticRegressionCToWeightDecay"));
    }

    /// <summary>Inverse of <see cref="LogisticRegressionCToWeightDecay"/>: C = 1/(λ_wd·n).</summary>
    public static double WeightDecayToLogisticRegressionC(double weightDecay, int samples)
    {
        if (!(weightDecay > 0)) throw new ArgumentException($"WeightDecayToLogisticRegressionC: weightDecay must be positive, got {weightDecay}");
        return 1 / (weightDecay * Positive(samples, "WeightDecayToLogisticRegressionC"));
    }

    /// <summary>
    /// glmnet's penalty λ·((1 − α)/2·‖w‖² + α·‖w‖₁) as Keras-style coefficients (l1, l2) = (λα, λ(1 − α)/2).
    /// For the Gaussian family glmnet's data term is RSS/(2n), half of a mean squared error: with
    /// <paramref name="againstMeanSquaredError"/> the coefficients are doubled to pair with MSELoss.
    /// </summary>
    public static (double L1, double L2) GlmnetToElasticNet(double lambda, double alpha, bool againstMeanSquaredError = false)
    {
        NonNegative(lambda, "GlmnetToElasticNet", "lambda");
        if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentException($"GlmnetToElasticNet: alpha must be in [0, 1], got {alpha}");
        double scale = againstMeanSquaredError ? 2 : 1;
        return (scale * lambda * alpha, scale * lambda * (1 - alpha) / 2);
    }

    /// <summary>Batch-norm momentum: PyTorch's weight of the new batch, m_torch = 1 − m_keras (Keras weighs the old average).</summary>
    public static double KerasBatchNormMomentumToPyTorch(double kerasMomentum)
    {
        if (!(kerasMomentum >= 0 && kerasMomentum <= 1)) throw new ArgumentException($"KerasBatchNormMomentumToPyTorch: momentum must be in [0, 1], got {kerasMomentum}");
        return 1 - kerasMomentum;
    }

    /// <summary>m_keras = 1 − m_torch.</summary>
    public static double PyTorchBatchNormMomentumToKeras(double torchMomentum) => KerasBatchNormMomentumToPyTorch(torchMomentum);

    static double NonNegative(double v, string op, string name) =>
        v >= 0 ? v : throw new ArgumentException($"{op}: {name} must be non-negative, got {v}");

    static int Positive(int n, string op) =>
        n > 0 ? n : throw new ArgumentException($"{op}: samples must be positive, got {n}");
}
