using System.Globalization;

namespace Occam.NN;

/// <summary>
/// Batch normalization (Ioffe &amp; Szegedy 2015, torch.nn.BatchNorm*d), shared by
/// <see cref="BatchNorm1d"/>, <see cref="BatchNorm2d"/> and <see cref="BatchNorm3d"/>: per channel c,
/// y = (x − μ_c)/√(σ²_c + eps)·γ_c + β_c. In training μ and σ² are the batch's mean and biased variance
/// over every dim but the channel dim, and the buffers move in place:
/// running = (1 − momentum)·running + momentum·batch, with the unbiased variance for running_var;
/// <c>momentum: null</c> gives the cumulative average (factor 1/num_batches_tracked). In evaluation the
/// running statistics normalize. Without <c>trackRunningStats</c> there are no buffers and batch
/// statistics are used in both modes. Buffers "running_mean", "running_var", "num_batches_tracked"
/// (a 0-d tensor holding the count) and parameters "weight" (init 1), "bias" (init 0) carry PyTorch's names.
/// </summary>
public abstract class BatchNormBase : RunningNormBase
{
    private protected BatchNormBase(int numFeatures, float eps, float? momentum, bool affine, bool trackRunningStats)
        : base(numFeatures, eps, affine, trackRunningStats)
    {
        Momentum = momentum;
    }

    /// <summary>Weight of the batch statistics in the running update; null for a cumulative average
    /// (settable, e.g. by SWA's batch-norm update pass).</summary>
    public float? Momentum
    {
        get => _momentum;
        set { CheckMomentum(GetType().Name, value); _momentum = value; }
    }

    float? _momentum;

    static void CheckMomentum(string name, float? momentum)
    {
        if (momentum is { } m && !(m >= 0 && m <= 1)) throw new ArgumentException($"{name}: momentum must be in [0, 1] or null, got {m}");
    }

    /// <summary>Input ranks this layer accepts, e.g. {4} for BatchNorm2d.</summary>
    private protected abstract int[] Ranks { get; }

    public override Tensor Forward(Tensor input) => Forward(input, relu: false);

    /// <summary>This layer followed by a ReLU, and then by a dropout in training or by a 2×2 max pool of stride 2
    /// (<paramref name="maxPool2"/>), in one pass forward and backward (used by <see cref="Sequential"/>); the dropout
    /// draws from its own generator as its Forward would.</summary>
    internal Tensor Forward(Tensor input, bool relu, Dropout? dropout = null, bool maxPool2 = false)
    {
        input = Checked(input);
        string name = GetType().Name;
        if (!Ranks.Contains(input.Rank))
            throw new ArgumentException($"{name}: expected {string.Join(" or ", Ranks.Select(r => r + "D"))} input, got {input.Rank}D input {Shape.Format(input.ShapeRef)}");
        if (input.Dim(1) != NumFeatures)
            throw new ArgumentException($"{name}: expected {NumFeatures} channels, got {input.Dim(1)}");
        float factor = Momentum ?? 0f;
        if (IsTraining && NumBatchesTracked != null)
        {
            NumBatchesTracked.Span[0] += 1;
            if (Momentum == null) factor = 1f / NumBatchesTracked.Span[0];
        }
        // Batch statistics in training, and in evaluation too when no running statistics are kept.
        bool useBatchStats = IsTraining || RunningMean == null;
        var stream = dropout == null ? default : Kernels.DropoutStream.Next(dropout.Generator, dropout.P);
        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatchStats, factor, Eps, name, relu, stream, maxPool2);
    }

    /// <summary>In evaluation with running statistics this layer is y = x·scale + shift per channel: fills both
    /// (γ/√(running_var + eps) and β − running_mean·scale, as the unfused op computes them) and returns true.</summary>
    internal bool TryFold(Span<float> scale, Span<float> shift)
    {
        if (IsTraining || RunningMean == null || RunningVar == null) return false;
        ReadOnlySpan<float> mean = RunningMean.Span, variance = RunningVar.Span;
        ReadOnlySpan<float> gamma = Weight == null ? default : Weight.Span, beta = Bias == null ? default : Bias.Span;
        for (int c = 0; c < NumFeatures; c++)
        {
            float rstd = (float)(1.0 / Math.Sqrt(variance[c] + (double)Eps));
            float s = gamma.IsEmpty ? rstd : rstd * gamma[c];
            scale[c] = s;
            shift[c] = (beta.IsEmpty ? 0f : beta[c]) - mean[c] * s;
        }
        return true;
    }

    protected override string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{GetType().Name}({NumFeatures}, eps={Eps}, momentum={(Momentum?.ToString(CultureInfo.InvariantCulture) ?? "None")}, affine={Affine}, trackRunningStats={TrackRunningStats})");
}

/// <summary>Batch normalization over [N, C] or [N, C, L] (torch.nn.BatchNorm1d); see <see cref="BatchNormBase"/>.</summary>
public sealed class BatchNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    private protected override int[] Ranks => [2, 3];
}

/// <summary>Batch normalization over [N, C, H, W] (torch.nn.BatchNorm2d); see <see cref="BatchNormBase"/>.</summary>
public sealed class BatchNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    private protected override int[] Ranks => [4];
}

/// <summary>Batch normalization over [N, C, D, H, W] (torch.nn.BatchNorm3d); see <see cref="BatchNormBase"/>.</summary>
public sealed class BatchNorm3d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats)
{
    private protected override int[] Ranks => [5];
}
