using Occam.NN;

namespace Occam.Regularizers;

/// <summary>Collects the penalties attached to a model, for the training loop to add to the loss:
/// <c>var loss = criterion.Forward(model.Forward(x), y) + Regularization.Penalty(model);</c></summary>
public static class Regularization
{
    /// <summary>Σ over the tree of every trainable parameter's <see cref="Parameter.Regularizer"/> penalty (kernels and
    /// biases, each shared parameter once; as Keras 3, which sums over <c>trainable_weights</c>, a frozen parameter's is
    /// left out: it is a constant that would only shift the logged losses) plus every activity penalty recorded by training-mode forwards since the last call,
    /// which this call clears. A 0-d tensor; zero when nothing is attached.</summary>
    public static Tensor Penalty(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Tensor? total = null;
        foreach (var p in model.Parameters())
            if (p.Regularizer != null && p.RequiresGrad) total = Add(total, p.Regularizer.Penalty(p));
        foreach (var (_, module) in model.NamedModules())
            foreach (var penalty in module.TakeActivityPenalties()) total = Add(total, penalty);
        return total ?? Tensor.Scalar(0f);
    }

    static Tensor Add(Tensor? total, Tensor penalty) => total == null ? penalty : total + penalty;
}
