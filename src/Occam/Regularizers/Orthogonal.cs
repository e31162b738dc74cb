namespace Occam.Regularizers;

/// <summary>Which vectors of a matrix <see cref="Orthogonal"/> pushes apart.</summary>
public enum OrthogonalMode
{
    /// <summary>The rows. On Occam's <c>Linear</c> weight [out, in] (PyTorch's layout) these are the output units'
    /// weight vectors, which Keras's rows mode reaches only on a transposed kernel.</summary>
    Rows,

    /// <summary>The columns. On a Keras <c>Dense</c> kernel [in, out] the columns are the units' weight vectors.</summary>
    Columns,
}

/// <summary>
/// keras.regularizers.OrthogonalRegularizer: factor × the mean over pairs of |cos| between the rows (or columns) of a
/// matrix, factor·½·Σ_{i≠j}|v̂ᵢ·v̂ⱼ| / (n(n − 1)/2) with v̂ = v / max(‖v‖, 10⁻⁷), so 0 when the vectors are orthogonal
/// and factor when they are all parallel. It encourages units to respond to different directions of their input
/// without limiting the weights' size. Takes a 2-D tensor (a linear layer's weight), as Keras. A single row (or
/// column) has no pairs and gets 0 (Keras divides by zero pairs and returns NaN).
/// </summary>
public sealed class Orthogonal : Regularizer
{
    public Orthogonal(double factor = 0.01, OrthogonalMode mode = OrthogonalMode.Rows)
    {
        Factor = Check("Orthogonal", "factor", factor);
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"Orthogonal: mode must be Rows or Columns, got {(int)mode}");
        Mode = mode;
    }

    public double Factor { get; }
    public OrthogonalMode Mode { get; }

    public override string Name => "orthogonal_regularizer";

    public override Tensor Penalty(Tensor w)
    {
        ArgumentNullException.ThrowIfNull(w);
        if (w.Rank != 2)
            throw new ArgumentException($"Orthogonal: takes a 2-D weight (a linear layer's), got shape {Shape.Format(w.ShapeRef)}");
        var vectors = Mode == OrthogonalMode.Rows ? w : w.Transpose(0, 1);
        int n = vectors.Dim(0);
        if (n < 2) return (w.Sum() * 0f); // no pairs; still on w's graph
        // ‖v‖ floored at 1e-7 (Keras's normalize), floored before the square root so a zero vector's gradient is 0, not NaN
        var norms = (vectors * vectors).Sum(1, keepDim: true).Clamp(min: 1e-14f).Sqrt();
        var unit = vectors / norms;
        var cosines = unit.MatMul(unit.Transpose(0, 1));
        var offDiagonal = Tensor.Ones(n, n);
        var mask = offDiagonal.Span;
        for (int i = 0; i < n; i++) mask[i * n + i] = 0f;
        double pairs = n * (n - 1.0) / 2;
        return (cosines * offDiagonal).Abs().Sum() * (float)(Factor * 0.5 / pairs);
    }

    public override Dictionary<string, object?> ToConfig() =>
        new() { ["factor"] = Factor, ["mode"] = Mode == OrthogonalMode.Rows ? "rows" : "columns" };
}
