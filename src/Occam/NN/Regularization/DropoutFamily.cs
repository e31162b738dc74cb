namespace Occam.NN;

/// <summary>Marks the stochastic regularization layers (the dropout family), which MC dropout
/// keeps sampling at inference.</summary>
public interface IStochasticRegularizer
{
    /// <summary>The module's source of randomness (its state is saved with a resumable checkpoint).</summary>
    Generator Generator { get; }
}

/// <summary>Random masks shared by the dropout family; the layers apply them by composing ops,
/// so their gradients come for free.</summary>
internal static class Masks
{
    /// <summary>A tensor of <paramref name="shape"/> whose entries are 1/(1 − p) with probability 1 − p and 0 otherwise
    /// (all zeros when p = 1).</summary>
    public static Tensor Bernoulli(int[] shape, float p, Generator generator)
    {
        var mask = Tensor.Zeros(shape);
        if (p >= 1) return mask;
        float scale = 1f / (1f - p);
        var m = mask.Span;
        for (int i = 0; i < m.Length; i++) m[i] = generator.NextFloat() >= p ? scale : 0f;
        return mask;
    }

    /// <summary>Shape [N, C, 1, …, 1] of one mask entry per channel of a [N, C, …] input.</summary>
    public static int[] PerChannel(Tensor input, int spatialDims, string op)
    {
        int rank = input.Rank;
        if (rank != spatialDims + 2 && rank != spatialDims + 1)
            throw new ArgumentException($"{op}: expected a {spatialDims + 1}-D (unbatched) or {spatialDims + 2}-D (batched) input, got shape {Shape.Format(input.Shape)}");
        var shape = input.Shape;
        for (int i = rank - spatialDims; i < rank; i++) shape[i] = 1;
        return shape;
    }

    public static float CheckP(float p, string op) =>
        p >= 0 && p <= 1 ? p : throw new ArgumentException($"{op}: p must be in [0, 1], got {p}");
}

/// <summary>
/// Channel dropout (torch.nn.Dropout1d/2d/3d; Tompson et al. 2015, "Efficient object localization
/// using convolutional networks"): whole channels are zeroed with probability p and the rest scaled by
/// 1/(1 − p), since neighbouring activations of a feature map are correlated. Identity in evaluation.
/// </summary>
public abstract class ChannelDropout : Module, IStochasticRegularizer
{
    readonly Generator _generator;
    readonly int _spatialDims;

    private protected ChannelDropout(float p, int spatialDims, Generator? generator)
    {
        P = Masks.CheckP(p, GetType().Name);
        _spatialDims = spatialDims;
        _generator = generator ?? Init.DefaultGenerator();
    }

    public float P { get; }

    public Generator Generator => _generator;

    public override Tensor Forward(Tensor input)
    {
        var shape = Masks.PerChannel(Checked(input), _spatialDims, GetType().Name);
        if (!IsTraining || P == 0) return input;
        return input * Masks.Bernoulli(shape, P, _generator);
    }

    protected override string Describe() => $"{GetType().Name}(p={P})";
}

/// <summary>Drops whole channels of [N, C, L] (or [C, L]) input.</summary>
public sealed class Dropout1d(float p = 0.5f, Generator? generator = null) : ChannelDropout(p, 1, generator);

/// <summary>Drops whole channels of [N, C, H, W] (or [C, H, W]) input. A 3-D input is one unbatched image, as in
/// PyTorch 2 (PyTorch 1.13 warned and dropped along its last dimension instead, as Dropout1d on [N, C, L]).</summary>
public sealed class Dropout2d(float p = 0.5f, Generator? generator = null) : ChannelDropout(p, 2, generator);

/// <summary>Drops whole channels of [N, C, D, H, W] (or [C, D, H, W]) input.</summary>
public sealed class Dropout3d(float p = 0.5f, Generator? generator = null) : ChannelDropout(p, 3, generator);

/// <summary>
/// Alpha dropout for SELU networks (Klambauer et al. 2017), as torch.nn.AlphaDropout: dropped units are
/// set to SELU's negative saturation α' = −λα, then an affine map a·x + b restores zero mean and unit
/// variance: a = ((1 − p)(1 + p·α'²))^(−1/2), b = −a·α'·p. Identity in evaluation; p = 1 gives zeros.
/// </summary>
public sealed class AlphaDropout : Module, IStochasticRegularizer
{
    const float AlphaPrime = -Tensor.SeluScale * Tensor.SeluAlpha;
    readonly Generator _generator;

    public AlphaDropout(float p = 0.5f, Generator? generator = null)
    {
        P = Masks.CheckP(p, "AlphaDropout");
        _generator = generator ?? Init.DefaultGenerator();
    }

    public float P { get; }

    public Generator Generator => _generator;

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        if (!IsTraining || P == 0) return input;
        if (P == 1) return input * 0f;
        float a = 1f / MathF.Sqrt((1 - P) * (1 + P * AlphaPrime * AlphaPrime));
        float b = -a * AlphaPrime * P;
        var keep = Tensor.Zeros(input.Shape);
        var shift = Tensor.Zeros(input.Shape);
        var k = keep.Span;
        var s = shift.Span;
        for (int i = 0; i < k.Length; i++)
        {
            bool kept = _generator.NextFloat() >= P;
            k[i] = kept ? a : 0f;
            s[i] = kept ? b : a * AlphaPrime + b;
        }
        return input * keep + shift;
    }

    protected override string Describe() => $"AlphaDropout(p={P})";
}

