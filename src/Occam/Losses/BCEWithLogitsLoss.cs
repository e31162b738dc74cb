namespace Occam.Losses;

/// <summary>
/// Binary cross-entropy on logits, as torch.nn.BCEWithLogitsLoss:
/// ℓ = (1 − y)·x + (1 + (p − 1)·y)·softplus(−x), which with pos_weight p = 1 is the stable
/// max(x, 0) − x·y + log(1 + e^{−|x|}) (softplus(−x) = max(−x, 0) + log(1 + e^{−|x|})).
/// pos_weight (broadcast over the input, typically [C]) weighs the positive term as in PyTorch.
/// </summary>
public sealed class BCEWithLogitsLoss : ILoss
{
    public Reduction Reduction { get; }
    public Tensor? PosWeight { get; }

    public BCEWithLogitsLoss(Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        Reduction = reduction.Validate("BCEWithLogitsLoss");
        PosWeight = posWeight;
    }

    public Tensor Forward(Tensor input, Tensor target)
    {
        ReductionExtensions.CheckSameShape("BCEWithLogitsLoss", input, target);
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
