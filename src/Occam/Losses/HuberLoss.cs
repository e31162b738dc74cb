namespace Occam.Losses;

/// <summary>
/// Huber loss (Huber 1964), as torch.nn.HuberLoss: with d = x − y, ℓ = ½d² where |d| &lt; δ, else δ·(|d| − ½δ).
/// Computed as ½q² + δ·(|d| − q) with q = min(|d|, δ), which is both branches at once.
/// </summary>
public sealed class HuberLoss : ILoss
{
    public float Delta { get; }
    public Reduction Reduction { get; }

    public HuberLoss(float delta = 1, Reduction reduction = Reduction.Mean)
    {
        if (!(delta > 0) || float.IsPositiveInfinity(delta)) throw new ArgumentException($"HuberLoss: delta must be positive and finite, got {delta}");
        Delta = delta;
        Reduction = reduction.Validate("HuberLoss");
    }

    public Tensor Forward(Tensor input, Tensor target)
    {
        ReductionExtensions.CheckSameShape("HuberLoss", input, target);
        return Reduction.Apply(Elementwise(input - target, Delta));
    }

    internal static Tensor Elementwise(Tensor difference, float delta)
    {
        var a = difference.Abs();
        var q = a.Clamp(max: delta);
        return q.Pow(2) * 0.5f + (a - q) * delta;
    }
}
