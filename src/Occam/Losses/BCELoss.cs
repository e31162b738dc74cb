namespace Occam.Losses;

/// <summary>
/// Binary cross-entropy on probabilities, as torch.nn.BCELoss:
/// ℓ = −(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)), x ∈ [0, 1]; the clamp keeps x = 0 or 1 finite.
/// Prefer <see cref="BCEWithLogitsLoss"/> on logits, which is stable without the clamp. <see cref="Weight"/> (broadcast
/// over the input) rescales each element's loss before the reduction, as PyTorch's weight.
/// </summary>
public sealed class BCELoss : ILoss
{
    public Reduction Reduction { get; }
    /// <summary>Per-element rescaling of the loss, broadcast over the input; null for 1.</summary>
    public Tensor? Weight { get; }

    public BCELoss(Reduction reduction = Reduction.Mean, Tensor? weight = null)
    {
        Reduction = reduction.Validate("BCELoss");
        Weight = weight;
    }

    public Tensor Forward(Tensor input, Tensor target)
    {
        ReductionExtensions.CheckSameShape("BCELoss", input, target);
        foreach (float v in input.Span)
            if (!(v >= 0 && v <= 1)) throw new ArgumentException($"BCELoss: input must hold probabilities in [0, 1], got {v}");
        var loss = -(target * ClampedLog(input) + (1 - target) * ClampedLog(1 - input));
        return Reduction.Apply(BCEWithLogitsLoss.Weighted("BCELoss", loss, Weight));
    }

    // max(log p, −100) whose gradient is 0 where clamped, including at p = 0 (where 1/p would give NaN).
    static Tensor ClampedLog(Tensor p)
    {
        var positive = new float[p.Size];
        var s = p.Span;
        for (int i = 0; i < positive.Length; i++) positive[i] = s[i] > 0 ? 1 : 0;
        var mask = Tensor.FromArray(positive, p.Shape);
        var log = Tensor.Where(mask, p, Tensor.Scalar(1)).Log().Clamp(min: -100);
        return Tensor.Where(mask, log, Tensor.Scalar(-100));
    }
}
