namespace Occam.Tests.Tensors;

/// <summary>Generator.FillUniform is the NextFloat sequence in bulk and leaves the same state behind.</summary>
public class GeneratorFillTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1000)]
    public void FillUniformIsTheNextFloatSequence(int length)
    {
        var one = new Generator(42);
        var bulk = new Generator(42);
        var expected = new float[length];
        for (int i = 0; i < length; i++) expected[i] = one.NextFloat();
        var actual = new float[length];
        bulk.FillUniform(actual);
        Assert.Equal(expected, actual);
        Assert.Equal(one.NextUInt64(), bulk.NextUInt64());
    }
}
