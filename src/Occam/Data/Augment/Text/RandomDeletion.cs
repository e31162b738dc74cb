namespace Occam.Data.Augment.Text;

/// <summary>Deletes each token independently with probability <see cref="P"/> (EDA random deletion, Wei &amp; Zou 2019).
/// As EDA: a one-token sequence is returned as is, and if every token was deleted one of the originals, chosen
/// uniformly, is kept, so the result is never empty (unless the input was).</summary>
public sealed class RandomDeletion : ITokenAugmentation
{
    public RandomDeletion(float p)
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, $"RandomDeletion: p must be in [0, 1], got {p}");
        P = p;
    }

    public float P { get; }

    public int[] Apply(int[] tokens, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(generator);
        if (tokens.Length <= 1) return (int[])tokens.Clone();
        var kept = new List<int>(tokens.Length);
        foreach (int t in tokens)
            if (generator.NextFloat() >= P) kept.Add(t);
        return kept.Count > 0 ? [.. kept] : [tokens[generator.NextInt(tokens.Length)]];
    }
}
