using Occam.Regularizers;

namespace Occam.NN;

/// <summary>2-D convolution over NCHW input (torch.nn.Conv2d); weight [out, in/groups, kH, kW]
/// initialised as PyTorch; regularization attaches as on every <see cref="WeightedLayer"/> (a constraint's default
/// norm is per output channel, over [in, kH, kW]). Padding is an amount per side, or <see cref="ConvPadding.Same"/>
/// (<c>padding: ConvPadding.Same</c>, PyTorch's padding='same'); <c>paddingMode</c> makes up the padded values as
/// PyTorch's padding_mode does (zeros, reflect, replicate, circular).</summary>
public sealed class Conv2d : WeightedLayer
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, ConvPadding padding = default, int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null,
        Constraint? kernelConstraint = null, Constraint? biasConstraint = null, PaddingMode paddingMode = PaddingMode.Constant)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), padding, (dilation, dilation), groups, bias, generator,
            kernelRegularizer, biasRegularizer, activityRegularizer, kernelConstraint, biasConstraint, paddingMode) { }

    /// <summary>A kernel of (H, W) (PyTorch's kernel_size=(3, 5)); stride and dilation default to (1, 1).</summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W)? stride = null, ConvPadding padding = default, (int H, int W)? dilation = null, int groups = 1, bool bias = true, Generator? generator = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null,
        Constraint? kernelConstraint = null, Constraint? biasConstraint = null, PaddingMode paddingMode = PaddingMode.Constant)
        : base("Conv2d", [outChannels, Validate(inChannels, outChannels, kernelSize, stride ?? (1, 1), padding, dilation ?? (1, 1), groups, paddingMode), kernelSize.H, kernelSize.W],
            inChannels / groups * kernelSize.H * kernelSize.W, bias, generator,
            new LayerRegularization(kernelRegularizer, biasRegularizer, activityRegularizer, kernelConstraint, biasConstraint))
    {
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups, PaddingMode) =
            (inChannels, outChannels, kernelSize, stride ?? (1, 1), padding, dilation ?? (1, 1), groups, paddingMode);
    }

    // Checks the geometry before the base constructor allocates the weight; returns in/groups.
    static int Validate(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, ConvPadding padding, (int H, int W) dilation, int groups, PaddingMode paddingMode)
    {
        if (inChannels < 1 || outChannels < 1) throw new ArgumentException($"Conv2d: channels must be positive, got in {inChannels}, out {outChannels}");
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: in ({inChannels}) and out ({outChannels}) channels must be divisible by groups ({groups})");
        if (kernelSize.H < 1 || kernelSize.W < 1) throw new ArgumentException($"Conv2d: kernel size must be positive, got [{kernelSize.H}, {kernelSize.W}]");
        if (stride.H < 1 || stride.W < 1) throw new ArgumentException($"Conv2d: stride must be positive, got [{stride.H}, {stride.W}]");
        if (dilation.H < 1 || dilation.W < 1) throw new ArgumentException($"Conv2d: dilation must be positive, got [{dilation.H}, {dilation.W}]");
        if (!Enum.IsDefined(paddingMode)) throw new ArgumentException($"Conv2d: unknown paddingMode {(int)paddingMode}; use Constant (zeros), Reflect, Replicate or Circular");
        padding.Sides(kernelSize, stride, dilation, "Conv2d"); // non-negative; 'same' only at stride 1
        return inChannels / groups;
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }
    public ConvPadding Padding { get; }

    /// <summary>How the padded values are made (PyTorch's padding_mode; Constant is its "zeros").</summary>
    public PaddingMode PaddingMode { get; }
    public (int H, int W) Dilation { get; }
    public int Groups { get; }

    private protected override Tensor Compute(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups, PaddingMode);

    /// <summary>An unbatched [C, H, W] input gives [O, H', W'], as PyTorch.</summary>
    private protected override int? UnbatchedRank => 3;

    protected override string Describe() =>
        $"Conv2d({InChannels}, {OutChannels}, kernel={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, groups={Groups}, bias={Bias != null}" +
        (PaddingMode == PaddingMode.Constant ? ")" : $", padding_mode={PaddingMode.ToString().ToLowerInvariant()})");
}
