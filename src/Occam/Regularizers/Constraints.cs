using System.Globalization;

namespace Occam.Regularizers;

/// <summary>Max-norm (Srebro et al. 2005; keras.constraints.MaxNorm): each unit's weight vector is scaled down to
/// norm <c>maxValue</c> when longer: w ← w·clip(‖w‖, 0, max)/(ε + ‖w‖). Per output unit by default (see
/// <see cref="Constraint"/> for the axis translation from Keras). Used with dropout (Srivastava et al. 2014, max 3–4).</summary>
public sealed class MaxNorm : Constraint
{
    public MaxNorm(double maxValue = 2, int[]? axis = null)
    {
        if (!(maxValue >= 0)) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"MaxNorm: maxValue must be non-negative, got {maxValue}"));
        (MaxValue, Axis) = (maxValue, CopyAxis("MaxNorm", axis));
    }

    public double MaxValue { get; }

    /// <summary>The dims each norm reduces over; null: all but dim 0 (a vector: all).</summary>
    public int[]? Axis { get; }

    public override string Name => "max_norm";

    private protected override Tensor Compute(Tensor w)
    {
        var norms = Norms(w, Axis);
        return w * (norms.Clamp(0, (float)MaxValue) / (norms + Epsilon));
    }

    /// <summary>The default axis on a matrix or kernel: per row, one pass for its norm and one to scale it by
    /// min(‖w‖, max)/(‖w‖ + ε) as <see cref="Compute"/> does, with nothing allocated, where the tensor ops make six
    /// passes and as many temporaries after every optimizer step.</summary>
    private protected override bool ApplyInPlace(Tensor w)
    {
        if (Axis != null || w.Rank < 2 || w.Size == 0) return false;
        int rows = w.Dim(0), length = w.Size / rows;
        var data = w.Span;
        float max = (float)MaxValue;
        for (int r = 0; r < rows; r++)
        {
            var row = data.Slice(r * length, length);
            float norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares<float>(row));
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, Math.Clamp(norm, 0, max) / (norm + Epsilon), row);
        }
        w.Storage.Version++; // changed in place, as CopyFrom marks it
        return true;
    }

    public override Dictionary<string, object?> ToConfig() => new() { ["max_value"] = MaxValue, ["axis"] = Axis };
}

/// <summary>Unit norm (keras.constraints.UnitNorm): w ← w/(ε + ‖w‖), per output unit by default (see
/// <see cref="Constraint"/>).</summary>
public sealed class UnitNorm(int[]? axis = null) : Constraint
{
    /// <summary>The dims each norm reduces over; null: all but dim 0 (a vector: all).</summary>
    public int[]? Axis { get; } = CopyAxis("UnitNorm", axis);

    public override string Name => "unit_norm";

    private protected override Tensor Compute(Tensor w) => w / (Norms(w, Axis) + Epsilon);

    public override Dictionary<string, object?> ToConfig() => new() { ["axis"] = Axis };
}

/// <summary>Non-negativity (keras.constraints.NonNeg): w ← w·[w ≥ 0], negative weights become 0.</summary>
public sealed class NonNeg : Constraint
{
    public override string Name => "non_neg";

    private protected override Tensor Compute(Tensor w) => w.Relu();

    public override Dictionary<string, object?> ToConfig() => [];
}

/// <summary>Min-max norm (keras.constraints.MinMaxNorm): w ← w·d/(ε + ‖w‖) with
/// d = rate·clip(‖w‖, min, max) + (1 − rate)·‖w‖, so <c>rate</c> = 1 enforces the bounds strictly and a smaller rate
/// moves each norm part of the way. Per output unit by default (see <see cref="Constraint"/>).</summary>
public sealed class MinMaxNorm : Constraint
{
    public MinMaxNorm(double minValue = 0, double maxValue = 1, double rate = 1, int[]? axis = null)
    {
        if (!(minValue >= 0 && maxValue >= minValue))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"MinMaxNorm: need 0 ≤ minValue ≤ maxValue, got minValue {minValue}, maxValue {maxValue}"));
        if (!(rate >= 0 && rate <= 1))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"MinMaxNorm: rate must be in [0, 1], got {rate}"));
        (MinValue, MaxValue, Rate, Axis) = (minValue, maxValue, rate, CopyAxis("MinMaxNorm", axis));
    }

    public double MinValue { get; }
    public double MaxValue { get; }
    public double Rate { get; }

    /// <summary>The dims each norm reduces over; null: all but dim 0 (a vector: all).</summary>
    public int[]? Axis { get; }

    public override string Name => "min_max_norm";

    private protected override Tensor Compute(Tensor w)
    {
        var norms = Norms(w, Axis);
        var desired = norms.Clamp((float)MinValue, (float)MaxValue) * (float)Rate + norms * (float)(1 - Rate);
        return w * (desired / (norms + Epsilon));
    }

    public override Dictionary<string, object?> ToConfig() =>
        new() { ["min_value"] = MinValue, ["max_value"] = MaxValue, ["rate"] = Rate, ["axis"] = Axis };
}
