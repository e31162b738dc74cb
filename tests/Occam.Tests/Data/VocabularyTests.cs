using Occam.Data;

namespace Occam.Tests.Data;

public class VocabularyTests
{
    static readonly string[] Texts = ["The cat sat.", "the CAT ran!", "A dog's day; the end"];

    [Fact]
    public void IdsGoByFrequencyAfterTheThreeSpecials()
    {
        var vocab = Vocabulary.Build(Texts);
        Assert.Equal(["<pad>", "<unk>", "<mask>", "the", "cat"], Enumerable.Range(0, 5).Select(i => vocab[i]));
        // the words seen once follow in ordinal order
        Assert.Equal(["a", "day", "dog's", "end", "ran", "sat"], Enumerable.Range(5, vocab.Count - 5).Select(i => vocab[i]));
        Assert.Equal([3, 4, 1, 10], vocab.Encode("THE cat flew, sat"));
        Assert.Equal("the cat <unk> sat", vocab.Decode([3, 4, 1, 10, 0, 0]));
        Assert.Empty(vocab.Encode("  ...  "));
    }

    [Fact]
    public void MaxSizeAndMinCountTrimTheRareWords()
    {
        Assert.Equal(5, Vocabulary.Build(Texts, maxSize: 5).Count);
        var frequent = Vocabulary.Build(Texts, minCount: 2);
        Assert.Equal(5, frequent.Count);
        Assert.Equal([3, 4, Vocabulary.Unknown], frequent.Encode("the cat sat"));
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        Assert.Contains("maxSize must be at least 4", Assert.Throws<ArgumentException>(() => Vocabulary.Build(Texts, maxSize: 3)).Message);
        Assert.Contains("minCount must be at least 1, got 0", Assert.Throws<ArgumentException>(() => Vocabulary.Build(Texts, minCount: 0)).Message);
        Assert.Contains("text 1 is null", Assert.Throws<ArgumentException>(() => Vocabulary.Build(["a", null!])).Message);
        Assert.Contains("id 99 is not in [0, 11)", Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(Texts)[99]).Message);
    }
}
