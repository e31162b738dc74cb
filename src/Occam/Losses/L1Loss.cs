namespace Occam.Losses;

/// <summary>Mean absolute error, as torch.nn.L1Loss: ℓ = |x − y|.</summary>
public sealed class L1Loss : ILoss
{
    public Reduction Reduction { get; }

    public L1Loss(Reduction reduction = Reduction.Mean) => Reduction = reduction.Validate("L1Loss");

    public Tensor Forward(Tensor input, Tensor target)
    {
        ReductionExtensions.CheckSameShape("L1Loss", input, target);
        return Reduction.Apply((input - target).Abs());
    }
}
