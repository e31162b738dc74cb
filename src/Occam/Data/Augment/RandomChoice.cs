namespace Occam.Data.Augment;

/// <summary>Applies one of several batch transforms to each batch, chosen at random with the given probabilities
/// (equal by default), as torchvision.transforms.v2.RandomChoice([CutMix, MixUp]) in torchvision's recipe: each batch
/// is either cut and pasted or blended, never both.</summary>
public sealed class RandomChoice : IBatchTransform
{
    readonly IBatchTransform[] _transforms;
    readonly double[] _cumulative;

    public RandomChoice(IBatchTransform[] transforms, double[]? p = null)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (transforms.Length == 0) throw new ArgumentException("RandomChoice: needs at least one transform");
        for (int i = 0; i < transforms.Length; i++)
            if (transforms[i] == null) throw new ArgumentNullException(nameof(transforms), $"RandomChoice: transform {i} is null");
        p ??= Enumerable.Repeat(1.0, transforms.Length).ToArray();
        if (p.Length != transforms.Length)
            throw new ArgumentException($"RandomChoice: {p.Length} probabilities for {transforms.Length} transforms");
        if (p.Any(v => !(v >= 0) || double.IsInfinity(v)) || !(p.Sum() > 0))
            throw new ArgumentException($"RandomChoice: probabilities must be finite, non-negative and not all 0, got [{string.Join(", ", p)}]");
        _transforms = (IBatchTransform[])transforms.Clone();
        // as torchvision, the weights are normalized to sum to 1
        double total = p.Sum(), sum = 0;
        _cumulative = p.Select(v => sum += v / total).ToArray();
        P = [.. p.Select(v => v / total)];
    }

    public IReadOnlyList<IBatchTransform> Transforms => _transforms;

    /// <summary>The probability of each transform, normalized to sum to 1.</summary>
    public IReadOnlyList<double> P { get; }

    public Batch Apply(Batch batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        double u = generator.NextDouble();
        int i = 0;
        while (i < _transforms.Length - 1 && u >= _cumulative[i]) i++;
        return _transforms[i].Apply(batch, generator);
    }
}
