namespace Occam.NN;

/// <summary>
/// What batch and instance normalization share: per-channel affine parameters "weight" (init 1) and "bias" (init 0)
/// when <see cref="Affine"/>, and the buffers "running_mean", "running_var" and "num_batches_tracked" (a 0-d count)
/// when <see cref="TrackRunningStats"/>, with PyTorch's names.
/// </summary>
public abstract class RunningNormBase : Module, INormalization
{
    private protected RunningNormBase(int numFeatures, float eps, bool affine, bool trackRunningStats)
    {
        string name = GetType().Name;
        if (numFeatures < 1) throw new ArgumentException($"{name}: numFeatures must be positive, got {numFeatures}");
        if (!(eps >= 0) || float.IsInfinity(eps)) throw new ArgumentException($"{name}: eps must be a non-negative finite number, got {eps}");
        NumFeatures = numFeatures;
        Eps = eps;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        Weight = RegisterParameter("weight", affine ? new Parameter(Tensor.Ones(numFeatures)) : null);
        Bias = RegisterParameter("bias", affine ? new Parameter(Tensor.Zeros(numFeatures)) : null);
        RunningMean = RegisterBuffer("running_mean", trackRunningStats ? Tensor.Zeros(numFeatures) : null);
        RunningVar = RegisterBuffer("running_var", trackRunningStats ? Tensor.Ones(numFeatures) : null);
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", trackRunningStats ? Tensor.Scalar(0f) : null);
    }

    public int NumFeatures { get; }
    public float Eps { get; }
    public bool Affine { get; }
    public bool TrackRunningStats { get; }
    public Parameter? Weight { get; }
    public Parameter? Bias { get; }
    public Tensor? RunningMean { get; }
    public Tensor? RunningVar { get; }

    /// <summary>0-d tensor counting the training forwards since the last reset.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>A state dict without "num_batches_tracked" sets the count to 0, as PyTorch loads a plain dict (one without
    /// its version metadata, such as safetensors gives) into a normalization layer.</summary>
    private protected override Tensor? ValueWhenMissing(string name) => name == "num_batches_tracked" ? Tensor.Scalar(0f) : null;

    /// <summary>Running mean 0, running variance 1, count 0 (in place).</summary>
    public void ResetRunningStats()
    {
        RunningMean?.Span.Clear();
        RunningVar?.Span.Fill(1f);
        NumBatchesTracked?.Span.Clear();
    }
}
