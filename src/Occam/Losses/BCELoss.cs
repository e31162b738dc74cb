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
        return Reduction.Apply(BCEWithLogitsLoss.Weighted("BCELoss", Elementwise(input, target), Weight));
    }

    /// <summary>−(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)) per element, with PyTorch's gradients:
    /// (x − y)/max(x(1 − x), 10⁻¹²) for the input, finite even where x is 0, 1 or so close that 1/x overflows, and
    /// −logit(x) = log(1 − x) − log x, unclamped (±∞ at x = 0 or 1), for a target that needs one.</summary>
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
        if (!input.Tracks && !target.Tracks) return result;
        return Tensor.Record(result, "BCELoss", g =>
        {
            var xs = input.Span;
            var ys = target.Span;
            if (input.RequiresGrad)
            {
                var gx = input.GradSpan();
                for (int i = 0; i < gx.Length; i++)
                    gx[i] += (float)(g[i] * (xs[i] - ys[i]) / Math.Max((double)xs[i] * (1 - xs[i]), 1e-12));
            }
            if (target.RequiresGrad)
            {
                var gy = target.GradSpan();
                for (int i = 0; i < gy.Length; i++)
                    gy[i] += (float)(g[i] * (Math.Log(1.0 - xs[i]) - Math.Log(xs[i])));
            }
        }, [input, target]);
    }
}
