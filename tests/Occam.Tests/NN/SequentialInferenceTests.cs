using Occam.NN;
using Occam.Studies;
using Xunit;

namespace Occam.Tests.NN;

/// <summary>Under NoGrad, Sequential returns its intermediates to the buffer pool: the output must not change,
/// the caller's input must stay readable, and repeated inference must not allocate the activations again.</summary>
public class SequentialInferenceTests
{
    [Fact]
    public void NoGradInferenceMatchesRecordedForwardAndKeepsTheInput()
    {
        var model = Architectures.BenchCnn(new Generator(3));
        model.Eval();
        var data = new float[5 * 784];
        var random = new Random(1);
        for (int i = 0; i < data.Length; i++) data[i] = (float)random.NextDouble();
        var x = Tensor.FromArray(data, 5, 1, 28, 28);
        var expected = model.Forward(x).Span.ToArray();
        float[] actual;
        using (Autograd.NoGrad())
        {
            model.Forward(x);
            actual = model.Forward(x).Span.ToArray();
        }
        Assert.Equal(expected, actual);
        Assert.Equal(data, x.Span.ToArray());
    }

    [Fact]
    public void NoGradInferenceReusesPooledActivations()
    {
        var model = Architectures.BenchMlp(new Generator(3));
        model.Eval();
        var x = Tensor.FromArray(new float[64 * 784], 64, 1, 28, 28);
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < 3; i++) model.Forward(x);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) model.Forward(x);
            long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
            Assert.True(perCall < 64 * 512 * 4, $"{perCall} bytes per inference call");
        }
    }
}
