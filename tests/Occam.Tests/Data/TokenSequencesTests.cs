using Occam.Data;
using Occam.Data.Augment.Text;

namespace Occam.Tests.Data;

public class TokenSequencesTests
{
    [Fact]
    public void PadCutsAndPadsEachSequenceToTheLength()
    {
        var x = TokenSequences.Pad([[5, 6, 7], [8], [1, 2, 3, 4, 9, 10]], 4, paddingIndex: 0);
        Assert.Equal([3, 4], x.Shape);
        Assert.Equal([5f, 6, 7, 0, 8, 0, 0, 0, 1, 2, 3, 4], x.ToArray());
        Assert.Equal([8], TokenSequences.Tokens(x.IndexRows([1]).Reshape(4)));
        Assert.Equal([5, 6, 7], TokenSequences.Tokens(TokenSequences.Pad([[5, 6, 7]], 6, paddingIndex: 9).Reshape(6), paddingIndex: 9));
    }

    [Fact]
    public void PadRefusesWhatIsNotATokenOrIsThePaddingId()
    {
        string Error(Action a) => Assert.Throws<ArgumentException>(a).Message;
        Assert.Contains("TokenSequences.Pad: sequence 1 holds the padding id 0 at 2", Error(() => TokenSequences.Pad([[1], [2, 3, 0]], 4)));
        Assert.Contains("sequence 0's token at 1 must be an id in [0, 2^24), got -3", Error(() => TokenSequences.Pad([[1, -3]], 4)));
        Assert.Contains("length must be at least 1, got 0", Error(() => TokenSequences.Pad([[1]], 0)));
        Assert.Contains("TokenSequences.Tokens: 1.5 is not a token id", Error(() => TokenSequences.Tokens(Tensor.FromArray([1.5f], 1))));
        Assert.Contains("expected one sequence [length]", Error(() => TokenSequences.Tokens(Tensor.FromArray([1f, 2], 1, 2))));
    }

    [Fact]
    public void TokenTransformDeletesAboutAFractionPAndKeepsTheLength()
    {
        // 2,000 sequences of 20 real tokens padded to 24, deletion p = 0.3: the kept fraction is 0.7 ± 5 standard errors
        var transform = new TokenTransform(new RandomDeletion(0.3f), paddingIndex: 0);
        var sequence = TokenSequences.Pad([Enumerable.Range(1, 20).ToArray()], 24).Reshape(24);
        var g = new Generator(3);
        long kept = 0;
        const int Samples = 2000;
        for (int s = 0; s < Samples; s++)
        {
            var edited = transform.Apply(sequence, g);
            Assert.Equal([24], edited.Shape);
            var tokens = TokenSequences.Tokens(edited);
            Assert.All(edited.ToArray()[tokens.Length..], v => Assert.Equal(0f, v)); // padding only at the end
            Assert.Equal(tokens.Order().ToArray(), tokens);                          // order kept
            kept += tokens.Length;
        }
        double fraction = kept / (20.0 * Samples), se = Math.Sqrt(0.3 * 0.7 / (20.0 * Samples));
        Assert.InRange(fraction, 0.7 - 5 * se, 0.7 + 5 * se);
        // the same generator seed gives the same edit
        Assert.Equal(transform.Apply(sequence, new Generator(9)).ToArray(), transform.Apply(sequence, new Generator(9)).ToArray());
    }

    [Fact]
    public void TokenTransformCutsWhatAnInsertionLengthens()
    {
        var transform = new TokenTransform(new RandomInsertion(2), paddingIndex: 0);
        var edited = transform.Apply(Tensor.FromArray([4f, 5, 6], 3), new Generator(1));
        Assert.Equal([3], edited.Shape);
        Assert.All(edited.ToArray(), v => Assert.Contains(v, new[] { 4f, 5, 6 }));
    }

    [Fact]
    public void TokenTransformRefusesAMaskThatWouldReadAsPadding()
    {
        Assert.Contains("the mask token 0 is the padding id",
            Assert.Throws<ArgumentException>(() => new TokenTransform(new RandomMasking(0.2f, maskToken: 0))).Message);
        Assert.Contains("expected one padded sequence [length], got shape [1, 2]",
            Assert.Throws<ArgumentException>(() => new TokenTransform(new RandomSwap(1)).Apply(Tensor.FromArray([1f, 2], 1, 2), new Generator(1))).Message);
    }
}
