namespace Occam.Losses;

/// <summary>
/// Cross-entropy of logits, as torch.nn.CrossEntropyLoss: input [N, C] or [N, C, d1, ...] (or [C]),
/// log p = log_softmax over the class dim. Two kinds of target, told apart by shape:
/// <list type="bullet">
/// <item>class indices [N, d1, ...] (floats holding integers): ℓ_i = (1 − ε)·w[y_i]·(−log p_{y_i}) + (ε/C)·Σ_c w_c·(−log p_c);
/// targets equal to <see cref="IgnoreIndex"/> (−100 by default, as PyTorch's ignore_index; null for none) contribute 0;
/// Mean divides Σℓ_i by Σ w[y_i] over kept targets (NaN where that is 0: every target ignored or weighted 0).</item>
/// <item>probabilities of the input's shape (MixUp, CutMix): ℓ_i = −Σ_c w_c·t'_c·log p_c with t' = (1 − ε)·t + ε/C;
/// Mean divides by the number of samples N·d1·…; the default ignore index does not apply to them (another one is an
/// error, as there is no class index to compare).</item>
/// </list>
/// Label smoothing ε follows Szegedy et al. 2016 in PyTorch's form (1 − ε)·NLL + (ε/C)·Σ_c(−log p_c).
/// </summary>
public sealed class CrossEntropyLoss : ILoss
{
    public float LabelSmoothing { get; }
    public Reduction Reduction { get; }
    public int? IgnoreIndex { get; }
    /// <summary>Per-class rescaling weights of shape [C], or null for 1.</summary>
    public Tensor? Weight { get; }

    /// <summary>PyTorch's default ignore_index: targets of this value are skipped.</summary>
    public const int DefaultIgnoreIndex = -100;

    public CrossEntropyLoss(float labelSmoothing = 0, Reduction reduction = Reduction.Mean, int? ignoreIndex = DefaultIgnoreIndex, Tensor? weight = null)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"CrossEntropyLoss: labelSmoothing must be in [0, 1], got {labelSmoothing}");
        LabelSmoothing = labelSmoothing;
        Reduction = reduction.Validate("CrossEntropyLoss");
        IgnoreIndex = ignoreIndex;
        Weight = NLLLoss.CheckWeight("CrossEntropyLoss", weight);
    }

    public Tensor Forward(Tensor input, Tensor target)
    {
        const string op = "CrossEntropyLoss";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.Rank == 0) throw new ArgumentException($"{op}: input must have a class dim, got shape []");
        int classDim = input.Rank == 1 ? 0 : 1, classes = input.Dim(classDim);
        var weight = NLLLoss.ClassWeights(op, Weight, classes);
        var indexShape = NLLLoss.IndexTargetShape(input);
        bool soft = Shape.Equal(target.ShapeRef, input.ShapeRef);
        if (!soft && !Shape.Equal(target.ShapeRef, indexShape))
            throw new ArgumentException($"{op}: input shape {Shape.Format(input.ShapeRef)} and target shape {Shape.Format(target.ShapeRef)} do not match: " +
                                        $"expected class indices of shape {Shape.Format(indexShape)} or probabilities of shape {Shape.Format(input.ShapeRef)}");
        // The common case, [N, C] logits with class indices, no weights and no ignored target: one fused op.
        if (!soft && input.Rank == 2 && weight == null && !NLLLoss.HasIgnored(target, IgnoreIndex) && Reduction != Reduction.None && input.Dim(0) > 0)
            return Functional.SoftmaxCrossEntropy(input, target, LabelSmoothing, mean: Reduction == Reduction.Mean);
        var logProbs = input.LogSoftmax(classDim);
        if (!soft) return NLLLoss.ClassIndexLoss(op, logProbs, target, LabelSmoothing, Reduction, IgnoreIndex, weight);

        if (IgnoreIndex is int ignore && ignore >= 0)
            throw new ArgumentException($"{op}: ignoreIndex {IgnoreIndex} is not supported with probability targets (it must be negative there, as PyTorch)");
        var t = LabelSmoothing > 0 ? target * (1 - LabelSmoothing) + LabelSmoothing / classes : target;
        var product = logProbs * t;
        if (weight != null)
        {
            var broadcast = new int[input.Rank - classDim];
            Array.Fill(broadcast, 1);
            broadcast[0] = classes;
            product *= Tensor.FromArray(weight, broadcast);
        }
        var loss = product.Sum(classDim).Neg();
        return Reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.Sum(),
            _ => loss.Mean(),
        };
    }
}
