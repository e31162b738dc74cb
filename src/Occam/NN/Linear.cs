using Occam.Regularizers;

namespace Occam.NN;

/// <summary>y = x·Wᵀ + b with W [out, in] (torch.nn.Linear); weight and bias initialised
/// U(−1/√in, 1/√in) as PyTorch's kaiming_uniform(a = √5); regularization attaches as on every <see cref="WeightedLayer"/>.</summary>
public sealed class Linear : WeightedLayer
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null,
        Constraint? kernelConstraint = null, Constraint? biasConstraint = null)
        : base("Linear", [Positive(outFeatures, "outFeatures"), Positive(inFeatures, "inFeatures")], inFeatures, bias, generator,
            new LayerRegularization(kernelRegularizer, biasRegularizer, activityRegularizer, kernelConstraint, biasConstraint))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    static int Positive(int value, string name) => value >= 1 ? value : throw new ArgumentException($"Linear: {name} must be positive, got {value}");

    public int InFeatures { get; }
    public int OutFeatures { get; }

    private protected override Tensor Compute(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <summary>A single sample [in] gives [out], as PyTorch (its activity penalty counted as a batch of one).</summary>
    private protected override int? UnbatchedRank => 1;

    protected override string Describe() => $"Linear(in={InFeatures}, out={OutFeatures}, bias={Bias != null})";
}
