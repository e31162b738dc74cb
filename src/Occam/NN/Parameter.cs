using Occam.Regularizers;

namespace Occam.NN;

/// <summary>A tensor that a module owns and an optimizer updates: a leaf that requires grad
/// (as torch.nn.Parameter). It copies the data it is made from.</summary>
public sealed class Parameter : Tensor
{
    public Parameter(Tensor data, bool requiresGrad = true) : base(Copy(data), data.Shape)
    {
        RequiresGrad = requiresGrad;
    }

    /// <summary>The penalty on this parameter that <see cref="Regularization.Penalty"/> adds to the loss (set by a
    /// layer's kernelRegularizer/biasRegularizer), or null.</summary>
    public Regularizer? Regularizer { get; set; }

    /// <summary>The projection every optimizer applies to this parameter after each step (set by a layer's
    /// kernelConstraint/biasConstraint), or null.</summary>
    public Constraint? Constraint { get; set; }

    static float[] Copy(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.ToArray();
    }
}
