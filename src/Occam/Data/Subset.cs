namespace Occam.Data;

/// <summary>The examples of <see cref="Dataset"/> at the given indices, in that order (as torch.utils.data.Subset).</summary>
public sealed class Subset : IDataset
{
    readonly int[] _indices;

    public Subset(IDataset dataset, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)dataset.Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Subset: indices[{i}] = {indices[i]} is out of range for a dataset of {dataset.Count} examples");
        Dataset = dataset;
        _indices = (int[])indices.Clone();
    }

    /// <summary>The dataset the indices refer to.</summary>
    public IDataset Dataset { get; }

    /// <summary>Indices into <see cref="Dataset"/>.</summary>
    public IReadOnlyList<int> Indices => _indices;

    public int Count => _indices.Length;

    public (Tensor Input, Tensor Target) Get(int index) => Dataset.Get(IndexAt(index));

    internal int IndexAt(int index)
    {
        if ((uint)index >= (uint)_indices.Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"Subset.Get: index {index} is out of range for {_indices.Length} examples");
        return _indices[index];
    }
}
