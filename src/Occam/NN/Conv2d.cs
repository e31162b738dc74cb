using Occam.Regularizers;

namespace Occam.NN;

/// <summary>2-D convolution over NCHW input (torch.nn.Conv2d); weight [out, in/groups, kH, kW]
/// initialised as PyTorch (kaiming_uniform(a = √5), bias U(−1/√fan_in, 1/√fan_in)). Keras's per-layer regularization
/// attaches here as on <see cref="Linear"/>: kernel, bias and activity penalties, kernel and bias constraints (a
/// constraint's default norm is per output channel, over [in, kH, kW]).</summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null,
        Constraint? kernelConstraint = null, Constraint? biasConstraint = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator,
            kernelRegularizer, biasRegularizer, activityRegularizer, kernelConstraint, biasConstraint) { }

    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1, bool bias = true, Generator? generator = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null,
        Constraint? kernelConstraint = null, Constraint? biasConstraint = null)
    {
        if (inChannels < 1 || outChannels < 1) throw new ArgumentException($"Conv2d: channels must be positive, got in {inChannels}, out {outChannels}");
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: in ({inChannels}) and out ({outChannels}) channels must be divisible by groups ({groups})");
        if (kernelSize.H < 1 || kernelSize.W < 1) throw new ArgumentException($"Conv2d: kernel size must be positive, got [{kernelSize.H}, {kernelSize.W}]");
        if (stride.H < 1 || stride.W < 1) throw new ArgumentException($"Conv2d: stride must be positive, got [{stride.H}, {stride.W}]");
        if (padding.H < 0 || padding.W < 0) throw new ArgumentException($"Conv2d: padding must be non-negative, got [{padding.H}, {padding.W}]");
        if (dilation.H < 1 || dilation.W < 1) throw new ArgumentException($"Conv2d: dilation must be positive, got [{dilation.H}, {dilation.W}]");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        int fanIn = inChannels / groups * kernelSize.H * kernelSize.W;
        var g = generator ?? Init.DefaultGenerator();
        Weight = RegisterParameter("weight", new Parameter(Init.KaimingUniform([outChannels, inChannels / groups, kernelSize.H, kernelSize.W], fanIn, g)))!;
        Bias = RegisterParameter("bias", bias ? new Parameter(Init.FanInUniform([outChannels], fanIn, g)) : null);
        if (!bias && (biasRegularizer != null || biasConstraint != null))
            throw new ArgumentException("Conv2d: biasRegularizer and biasConstraint need bias: true");
        (Weight.Regularizer, Weight.Constraint, ActivityRegularizer) = (kernelRegularizer, kernelConstraint, activityRegularizer);
        if (Bias != null) (Bias.Regularizer, Bias.Constraint) = (biasRegularizer, biasConstraint);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public (int H, int W) KernelSize { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }
    public (int H, int W) Dilation { get; }
    public int Groups { get; }
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    /// <summary>Penalty on <see cref="Weight"/> (its <see cref="Parameter.Regularizer"/>).</summary>
    public Regularizer? KernelRegularizer { get => Weight.Regularizer; set => Weight.Regularizer = value; }

    /// <summary>Penalty on <see cref="Bias"/>; null without a bias.</summary>
    public Regularizer? BiasRegularizer { get => Bias?.Regularizer; set => BiasOrThrow().Regularizer = value; }

    /// <summary>Penalty on the output, recorded by each training-mode forward.</summary>
    public Regularizer? ActivityRegularizer { get; set; }

    /// <summary>Projection of <see cref="Weight"/> after each optimizer step (its <see cref="Parameter.Constraint"/>).</summary>
    public Constraint? KernelConstraint { get => Weight.Constraint; set => Weight.Constraint = value; }

    /// <summary>Projection of <see cref="Bias"/> after each optimizer step; null without a bias.</summary>
    public Constraint? BiasConstraint { get => Bias?.Constraint; set => BiasOrThrow().Constraint = value; }

    Parameter BiasOrThrow() => Bias ?? throw new InvalidOperationException("Conv2d: this layer has no bias (bias: false)");

    public override Tensor Forward(Tensor input) =>
        RecordActivity(Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups), ActivityRegularizer);

    protected override string Describe() =>
        $"Conv2d({InChannels}, {OutChannels}, kernel={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, groups={Groups}, bias={Bias != null})";
}
