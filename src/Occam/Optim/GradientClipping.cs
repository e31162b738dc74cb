using System.Numerics.Tensors;
using Occam.NN;

namespace Occam.Optim;

/// <summary>Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients together so their global norm ‖g‖_p (over every parameter, as if concatenated)
    /// is at most <paramref name="maxNorm"/>: g ← g·min(1, maxNorm/(‖g‖ + 1e-6)). Returns the norm before
    /// clipping. <paramref name="normType"/> may be any p ≥ 1 or +∞; a <paramref name="maxNorm"/> of +∞ only measures.
    /// A NaN or infinite norm scales every gradient by NaN or 0, as PyTorch; with <paramref name="errorIfNonfinite"/>
    /// it throws instead and leaves the gradients as they were (torch's error_if_nonfinite=True).
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm, double normType = 2.0, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) throw new ArgumentException($"ClipGradNorm: maxNorm must be non-negative, got {maxNorm}");
        if (!(normType >= 1)) throw new ArgumentException($"ClipGradNorm: normType must be at least 1 (or infinity), got {normType}");
        var grads = parameters.Select(p => p ?? throw new ArgumentException("ClipGradNorm: a parameter is null")).Where(p => p.Grad != null).Select(p => p.Grad!).ToList();
        double total = 0;
        foreach (var g in grads)
        {
            var s = g.Span;
            if (double.IsPositiveInfinity(normType)) { if (s.Length > 0) total = Math.Max(total, Math.Abs(TensorPrimitives.MaxMagnitude(s))); }
            else if (normType == 2) total += TensorPrimitives.SumOfSquares(s);
            else foreach (float v in s) total += Math.Pow(Math.Abs(v), normType);
        }
        if (!double.IsPositiveInfinity(normType)) total = normType == 2 ? Math.Sqrt(total) : Math.Pow(total, 1 / normType);
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new InvalidOperationException($"ClipGradNorm: the total norm of order {normType} of the gradients is {total}, so they cannot be clipped; " +
                "pass errorIfNonfinite: false to scale them by it anyway");
        double coefficient = maxNorm / (total + 1e-6);
        // As torch's clamp(coefficient, max=1): a NaN norm makes every gradient NaN rather than leaving them unscaled.
        if (!(coefficient >= 1))
            foreach (var g in grads) TensorPrimitives.Multiply(g.Span, (float)coefficient, g.Span);
        return total;
    }

    /// <summary>Clamps every gradient element to [−clipValue, clipValue].</summary>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0)) throw new ArgumentException($"ClipGradValue: clipValue must be non-negative, got {clipValue}");
        float c = (float)clipValue;
        foreach (var p in parameters)
            if ((p ?? throw new ArgumentException("ClipGradValue: a parameter is null")).Grad is { } grad) TensorPrimitives.Clamp(grad.Span, -c, c, grad.Span);
    }
}
