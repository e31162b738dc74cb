namespace Occam.Regularizers;

/// <summary>
/// A projection of weights applied in place after each optimizer step, as a Keras constraint. Attach one with
/// a layer's <c>kernelConstraint</c>/<c>biasConstraint</c> (it sets <see cref="NN.Parameter.Constraint"/>) and
/// every optimizer's <c>Step()</c> applies it after the update and the proximal L1 step.
/// </summary>
/// <remarks>Axis translation: Keras stores a Dense kernel as [in, out] and its default <c>axis=0</c> takes one norm
/// per output unit. Occam (like PyTorch) stores [out, in] (and [out, in, kH, kW] for Conv2d), so the same per-unit
/// norm reduces over every dim except 0, which is the default here (<c>axis: null</c>); for a vector (a bias) the
/// default is the whole vector, as Keras's <c>axis=0</c> on it. Pass <c>axis</c> to reduce over other dims; it names
/// Occam's dims, not Keras's: Keras's <c>axis=1</c> on a Dense kernel (one norm per input) is <c>axis: [0]</c> here, and
/// Keras's <c>axis=[0, 1, 2]</c> on a Conv2D kernel [kH, kW, in, out] is the default (<c>[1, 2, 3]</c>) here.</remarks>
public abstract class Constraint
{
    /// <summary>Keras's backend epsilon, added to norms before dividing.</summary>
    private protected const float Epsilon = 1e-7f;

    /// <summary>The Keras name ("max_norm", "unit_norm", "non_neg", "min_max_norm").</summary>
    public abstract string Name { get; }

    /// <summary>The projected weights as a new tensor, off the graph (Keras's <c>constraint(w)</c>).</summary>
    public Tensor Project(Tensor w)
    {
        ArgumentNullException.ThrowIfNull(w);
        using var _ = Autograd.NoGrad();
        return Compute(w);
    }

    /// <summary>Projects <paramref name="w"/> in place.</summary>
    public void Apply(Tensor w)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (!ApplyInPlace(w)) w.CopyFrom(Project(w));
    }

    /// <summary>Projects <paramref name="w"/> where it is, when this constraint has such a path for it (the optimizer
    /// applies a constraint after every step); false leaves it to <see cref="Project"/>.</summary>
    private protected virtual bool ApplyInPlace(Tensor w) => false;

    private protected abstract Tensor Compute(Tensor w);

    /// <summary>The settings by Keras's config keys.</summary>
    public abstract Dictionary<string, object?> ToConfig();

    public override string ToString() => $"{GetType().Name}({string.Join(", ", ToConfig().Select(kv => $"{kv.Key}={Format(kv.Value)}"))})";

    static string Format(object? v) => v switch
    {
        null => "null",
        int[] a => Shape.Format(a),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>‖w‖₂ over <paramref name="axis"/> (see the remarks for the default), kept as size-1 dims.</summary>
    private protected Tensor Norms(Tensor w, int[]? axis)
    {
        foreach (int a in axis ?? [])
            if (a < -w.Rank || a >= w.Rank)
                throw new ArgumentException($"{GetType().Name}: axis {a} is out of range for a weight of shape {Shape.Format(w.ShapeRef)}");
        if (axis != null && axis.Select(a => a < 0 ? a + w.Rank : a).Distinct().Count() != axis.Length)
            throw new ArgumentException($"{GetType().Name}: axis [{string.Join(", ", axis)}] names a dimension twice");
        return (w * w).Sum(Axes(w, axis), keepDim: true).Sqrt();
    }

    static int[]? Axes(Tensor w, int[]? axis) =>
        axis ?? (w.Rank >= 2 ? Enumerable.Range(1, w.Rank - 1).ToArray() : null);

    /// <summary>A copy of <paramref name="axis"/>, refused when empty (numpy's and torch's sums disagree on what that
    /// reduces) or naming a dim twice.</summary>
    private protected static int[]? CopyAxis(string op, int[]? axis)
    {
        if (axis == null) return null;
        if (axis.Length == 0) throw new ArgumentException($"{op}: axis must name at least one dimension (null for the default, every dim but 0), got []");
        if (axis.Distinct().Count() != axis.Length) throw new ArgumentException($"{op}: axis [{string.Join(", ", axis)}] names a dimension twice");
        return (int[])axis.Clone();
    }
}
