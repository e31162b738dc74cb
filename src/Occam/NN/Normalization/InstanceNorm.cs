using System.Globalization;

namespace Occam.NN;

/// <summary>
/// Instance normalization (Ulyanov et al. 2016, torch.nn.InstanceNorm1d/2d/3d), shared by <see cref="InstanceNorm1d"/>,
/// <see cref="InstanceNorm2d"/> and <see cref="InstanceNorm3d"/>: of input [N, C, *spatial] or unbatched [C, *spatial],
/// each (sample, channel) is normalized over its spatial dims with its own mean and biased variance,
/// y = (x − μ)/√(σ² + eps)·γ_c + β_c (γ, β only when <c>affine</c>). With <c>trackRunningStats</c>, training moves
/// "running_mean"/"running_var" toward the batch average of the instance statistics (unbiased variance, factor
/// <c>momentum</c>) and evaluation normalizes with them; "num_batches_tracked" is kept for PyTorch state dicts but, as in
/// PyTorch, not counted.
/// </summary>
public abstract class InstanceNormBase : RunningNormBase
{
    private protected InstanceNormBase(int numFeatures, float eps, float momentum, bool affine, bool trackRunningStats)
        : base(numFeatures, eps, affine, trackRunningStats)
    {
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentException($"{GetType().Name}: momentum must be in [0, 1], got {momentum}");
        Momentum = momentum;
    }

    public float Momentum { get; }

    /// <summary>The number of spatial dims: 1, 2 or 3.</summary>
    private protected abstract int SpatialDims { get; }

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        string name = GetType().Name;
        int batched = SpatialDims + 2;
        if (input.Rank != batched - 1 && input.Rank != batched)
            throw new ArgumentException($"{name}: expected {batched - 1}D or {batched}D input, got {input.Rank}D input {Shape.Format(input.ShapeRef)}");
        bool unbatched = input.Rank == batched - 1;
        var x = unbatched ? input.Unsqueeze(0) : input;
        if (x.Dim(1) != NumFeatures) throw new ArgumentException($"{name}: expected {NumFeatures} channels, got {x.Dim(1)}");
        var y = Functional.InstanceNorm(x, RunningMean, RunningVar, Weight, Bias, IsTraining || !TrackRunningStats, Momentum, Eps, name);
        return unbatched ? y.Squeeze(0) : y;
    }

    protected override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{GetType().Name}({NumFeatures}, eps={Eps}, momentum={Momentum}, affine={Affine}, trackRunningStats={TrackRunningStats})");
}

/// <summary>Instance normalization of [N, C, L] or unbatched [C, L] over L (torch.nn.InstanceNorm1d); see
/// <see cref="InstanceNormBase"/>.</summary>
public sealed class InstanceNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = false, bool trackRunningStats = false)
    : InstanceNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    private protected override int SpatialDims => 1;
}

/// <summary>Instance normalization of [N, C, H, W] or unbatched [C, H, W] over H·W (torch.nn.InstanceNorm2d); see
/// <see cref="InstanceNormBase"/>.</summary>
public sealed class InstanceNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = false, bool trackRunningStats = false)
    : InstanceNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    private protected override int SpatialDims => 2;
}

/// <summary>Instance normalization of [N, C, D, H, W] or unbatched [C, D, H, W] over D·H·W (torch.nn.InstanceNorm3d);
/// see <see cref="InstanceNormBase"/>.</summary>
public sealed class InstanceNorm3d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = false, bool trackRunningStats = false)
    : InstanceNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    private protected override int SpatialDims => 3;
}
