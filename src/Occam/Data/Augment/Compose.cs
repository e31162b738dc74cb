namespace Occam.Data.Augment;

/// <summary>Applies transforms in order (torchvision.transforms.v2.Compose), all drawing from the same generator.</summary>
public sealed class Compose : ITransform
{
    readonly ITransform[] _transforms;

    public Compose(params ITransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        for (int i = 0; i < transforms.Length; i++)
            if (transforms[i] == null) throw new ArgumentNullException(nameof(transforms), $"Compose: transform {i} is null");
        _transforms = (ITransform[])transforms.Clone();
    }

    public IReadOnlyList<ITransform> Transforms => _transforms;

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(input);
        var x = input;
        foreach (var t in _transforms) x = t.Apply(x, generator);
        return ReferenceEquals(x, input) ? input.Clone() : x;
    }
}
