namespace Occam.NN;

/// <summary>Flattens dims startDim..endDim (torch.nn.Flatten: by default all but the batch dim). A view, no copy.</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public override Tensor Forward(Tensor input) => Checked(input).Flatten(startDim, endDim);

    protected override string Describe() => $"Flatten(start={startDim}, end={endDim})";
}

/// <summary>Splits dim <see cref="Dim"/> into <see cref="Sizes"/> (torch.nn.Unflatten), e.g. [N, 784] into [N, 1, 28, 28]
/// with <c>new Unflatten(1, [1, 28, 28])</c>: the inverse of <see cref="Flatten"/>; one size may be −1. A view, no copy.</summary>
public sealed class Unflatten : Module
{
    public Unflatten(int dim, int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0 || sizes.Count(s => s == -1) > 1 || sizes.Any(s => s < -1))
            throw new ArgumentException($"Unflatten: sizes must be non-empty, non-negative with at most one -1, got {Shape.Format(sizes)}");
        Dim = dim;
        Sizes = (int[])sizes.Clone();
    }

    public int Dim { get; }
    public int[] Sizes { get; }

    public override Tensor Forward(Tensor input)
    {
        var shape = Checked(input).ShapeRef;
        int d = Shape.Dim(Dim, shape.Length, "Unflatten");
        int known = Sizes.Where(s => s != -1).Aggregate(1, (a, b) => a * b);
        bool fits = Sizes.Contains(-1) ? known > 0 && shape[d] % known == 0 : known == shape[d];
        if (!fits)
            throw new ArgumentException($"Unflatten: sizes {Shape.Format(Sizes)} do not multiply up to the size of dim {Dim} ({shape[d]}) of input {Shape.Format(shape)}");
        return input.Reshape([.. shape[..d], .. Sizes, .. shape[(d + 1)..]]);
    }

    protected override string Describe() => $"Unflatten(dim={Dim}, unflattened_size={Shape.Format(Sizes)})";
}

/// <summary>Returns its input (torch.nn.Identity): a placeholder, e.g. for a removed head.</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor input) => Checked(input);
}
