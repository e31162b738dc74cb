using Occam.NN;

namespace Occam.Regularizers;

/// <summary>
/// L2-SP (Li, Grandvalet &amp; Davoine 2018, "Explicit inductive bias for transfer learning with convolutional
/// networks"): α·Σ(w − w₀)², pulling fine-tuned weights toward their pretrained values w₀ instead of toward zero
/// (Keras convention: no ½). Its gradient 2α(w − w₀) vanishes at w = w₀. Use <see cref="Attach"/> to give every
/// pretrained parameter its own reference, and a plain <see cref="L2"/> (the paper's β term) on a new head.
/// </summary>
public sealed class L2SP : Regularizer
{
    readonly Tensor _reference;

    public L2SP(double alpha, Tensor reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        Alpha = Check("L2SP", "alpha", alpha);
        _reference = reference.Clone();
    }

    public double Alpha { get; }

    /// <summary>The starting point w₀ (a copy).</summary>
    public Tensor Reference => _reference.Clone();

    public override string Name => "l2_sp";

    public override Tensor Penalty(Tensor w)
    {
        if (!w.Shape.SequenceEqual(_reference.Shape))
            throw new ArgumentException($"L2SP: weight of shape {Shape.Format(w.Shape)} does not match its reference {Shape.Format(_reference.Shape)}");
        var d = w - _reference;
        return (d * d).Sum() * (float)Alpha;
    }

    public override Dictionary<string, object?> ToConfig() => new() { ["alpha"] = Alpha };

    /// <summary>Attaches L2-SP with each parameter's current value as w₀ to the parameters of <paramref name="model"/>
    /// whose dotted names start with one of <paramref name="prefixes"/> (all parameters when none are given),
    /// replacing any regularizer they had. Returns how many parameters it attached to.</summary>
    public static int Attach(Module model, double alpha, params string[] prefixes)
    {
        ArgumentNullException.ThrowIfNull(model);
        int count = 0;
        foreach (var (name, p) in model.NamedParameters())
        {
            if (prefixes.Length > 0 && !prefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal))) continue;
            p.Regularizer = new L2SP(alpha, p);
            count++;
        }
        return count;
    }
}
