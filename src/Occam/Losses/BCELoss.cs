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
        // A target that needs a gradient goes through autograd; otherwise one op with PyTorch's input gradient.
        var loss = target.Tracks ? -(target * ClampedLog(input) + (1 - target) * ClampedLog(1 - input)) : Elementwise(input, target);
        return Reduction.Apply(BCEWithLogitsLoss.Weighted("BCELoss", loss, Weight));
    }

    /// <summary>−(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)) per element, with PyTorch's gradient
    /// (x − y)/max(x(1 − x), 10⁻¹²): finite even where x is 0, 1 or so close that 1/x overflows.</summary>
    static Tensor Elementwise(Tensor input, Tensor target)
    {
        var x = input.Span;
        var y = target.Span;
        var loss = new float[x.Length];
        for (int i = 0; i < loss.Length; i++)
        {
            double logX = x[i] > 0 ? Math.Max(Math.Log(x[i]), -100) : -100, log1mX = x[i] < 1 ? Math.Max(Math.Log(1.0 - x[i]), -100) : -100;
            loss[i] = (float)-(y[i] * logX + (1 - y[i]) * log1mX);
        }
        var result = Tensor.FromArray(loss, input.Shape);
        if (!input.Tracks) return result;
        return Tensor.Record(result, "BCELoss", g =>
        {
            var gx = input.GradSpan();
            var xs = input.Span;
            var ys = target.Span;
            for (int i = 0; i < gx.Length; i++)
                gx[i] += (float)(g[i] * (xs[i] - ys[i]) / Math.Max((double)xs[i] * (1 - xs[i]), 1e-12));
        }, [input]);
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
