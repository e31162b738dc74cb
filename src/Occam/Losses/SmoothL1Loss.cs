namespace Occam.Losses;

/// <summary>
/// Smooth L1 loss (Girshick 2015, Fast R-CNN), as torch.nn.SmoothL1Loss: with d = x − y,
/// ℓ = ½d²/β where |d| &lt; β, else |d| − ½β; β = 0 is L1. It equals Huber(δ = β)/β.
/// </summary>
public sealed class SmoothL1Loss : ILoss
{
    public float Beta { get; }
    public Reduction Reduction { get; }

    public SmoothL1Loss(float beta = 1, Reduction reduction = Reduction.Mean)
    {
        if (!(beta >= 0) || float.IsPositiveInfinity(beta)) throw new ArgumentException($"SmoothL1Loss: beta must be non-negative and finite, got {beta}");
        Beta = beta;
        Reduction = reduction.Validate("SmoothL1Loss");
    }

    public Tensor Forward(Tensor input, Tensor target)
    {
        ReductionExtensions.CheckSameShape("SmoothL1Loss", input, target);
        var d = input - target;
        return Reduction.Apply(Beta == 0 ? d.Abs() : HuberLoss.Elementwise(d, Beta) * (1 / Beta));
    }
}
