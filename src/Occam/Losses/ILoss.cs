namespace Occam.Losses;

/// <summary>A loss: configuration held by the object, the computation in <see cref="Forward"/>.</summary>
public interface ILoss
{
    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>, reduced as configured.</summary>
    Tensor Forward(Tensor input, Tensor target);
}
