using System.Globalization;

namespace Occam.NN;

/// <summary>
/// Instance normalization (Ulyanov et al. 2016, torch.nn.InstanceNorm2d) of input [N, C, H, W] or
/// unbatched [C, H, W]: each (sample, channel) is normalized over H·W with its own mean and biased
/// variance, y = (x − μ)/√(σ² + eps)·γ_c + β_c (γ, β only when <c>affine</c>). With
/// <c>trackRunningStats</c>, training moves "running_mean"/"running_var" toward the batch average of the
/// instance statistics (unbiased variance, factor <c>momentum</c>) and evaluation normalizes with them;
/// "num_batches_tracked" is kept for PyTorch state dicts but, as in PyTorch, not counted.
/// </summary>
public sealed class InstanceNorm2d : RunningNormBase
{
    public InstanceNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = false, bool trackRunningStats = false)
        : base(numFeatures, eps, affine, trackRunningStats)
    {
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"InstanceNorm2d: momentum must be in [0, 1], got {momentum}");
        Momentum = momentum;
    }

    public float Momentum { get; }

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        if (input.Rank != 3 && input.Rank != 4)
            throw new ArgumentException($"InstanceNorm2d: expected 3D or 4D input, got {input.Rank}D input {Shape.Format(input.ShapeRef)}");
        bool unbatched = input.Rank == 3;
        var x = unbatched ? input.Unsqueeze(0) : input;
        if (x.Dim(1) != NumFeatures) throw new ArgumentException($"InstanceNorm2d: expected {NumFeatures} channels, got {x.Dim(1)}");
        var y = Functional.InstanceNorm(x, RunningMean, RunningVar, Weight, Bias, IsTraining || !TrackRunningStats, Momentum, Eps, "InstanceNorm2d");
        return unbatched ? y.Squeeze(0) : y;
    }

    protected override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"InstanceNorm2d({NumFeatures}, eps={Eps}, momentum={Momentum}, affine={Affine}, trackRunningStats={TrackRunningStats})");
}
