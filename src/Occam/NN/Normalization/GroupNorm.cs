using System.Globalization;

namespace Occam.NN;

/// <summary>
/// Group normalization (Wu &amp; He 2018, torch.nn.GroupNorm) of input [N, C, *]: the C channels split
/// into <c>numGroups</c> groups of consecutive channels, and each (sample, group) is normalized with its
/// own mean and biased variance, y = (x − μ)/√(σ² + eps)·γ_c + β_c, with per-channel γ (init 1, "weight")
/// and β (init 0, "bias"). Independent of the batch; the same in training and evaluation.
/// </summary>
public sealed class GroupNorm : Module, INormalization
{
    public GroupNorm(int numGroups, int numChannels, float eps = 1e-5f, bool affine = true)
    {
        if (numGroups < 1) throw new ArgumentException($"GroupNorm: numGroups must be positive, got {numGroups}");
        if (numChannels < 1) throw new ArgumentException($"GroupNorm: numChannels must be positive, got {numChannels}");
        if (numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: numChannels must be divisible by numGroups, got numChannels = {numChannels}, numGroups = {numGroups}");
        if (!(eps >= 0) || float.IsInfinity(eps)) throw new ArgumentException($"GroupNorm: eps must be a non-negative finite number, got {eps}");
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        Affine = affine;
        Weight = RegisterParameter("weight", affine ? new Parameter(Tensor.Ones(numChannels)) : null);
        Bias = RegisterParameter("bias", affine ? new Parameter(Tensor.Zeros(numChannels)) : null);
    }

    public int NumGroups { get; }
    public int NumChannels { get; }
    public float Eps { get; }
    public bool Affine { get; }
    public Parameter? Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        if (input.Rank < 2) throw new ArgumentException($"GroupNorm: expected input [N, C, ...], got {Shape.Format(input.ShapeRef)}");
        if (input.Dim(1) != NumChannels) throw new ArgumentException($"GroupNorm: expected {NumChannels} channels, got {input.Dim(1)}");
        return Functional.GroupNorm(input, NumGroups, Weight, Bias, Eps, "GroupNorm");
    }

    protected override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"GroupNorm({NumGroups}, {NumChannels}, eps={Eps}, affine={Affine})");
}
