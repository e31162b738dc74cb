namespace Occam.Losses;

/// <summary>Mean squared error, as torch.nn.MSELoss: ℓ = (x − y)².</summary>
public sealed class MSELoss : ILoss
{
    public Reduction Reduction { get; }

    public MSELoss(Reduction reduction = Reduction.Mean) => Reduction = reduction.Validate("MSELoss");

    public Tensor Forward(Tensor input, Tensor target)
    {
        ReductionExtensions.CheckSameShape("MSELoss", input, target);
        return Reduction.Apply((input - target).Pow(2));
    }
}
