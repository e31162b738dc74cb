using Occam.Regularizers;

namespace Occam.NN;

/// <summary>y = x·Wᵀ + b with W [out, in] (torch.nn.Linear); weight and bias initialised
/// U(−1/√in, 1/√in) as PyTorch's kaiming_uniform(a = √5). Keras's per-layer regularization attaches here: penalties on
/// the kernel (weight), bias and output, collected by <see cref="Regularization.Penalty"/>, and constraints on the kernel
/// and bias, applied by the optimizer after each step.</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null,
        Constraint? kernelConstraint = null, Constraint? biasConstraint = null)
    {
        if (inFeatures < 1) throw new ArgumentException($"Linear: inFeatures must be positive, got {inFeatures}");
        if (outFeatures < 1) throw new ArgumentException($"Linear: outFeatures must be positive, got {outFeatures}");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var g = generator ?? Init.DefaultGenerator();
        Weight = RegisterParameter("weight", new Parameter(Init.KaimingUniform([outFeatures, inFeatures], inFeatures, g)))!;
        Bias = RegisterParameter("bias", bias ? new Parameter(Init.FanInUniform([outFeatures], inFeatures, g)) : null);
        if (!bias && (biasRegularizer != null || biasConstraint != null))
            throw new ArgumentException("Linear: biasRegularizer and biasConstraint need bias: true");
        (Weight.Regularizer, Weight.Constraint, ActivityRegularizer) = (kernelRegularizer, kernelConstraint, activityRegularizer);
        if (Bias != null) (Bias.Regularizer, Bias.Constraint) = (biasRegularizer, biasConstraint);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
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

    Parameter BiasOrThrow() => Bias ?? throw new InvalidOperationException("Linear: this layer has no bias (bias: false)");

    public override Tensor Forward(Tensor input) => RecordActivity(Functional.Linear(input, Weight, Bias), ActivityRegularizer);

    protected override string Describe() => $"Linear(in={InFeatures}, out={OutFeatures}, bias={Bias != null})";
}
