namespace Occam.Data.Augment.Text;

/// <summary>Applies token augmentations in order, all drawing from the same generator.</summary>
public sealed class TokenCompose : ITokenAugmentation
{
    readonly ITokenAugmentation[] _augmentations;

    public TokenCompose(params ITokenAugmentation[] augmentations)
    {
        ArgumentNullException.ThrowIfNull(augmentations);
        for (int i = 0; i < augmentations.Length; i++)
            if (augmentations[i] == null) throw new ArgumentNullException(nameof(augmentations), $"TokenCompose: augmentation {i} is null");
        _augmentations = (ITokenAugmentation[])augmentations.Clone();
    }

    public IReadOnlyList<ITokenAugmentation> Augmentations => _augmentations;

    public int[] Apply(int[] tokens, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var t = (int[])tokens.Clone();
        foreach (var a in _augmentations) t = a.Apply(t, generator);
        return t;
    }
}
