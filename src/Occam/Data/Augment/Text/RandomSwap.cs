namespace Occam.Data.Augment.Text;

/// <summary>Swaps two tokens at distinct random positions, <see cref="N"/> times in a row (EDA random swap, Wei &amp; Zou
/// 2019). The two positions are drawn distinct directly (EDA redraws up to three times and may give up); a sequence
/// of fewer than two tokens is returned as is. The multiset of tokens never changes.</summary>
public sealed class RandomSwap : ITokenAugmentation
{
    public RandomSwap(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, $"RandomSwap: n must be non-negative, got {n}");
        N = n;
    }

    public int N { get; }

    public int[] Apply(int[] tokens, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(generator);
        var t = (int[])tokens.Clone();
        if (t.Length < 2) return t;
        for (int k = 0; k < N; k++)
        {
            int i = generator.NextInt(t.Length);
            int j = generator.NextInt(t.Length - 1);
            if (j >= i) j++;
            (t[i], t[j]) = (t[j], t[i]);
        }
        return t;
    }
}
