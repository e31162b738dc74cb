using System.Globalization;

namespace Occam.Losses;

/// <summary>
/// Negative log-likelihood of class indices, as torch.nn.NLLLoss: input log-probabilities
/// [N, C] or [N, C, d1, ...] (or [C]), target class indices [N] or [N, d1, ...] (or []) stored as floats;
/// ℓ_i = −w[y_i]·x[i, y_i], ignored targets (−100 by default, as PyTorch's ignore_index; null for none) contribute 0;
/// Mean divides Σℓ_i by Σ w[y_i] over kept targets (NaN where that is 0: every target ignored or weighted 0).
/// </summary>
public sealed class NLLLoss : ILoss
{
    public Reduction Reduction { get; }
    public int? IgnoreIndex { get; }
    /// <summary>Per-class rescaling weights of shape [C], or null for 1.</summary>
    public Tensor? Weight { get; }

    public NLLLoss(Reduction reduction = Reduction.Mean, int? ignoreIndex = CrossEntropyLoss.DefaultIgnoreIndex, Tensor? weight = null)
    {
        Reduction = reduction.Validate("NLLLoss");
        IgnoreIndex = ignoreIndex;
        Weight = CheckWeight("NLLLoss", weight);
    }

    public Tensor Forward(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.Rank == 0) throw new ArgumentException("NLLLoss: input must have a class dim, got shape []");
        int classDim = input.Rank == 1 ? 0 : 1;
        var weight = ClassWeights("NLLLoss", Weight, input.Dim(classDim));
        if (!Shape.Equal(target.ShapeRef, IndexTargetShape(input)))
            throw new ArgumentException($"NLLLoss: input shape {Shape.Format(input.ShapeRef)} and target shape {Shape.Format(target.ShapeRef)} do not match: " +
                                        $"expected class indices of shape {Shape.Format(IndexTargetShape(input))}");
        return ClassIndexLoss("NLLLoss", input, target, 0, Reduction, IgnoreIndex, weight);
    }

    /// <summary>Whether any class-index target equals <paramref name="ignoreIndex"/>.</summary>
    internal static bool HasIgnored(Tensor target, int? ignoreIndex)
    {
        if (ignoreIndex is not int ignored) return false;
        foreach (float v in target.Span) if (v == ignored) return true;
        return false;
    }

    internal static Tensor? CheckWeight(string op, Tensor? weight)
    {
        if (weight != null && weight.Rank != 1)
            throw new ArgumentException($"{op}: weight must be 1-D (one value per class), got shape {Shape.Format(weight.ShapeRef)}");
        return weight;
    }

    internal static float[]? ClassWeights(string op, Tensor? weight, int classes)
    {
        if (weight == null) return null;
        if (weight.Size != classes)
            throw new ArgumentException($"{op}: weight of shape {Shape.Format(weight.ShapeRef)} does not match {classes} classes");
        return weight.ToArray();
    }

    /// <summary>The input shape without its class dim: [N, d1, ...], or [] for a 1-D input.</summary>
    internal static int[] IndexTargetShape(Tensor input) =>
        input.Rank == 1 ? [] : [input.Dim(0), .. input.ShapeRef.AsSpan(2)];

    /// <summary>
    /// −Σ_c T[i, c]·logp[i, c] with T = (1 − ε)·w[y_i]·onehot(y_i) + (ε/C)·w (zero rows for ignored
    /// targets): NLL and PyTorch's label-smoothing term in one product, whose gradient autograd derives.
    /// Both terms of PyTorch's Mean divide by Σ w[y_i] over kept targets, so one denominator serves.
    /// </summary>
    internal static Tensor ClassIndexLoss(string op, Tensor logProbs, Tensor target, float smoothing,
                                          Reduction reduction, int? ignoreIndex, float[]? weight)
    {
        int classDim = logProbs.Rank == 1 ? 0 : 1;
        int classes = logProbs.Dim(classDim);
        int inner = logProbs.Rank <= 2 ? 1 : Shape.Size(logProbs.ShapeRef.AsSpan(2));
        var t = target.Span;
        var coefficients = new float[logProbs.Size];
        double total = 0;
        for (int i = 0; i < t.Length; i++)
        {
            float v = t[i];
            if (ignoreIndex is int ignored && v == ignored) continue;
            if (v != MathF.Floor(v))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{op}: target {v} is not an integer class index"));
            if (v < 0 || v >= classes)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{op}: target {v} is out of range for {classes} classes"));
            int y = (int)v, n = i / inner, s = i % inner, row = n * classes * inner + s;
            float w = weight?[y] ?? 1f;
            total += w;
            coefficients[row + y * inner] += (1 - smoothing) * w;
            if (smoothing > 0)
                for (int c = 0; c < classes; c++) coefficients[row + c * inner] += smoothing / classes * (weight?[c] ?? 1f);
        }
        // Entries with no weight are left out rather than multiplied by 0, so a −∞ log-probability of another class
        // (a masked logit) costs nothing, as in PyTorch, instead of making the loss 0·∞ = NaN.
        var unused = Tensor.FromArray(Array.ConvertAll(coefficients, c => c == 0 ? 1f : 0f), logProbs.Shape);
        var loss = (logProbs.MaskedFill(unused, 0f) * Tensor.FromArray(coefficients, logProbs.Shape)).Sum(classDim).Neg();
        return reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.Sum(),
            // a zero total weight (every target ignored or weighted 0) is PyTorch's 0/0 = NaN, smoothing term included
            _ => loss.Sum() * (total == 0 ? float.NaN : (float)(1 / total)),
        };
    }
}
