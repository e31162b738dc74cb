namespace Occam.Data;

/// <summary>Examples held in two tensors whose dim 0 indexes the examples (as torch.utils.data.TensorDataset):
/// inputs [N, ...] and targets [N] (class indices or values) or [N, ...]. <see cref="Get"/> returns copies.</summary>
public sealed class TensorDataset : IDataset
{
    readonly int _inputRow, _targetRow;

    public TensorDataset(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Rank == 0) throw new ArgumentException("TensorDataset: inputs must have a dim 0 indexing the examples, got a 0-d tensor", nameof(inputs));
        if (targets.Rank == 0) throw new ArgumentException("TensorDataset: targets must have a dim 0 indexing the examples, got a 0-d tensor", nameof(targets));
        if (inputs.Dim(0) != targets.Dim(0))
            throw new ArgumentException($"TensorDataset: inputs hold {inputs.Dim(0)} examples (shape {Shape.Format(inputs.ShapeRef)}) but targets hold {targets.Dim(0)} (shape {Shape.Format(targets.ShapeRef)})");
        Inputs = inputs;
        Targets = targets;
        InputShape = inputs.ShapeRef[1..];
        TargetShape = targets.ShapeRef[1..];
        _inputRow = Shape.Size(InputShape);
        _targetRow = Shape.Size(TargetShape);
    }

    /// <summary>All inputs, [N, ...] (shared, not copied).</summary>
    public Tensor Inputs { get; }

    /// <summary>All targets, [N] or [N, ...] (shared, not copied).</summary>
    public Tensor Targets { get; }

    public int Count => Inputs.Dim(0);

    /// <summary>Shape of one input and of one target (dim 0 dropped).</summary>
    internal int[] InputShape { get; }
    internal int[] TargetShape { get; }

    public (Tensor Input, Tensor Target) Get(int index)
    {
        CheckIndex(index);
        var input = new Tensor(InputRow(index).ToArray(), (int[])InputShape.Clone());
        var target = new Tensor(TargetRow(index).ToArray(), (int[])TargetShape.Clone());
        return (input, target);
    }

    internal ReadOnlySpan<float> InputRow(int index) => Inputs.Span.Slice(index * _inputRow, _inputRow);

    internal ReadOnlySpan<float> TargetRow(int index) => Targets.Span.Slice(index * _targetRow, _targetRow);

    void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"TensorDataset.Get: index {index} is out of range for {Count} examples");
    }

    /// <summary>Finds the tensor dataset and row behind <paramref name="index"/>, looking through subsets,
    /// so loaders and splits can read rows without a copy per example.</summary>
    internal static bool TryResolve(IDataset dataset, int index, out TensorDataset source, out int row)
    {
        while (dataset is Subset subset)
        {
            index = subset.IndexAt(index);
            dataset = subset.Dataset;
        }
        source = (dataset as TensorDataset)!;
        row = index;
        if (source == null) return false;
        source.CheckIndex(index);
        return true;
    }
}
