namespace Occam.Losses;

/// <summary>How a loss reduces its per-element values, as PyTorch's <c>reduction</c> argument.</summary>
public enum Reduction
{
    /// <summary>The mean over elements (weighted by class weight for class-index losses), PyTorch's default.</summary>
    Mean,
    /// <summary>The sum over elements.</summary>
    Sum,
    /// <summary>No reduction: one value per element (per sample for class losses).</summary>
    None,
    /// <summary>The sum divided by the batch size (dim 0); KL divergence only, where it gives the true KL per sample.</summary>
    BatchMean,
}

static class ReductionExtensions
{
    /// <summary>Rejects <see cref="Reduction.BatchMean"/> and unknown values for every loss but KLDivLoss.</summary>
    internal static Reduction Validate(this Reduction reduction, string op, bool allowBatchMean = false)
    {
        if (!Enum.IsDefined(reduction) || (reduction == Reduction.BatchMean && !allowBatchMean))
            throw new ArgumentException($"{op}: reduction {reduction} is not supported; use Mean, Sum or None" +
                                        (allowBatchMean ? " or BatchMean" : ""));
        return reduction;
    }

    /// <summary>Reduces element-wise losses: mean or sum over all, or as they are.</summary>
    internal static Tensor Apply(this Reduction reduction, Tensor loss) => reduction switch
    {
        Reduction.Sum => loss.Sum(),
        Reduction.None => loss,
        Reduction.BatchMean => loss.Sum() * (1f / (loss.Rank == 0 ? 1 : loss.Dim(0))),
        _ => loss.Mean(),
    };

    /// <summary>Throws unless input and target have the same shape, naming both.</summary>
    internal static void CheckSameShape(string op, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!Shape.Equal(input.ShapeRef, target.ShapeRef))
            throw new ArgumentException($"{op}: input shape {Shape.Format(input.ShapeRef)} and target shape {Shape.Format(target.ShapeRef)} differ");
    }
}
