namespace Occam.Data;

/// <summary>A finite, indexable collection of examples (as torch.utils.data.Dataset): each is an input
/// tensor and a target tensor (a 0-d class index stored as a float, or a value/vector for regression).</summary>
public interface IDataset
{
    /// <summary>Number of examples.</summary>
    int Count { get; }

    /// <summary>The example at <paramref name="index"/> (0 ≤ index &lt; Count).</summary>
    (Tensor Input, Tensor Target) Get(int index);
}

/// <summary>A batch: inputs stacked along a new dim 0, and targets likewise ([N] class indices, or [N, C] soft targets).</summary>
public readonly record struct Batch(Tensor Inputs, Tensor Targets)
{
    public int Count => Inputs.Dim(0);
}
