namespace Occam.Losses;

/// <summary>
/// Binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss:
/// ℓ = (1 − y)·x + (1 + (p − 1)·y)·softplus(−x), which with pos_weight p = 1 is the stable
/// max(x, 0) − x·y + log(1 + e^{−|x|}) (softplus(−x) = max(−x, 0) + log(1 + e^{−|x|})).
/// pos_weight (broadcast over the input, typically [C]) weighs the positive term as in PyTorch.
/// Label smoothing ε (Keras BinaryCrossentropy) first moves targets toward ½: y ← y·(1 − ε) + ε/2. <see cref="Weight"/>
/// (broadcast over the input) rescales each element's loss before the reduction, as PyTorch's weight.
/// </summary>
public sealed class BCEWithLogitsLoss : ILoss
{
    public Reduction Reduction { get; }
    public Tensor? PosWeight { get; }
    public float LabelSmoothing { get; }
    /// <summary>Per-element rescaling of the loss, broadcast over the input; null for 1.</summary>
    public Tensor? Weight { get; }

    public BCEWithLogitsLoss(Reduction reduction = Reduction.Mean, Tensor? posWeight = null, float labelSmoothing = 0f, Tensor? weight = null)
    {
        Weight = weight;
        Reduction = reduction.Validate("BCEWithLogitsLoss");
        PosWeight = posWeight;
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"BCEWithLogitsLoss: labelSmoothing must be in [0, 1], got {labelSmoothing}");
        LabelSmoothing = labelSmoothing;
    }

    public Tensor Forward(Tensor input, Tensor target)
    {
        ReductionExtensions.CheckSameShape("BCEWithLogitsLoss", input, target);
        if (LabelSmoothing > 0) target = target * (1 - LabelSmoothing) + 0.5f * LabelSmoothing;
        var softplusNeg = input.Neg().Softplus();
        if (PosWeight != null)
        {
            if (!Shape.BroadcastsTo(PosWeight.ShapeRef, input.ShapeRef))
                throw new ArgumentException($"BCEWithLogitsLoss: posWeight of shape {Shape.Format(PosWeight.ShapeRef)} does not broadcast to input shape {Shape.Format(input.ShapeRef)}");
            softplusNeg = ((PosWeight - 1) * target + 1) * softplusNeg;
        }
        return Reduction.Apply(Weighted("BCEWithLogitsLoss", (1 - target) * input + softplusNeg, Weight));
    }

    /// <summary>The element-wise loss times weight (broadcast to its shape), or the loss itself without one.</summary>
    internal static Tensor Weighted(string op, Tensor loss, Tensor? weight)
    {
        if (weight == null) return loss;
        if (!Shape.BroadcastsTo(weight.ShapeRef, loss.ShapeRef))
            throw new ArgumentException($"{op}: weight of shape {Shape.Format(weight.ShapeRef)} does not broadcast to input shape {Shape.Format(loss.ShapeRef)}");
        return loss * weight;
    }
}
