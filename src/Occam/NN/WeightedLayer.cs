using Occam.Regularizers;

namespace Occam.NN;

/// <summary>
/// A layer with a kernel ("weight", PyTorch init kaiming_uniform(a = √5)) and an optional bias (U(−1/√fan_in, 1/√fan_in)),
/// where Keras's per-layer regularization attaches: penalties on the kernel, bias and output, collected by
/// <see cref="Regularization.Penalty"/>, and constraints on the kernel and bias, applied by the optimizer after each step.
/// </summary>
public abstract class WeightedLayer : Module
{
    private protected WeightedLayer(string name, int[] weightShape, int fanIn, bool bias, Generator? generator, LayerRegularization? regularization)
    {
        var g = generator ?? Init.DefaultGenerator();
        Weight = RegisterParameter("weight", new Parameter(Init.KaimingUniform(weightShape, fanIn, g)))!;
        Bias = RegisterParameter("bias", bias ? new Parameter(Init.FanInUniform([weightShape[0]], fanIn, g)) : null);
        var r = regularization ?? default;
        if (!bias && (r.BiasRegularizer != null || r.BiasConstraint != null))
            throw new ArgumentException($"{name}: biasRegularizer and biasConstraint need bias: true");
        (Weight.Regularizer, Weight.Constraint, ActivityRegularizer) = (r.KernelRegularizer, r.KernelConstraint, r.ActivityRegularizer);
        if (Bias != null) (Bias.Regularizer, Bias.Constraint) = (r.BiasRegularizer, r.BiasConstraint);
    }

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

    Parameter BiasOrThrow() => Bias ?? throw new InvalidOperationException($"{GetType().Name}: this layer has no bias (bias: false)");

    /// <summary>The layer's computation without the activity penalty.</summary>
    private protected abstract Tensor Compute(Tensor input);

    /// <summary>The rank of an unbatched input the layer also takes (PyTorch: [C, H, W] for Conv2d), run as a batch of
    /// one and returned without the batch dimension; null when it takes only batches.</summary>
    private protected virtual int? UnbatchedRank => null;

    public sealed override Tensor Forward(Tensor input) => UnbatchedRank is int rank
        ? Unbatched(input, x => RecordActivity(Compute(x), ActivityRegularizer), rank)
        : RecordActivity(Compute(Checked(input)), ActivityRegularizer);
}

/// <summary>The regularization arguments a <see cref="WeightedLayer"/> passes through.</summary>
public readonly record struct LayerRegularization(Regularizer? KernelRegularizer, Regularizer? BiasRegularizer, Regularizer? ActivityRegularizer,
    Constraint? KernelConstraint, Constraint? BiasConstraint);
