namespace Occam.NN;

/// <summary>A tensor that a module owns and an optimizer updates: a leaf that requires grad
/// (as torch.nn.Parameter). It copies the data it is made from.</summary>
public sealed class Parameter : Tensor
{
    public Parameter(Tensor data, bool requiresGrad = true) : base(Copy(data), data.Shape)
    {
        RequiresGrad = requiresGrad;
    }

    static float[] Copy(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.ToArray();
    }
}
