namespace Occam.Regularizers;

/// <summary>L2 penalty λ·Σw² (keras.regularizers.L2; default λ = 0.01), with no ½ and no /n. Through plain
/// SGD it equals coupled weight decay of 2λ: the gradient is 2λw.</summary>
public sealed class L2(double l2 = 0.01) : Regularizer
{
    public double Strength { get; } = Check("L2", "l2", l2);

    public override string Name => "l2";

    public override Tensor Penalty(Tensor w) => SumSquares(w) * (float)Strength;

    public override Dictionary<string, object?> ToConfig() => new() { ["l2"] = Strength };
}
