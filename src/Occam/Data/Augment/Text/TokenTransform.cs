namespace Occam.Data.Augment.Text;

/// <summary>
/// A token augmentation as a <see cref="DataLoader"/> transform: each sample, a padded sequence [length] of ids
/// (<see cref="TokenSequences.Pad"/>), is read back as its tokens, edited by the augmentation with the sample's own
/// seeded generator (a new edit every epoch, the same for the same seed), and padded or cut to its length again
/// (<see cref="RandomInsertion"/> may lengthen it past that). Put it in the training loader only.
/// </summary>
public sealed class TokenTransform : ITransform
{
    public TokenTransform(ITokenAugmentation augmentation, int paddingIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(augmentation);
        if (paddingIndex < 0 || paddingIndex >= TokenSequences.MaxId)
            throw new ArgumentException($"TokenTransform: paddingIndex must be an id in [0, 2^24), got {paddingIndex}");
        if (augmentation is RandomMasking { MaskToken: var mask } && mask == paddingIndex)
            throw new ArgumentException($"TokenTransform: the mask token {mask} is the padding id; masked tokens would read as padding");
        (Augmentation, PaddingIndex) = (augmentation, paddingIndex);
    }

    public ITokenAugmentation Augmentation { get; }
    public int PaddingIndex { get; }

    public Tensor Apply(Tensor input, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(generator);
        if (input.Rank != 1) throw new ArgumentException($"TokenTransform: expected one padded sequence [length], got shape {Shape.Format(input.ShapeRef)}");
        var edited = Augmentation.Apply(TokenSequences.Tokens(input, PaddingIndex), generator);
        var row = new float[input.Size];
        TokenSequences.Write("TokenTransform", edited, row, PaddingIndex);
        return Tensor.FromArray(row, input.Size);
    }
}