/// <summary>
/// Multiplicative Gaussian noise (Keras GaussianDropout; Srivastava et al. 2014 §10): x·ε with
/// ε ~ N(1, rate/(1 − rate)), which matches the mean and variance of dropout with p = rate.
/// Identity in evaluation.
/// </summary>
public sealed class GaussianDropout : Module, IStochasticRegularizer
{
    readonly Generator _generator;

    public GaussianDropout(float rate, Generator? generator = null)
    {
        if (!(rate >= 0 && rate < 1)) throw new ArgumentException($"GaussianDropout: rate must be in [0, 1), got {rate}");
        Rate = rate;
        _generator = generator ?? Init.DefaultGenerator();
    }

    public float Rate { get; }

    public Generator Generator => _generator;

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        if (!IsTraining || Rate == 0) return input;
        return input * Tensor.RandN(input.Shape, _generator, 1f, MathF.Sqrt(Rate / (1 - Rate)));
    }

    protected override string Describe() => $"GaussianDropout(rate={Rate})";
}

/// <summary>Additive zero-mean Gaussian noise with standard deviation <see cref="Std"/> (Keras GaussianNoise),
/// in training only.</summary>
public sealed class GaussianNoise : Module, IStochasticRegularizer
{
    readonly Generator _generator;

    public GaussianNoise(float std, Generator? generator = null)
    {
        if (!(std >= 0 && float.IsFinite(std))) throw new ArgumentException($"GaussianNoise: std must be finite and non-negative, got {std}");
        Std = std;
        _generator = generator ?? Init.DefaultGenerator();
    }

    public float Std { get; }

    public Generator Generator => _generator;

    public override Tensor Forward(Tensor input) =>
        !IsTraining || Std == 0 ? Checked(input) : Checked(input) + Tensor.RandN(input.Shape, _generator, 0f, Std);

    protected override string Describe() => $"GaussianNoise(std={Std})";
}

/// <summary>
/// DropConnect (Wan et al. 2013): a Linear layer whose weights, not activations, are dropped — a fresh
/// mask each training forward, survivors scaled by 1/(1 − p) (the inverted form, so evaluation uses the
/// plain weights rather than the paper's Gaussian moment-matching). Parameters are named like Linear's.
/// </summary>
public sealed class DropConnect : Module, IStochasticRegularizer
{
    readonly Generator _generator;

    public DropConnect(int inFeatures, int outFeatures, float p = 0.5f, bool bias = true, Generator? generator = null)
    {
        P = Masks.CheckP(p, "DropConnect");
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"DropConnect: inFeatures and outFeatures must be positive, got {inFeatures} and {outFeatures}");
        _generator = generator ?? Init.DefaultGenerator();
        var linear = new Linear(inFeatures, outFeatures, bias, _generator);
        Weight = RegisterParameter("weight", linear.Weight)!;
        Bias = RegisterParameter("bias", linear.Bias);
    }

    public float P { get; }

    public Generator Generator => _generator;
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        if (input.Rank == 0 || input.ShapeRef[^1] != Weight.Dim(1))
            throw new ArgumentException($"DropConnect: input of shape {Shape.Format(input.ShapeRef)} does not end in its {Weight.Dim(1)} input features");
        var w = IsTraining && P > 0 ? Weight * Masks.Bernoulli(Weight.Shape, P, _generator) : Weight;
        return Functional.Linear(input, w, Bias);
    }

    protected override string Describe() => $"DropConnect(in={Weight.Dim(1)}, out={Weight.Dim(0)}, p={P}, bias={Bias != null})";
}

/// <summary>How <see cref="StochasticDepth"/> drops: each sample's branch independently, or the whole batch's at once.</summary>
public enum StochasticDepthMode { Row, Batch }

/// <summary>
/// Stochastic depth (Huang et al. 2016), as torchvision.ops.StochasticDepth: applied to a residual
/// branch's output, it zeroes the branch with probability p — per sample (Row) or for the whole batch
/// (Batch) — and scales survivors by 1/(1 − p). Identity in evaluation.
/// </summary>
public sealed class StochasticDepth : Module, IStochasticRegularizer
{
    readonly Generator _generator;

    public StochasticDepth(float p, StochasticDepthMode mode = StochasticDepthMode.Row, Generator? generator = null)
    {
        P = Masks.CheckP(p, "StochasticDepth");
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"StochasticDepth: mode must be Row or Batch, got {mode}");
        Mode = mode;
        _generator = generator ?? Init.DefaultGenerator();
    }

    public float P { get; }

    public Generator Generator => _generator;
    public StochasticDepthMode Mode { get; }

    public override Tensor Forward(Tensor input)
    {
        input = Checked(input);
        if (!IsTraining || P == 0) return input;
        var shape = Enumerable.Repeat(1, Math.Max(input.Rank, 1)).ToArray();
        if (Mode == StochasticDepthMode.Row && input.Rank > 0) shape[0] = input.Dim(0);
        return input * Masks.Bernoulli(shape, P, _generator);
    }

    protected override string Describe() => $"StochasticDepth(p={P}, mode={Mode})";
}
