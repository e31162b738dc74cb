namespace Occam.Data.Augment.Text;

/// <summary>Inserts, <see cref="N"/> times, a copy of a random token of the current sequence at a random position
/// (EDA random insertion, Wei &amp; Zou 2019, with "a synonym of a random word" replaced by the token itself so that it
/// needs no vocabulary or thesaurus). The position is uniform over the Length + 1 gaps, the end included. An empty
/// sequence is returned as is.</summary>
public sealed class RandomInsertion : ITokenAugmentation
{
    public RandomInsertion(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"RandomInsertion: n must be non-negative, got {n}");
        N = n;
    }

    public int N { get; }

    public int[] Apply(int[] tokens, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(generator);
        var t = new List<int>(tokens);
        if (t.Count == 0) return [];
        for (int k = 0; k < N; k++)
        {
            int token = t[generator.NextInt(t.Count)];
            t.Insert(generator.NextInt(t.Count + 1), token);
        }
        return [.. t];
    }
}
