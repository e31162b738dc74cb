using Occam.NN;
using Occam.Optim;
using Xunit;

namespace Occam.Tests.Optim;

/// <summary>The vectorized, chunked Adam/AdamW update against the scalar rule, written out here, on sizes that
/// exercise the vector body, the scalar tail and several parallel chunks.</summary>
public class AdamVectorTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(17, true)]
    [InlineData(32768 * 2 + 5, false)]
    [InlineData(70001, true)]
    public void MatchesTheScalarRuleBitForBit(int size, bool decoupled)
    {
        var random = new Random(size);
        var init = new float[size];
        for (int i = 0; i < size; i++) init[i] = (float)(random.NextDouble() - 0.5);
        var p = new Parameter(Tensor.FromArray((float[])init.Clone(), size));
        Optimizer opt = decoupled ? new AdamW([p], lr: 1e-2, weightDecay: 0.1) : new Adam([p], lr: 1e-2, weightDecay: 0.1);
        float[] theta = (float[])init.Clone(), m = new float[size], v = new float[size];
        const float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
        for (int step = 1; step <= 3; step++)
        {
            var grad = new float[size];
            for (int i = 0; i < size; i++) grad[i] = (float)(random.NextDouble() - 0.5);
            p.Grad = Tensor.FromArray((float[])grad.Clone(), size);
            opt.Step();
            float decay = decoupled ? (float)(1 - 1e-2 * 0.1) : 1f, coupled = decoupled ? 0f : 0.1f;
            float stepSize = (float)(1e-2 / (1 - Math.Pow(0.9, step)));
            float bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(0.999, step));
            for (int i = 0; i < size; i++)
            {
                float t = theta[i] * decay;
                float g = grad[i] + coupled * t;
                m[i] = beta1 * m[i] + (1 - beta1) * g;
                v[i] = beta2 * v[i] + (1 - beta2) * g * g;
                theta[i] = t - stepSize * m[i] / (MathF.Sqrt(v[i]) / bc2Sqrt + eps);
            }
            Assert.Equal(theta, p.Span.ToArray());
        }
    }
}
