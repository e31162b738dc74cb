namespace Occam.NN;

/// <summary>y = x·Wᵀ + b with W [out, in] (torch.nn.Linear); weight and bias initialised
/// U(−1/√in, 1/√in) as PyTorch's kaiming_uniform(a = √5).</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        if (inFeatures < 1) throw new ArgumentException($"Linear: inFeatures must be positive, got {inFeatures}");
        if (outFeatures < 1) throw new ArgumentException($"Linear: outFeatures must be positive, got {outFeatures}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var g = generator ?? Init.DefaultGenerator();
        Weight = RegisterParameter("weight", new Parameter(Init.KaimingUniform([outFeatures, inFeatures], inFeatures, g)))!;
        Bias = RegisterParameter("bias", bias ? new Parameter(Init.FanInUniform([outFeatures], inFeatures, g)) : null);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    protected override string Describe() => $"Linear(in={InFeatures}, out={OutFeatures}, bias={Bias != null})";
}
