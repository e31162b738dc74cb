namespace Occam.Losses;

/// <summary>
/// Kullback–Leibler divergence, as torch.nn.KLDivLoss: input log-probabilities x, target t
/// (probabilities, or log-probabilities when <see cref="LogTarget"/>); ℓ = t·(log t − x), 0 where t = 0,
/// or e^t·(t − x) with log targets. <see cref="Reduction.BatchMean"/> (Σℓ / N) is the true KL per sample;
/// Mean (PyTorch's default) divides by every element.
/// </summary>
public sealed class KLDivLoss : ILoss
{
    public Reduction Reduction { get; }
    public bool LogTarget { get; }

    public KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        Reduction = reduction.Validate("KLDivLoss", allowBatchMean: true);
        LogTarget = logTarget;
    }

    public Tensor Forward(Tensor input, Tensor target)
    {
        ReductionExtensions.CheckSameShape("KLDivLoss", input, target);
        return Reduction.Apply(LogTarget ? target.Exp() * (target - input) : XLogX(target) - target * input);
    }

    // t·log t with 0 at t = 0 (torch.xlogy(t, t)); the masked log keeps the gradient finite there.
    static Tensor XLogX(Tensor t)
    {
        var nonzero = new float[t.Size];
        var s = t.Span;
        for (int i = 0; i < nonzero.Length; i++) nonzero[i] = s[i] != 0 ? 1 : 0;
        var mask = Tensor.FromArray(nonzero, t.Shape);
        return Tensor.Where(mask, t * Tensor.Where(mask, t, Tensor.Scalar(1)).Log(), Tensor.Scalar(0));
    }
}
