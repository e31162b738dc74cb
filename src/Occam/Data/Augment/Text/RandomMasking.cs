namespace Occam.Data.Augment.Text;

/// <summary>Replaces each token independently, with probability <see cref="P"/>, by <see cref="MaskToken"/> (the
/// token-level counterpart of EDA's deletion that keeps the length, as in masked-language-model noising).</summary>
public sealed class RandomMasking : ITokenAugmentation
{
    public RandomMasking(float p, int maskToken)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, $"RandomMasking: p must be in [0, 1], got {p}");
        (P, MaskToken) = (p, maskToken);
    }

    public float P { get; }
    public int MaskToken { get; }

    public int[] Apply(int[] tokens, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(generator);
        var t = (int[])tokens.Clone();
        for (int i = 0; i < t.Length; i++)
            if (generator.NextFloat() < P) t[i] = MaskToken;
        return t;
    }
}
