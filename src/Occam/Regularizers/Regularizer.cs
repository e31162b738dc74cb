using System.Globalization;

namespace Occam.Regularizers;

/// <summary>
/// A weight penalty, as a Keras regularizer: a small callable w ↦ scalar built from tensor ops, so its
/// gradient flows into w, plus a config that <see cref="Regularizers.Get(IReadOnlyDictionary{string, object})"/>
/// turns back into the same regularizer. Attach one to a layer's kernel, bias or output
/// (e.g. <c>new Linear(784, 512, kernelRegularizer: new L2(1e-4))</c>) and add
/// <see cref="Regularization.Penalty"/> to the loss.
/// </summary>
public abstract class Regularizer
{
    /// <summary>The registry name ("l1", "l2", "l1_l2", "orthogonal_regularizer").</summary>
    public abstract string Name { get; }

    /// <summary>The penalty of <paramref name="w"/>: a 0-d tensor on the graph of <paramref name="w"/>.</summary>
    public abstract Tensor Penalty(Tensor w);

    /// <summary>The settings by Keras's config keys, e.g. {"l2": 0.01} or {"factor": 0.01, "mode": "rows"}: numbers as
    /// double, names as string.</summary>
    public abstract Dictionary<string, object?> ToConfig();

    public override string ToString() =>
        $"{GetType().Name}({string.Join(", ", ToConfig().Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value}")))})";

    /// <summary>Throws unless <paramref name="value"/> is a finite non-negative number.</summary>
    private protected static double Check(string op, string what, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{op}: {what} must be a finite non-negative number, got {value}"));
        return value;
    }

    /// <summary>Σ|w|.</summary>
    private protected static Tensor SumAbs(Tensor w) => w.Abs().Sum();

    /// <summary>Σw².</summary>
    private protected static Tensor SumSquares(Tensor w) => (w * w).Sum();
}
