namespace Occam.Losses;

/// <summary>
/// Binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss:
/// ℓ = (1 − y)·x + (1 + (p − 1)·y)·softplus(−x), which with pos_weight p = 1 is the stable
/// max(x, 0) − x·y + log(1 + e^{−|x|}) (softplus(−x) = max(−x, 0) + log(1 + e^{−|x|})).
/// pos_weight (broadcast over the input, typically [C]) weighs the positive term as in PyTorch.
/// Label smoothing ε (Keras BinaryCrossentropy) first moves targets toward ½: y ← y·(1 − ε) + ε/2.
/// </summary>
public sealed class BCEWithLogitsLoss : ILoss
{
    public Reduction Reduction { get; }
    public Tensor? PosWeight { get; }
    public float LabelSmoothing { get; }

    public BCEWithLogitsLoss(Reduction reduction = Reduction.Mean, Tensor? posWeight = null, float labelSmoothing = 0f)
    {
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
        return Reduction.Apply((1 - target) * input + softplusNeg);
    }
}
