using Occam.Kernels;

namespace Occam.Tests.Kernels;

/// <summary>The SIMD driver against the scalar operator, for every length 0..256 (so every
/// combination of 512-bit, 256-bit and scalar remainder is hit).</summary>
public class ElementwiseTests
{
    static float[] Values(int n, ulong seed)
    {
        var g = new Generator(seed);
        return Enumerable.Range(0, n).Select(_ => g.NextNormal() * 3f).ToArray();
    }

    static void Near(float expected, float actual, int i) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5f + 1e-5f * Math.Abs(expected) || expected.Equals(actual), $"element {i}: scalar {expected}, vector {actual}");

    static void UnaryMatchesScalar<T>(T op) where T : struct, IUnaryOperator
    {
        for (int n = 0; n <= 256; n++)
        {
            var x = Values(n, (ulong)n);
            var d = new float[n];
            Elementwise.Apply(op, x, d);
            for (int i = 0; i < n; i++) Near(op.Invoke(x[i]), d[i], i);
        }
    }

    static void GradMatchesScalar<T>(T op) where T : struct, ITernaryOperator
    {
        for (int n = 0; n <= 256; n++)
        {
            float[] x = Values(n, (ulong)n), y = Values(n, (ulong)n + 1000), g = Values(n, (ulong)n + 2000);
            var d = Enumerable.Repeat(0.5f, n).ToArray();
            Elementwise.Accumulate(op, x, y, g, d);
            for (int i = 0; i < n; i++) Near(0.5f + op.Invoke(x[i], y[i], g[i]), d[i], i);
        }
    }

    [Fact] public void Relu() => UnaryMatchesScalar(new ReluOp());

    [Fact]
    public void ReluPassesNaNAndClearsNegativeZeroAtEveryPosition()
    {
        // As PyTorch: relu(NaN) = NaN and relu(−0) = +0, whether an element falls in a 512-bit, 256-bit or scalar step
        // (the scalar tail used to turn NaN into 0).
        for (int n = 1; n <= 40; n++)
            for (int at = 0; at < n; at++)
            {
                var x = Enumerable.Repeat(-0f, n).ToArray();
                x[at] = float.NaN;
                var d = new float[n];
                Elementwise.Apply(new ReluOp(), x, d);
                for (int i = 0; i < n; i++)
                    if (i == at) Assert.True(float.IsNaN(d[i]), $"length {n}: relu(NaN) at {i} gave {d[i]}");
                    else Assert.True(BitConverter.SingleToInt32Bits(d[i]) == 0, $"length {n}: relu(-0) at {i} gave {d[i]}");
            }
    }
    [Fact] public void LeakyRelu() => UnaryMatchesScalar(new LeakyReluOp { Slope = 0.1f });
    [Fact] public void Elu() => UnaryMatchesScalar(new EluOp { Alpha = 1f });
    [Fact] public void Expm1() => UnaryMatchesScalar(new Expm1Op());

    [Fact]
    public void EluIsExactlyZeroAtZeroAndNeverPositiveBelowItInAnyLane()
    {
        foreach (float v in new[] { 0f, -1e-8f, -1e-4f, -0.3f, -0.49f, -0.51f, -2f, -20f })
        {
            var x = Enumerable.Repeat(v, 37).ToArray();
            var elu = Tensor.FromArray(x, 37).Elu().ToArray();
            var selu = Tensor.FromArray(x, 37).Selu().ToArray();
            double exact = Math.Exp(v) - 1 is var e && Math.Abs(v) < 1e-3 ? v + v * (double)v / 2 : e;
            foreach (float y in elu)
            {
                Assert.True(y <= 0 && (v != 0 || y == 0), $"ELU({v}) = {y}");
                Assert.True(Math.Abs(y - exact) <= 2.5e-7 * Math.Abs(exact), $"ELU({v}) = {y}, e^x − 1 = {exact}");
            }
            Assert.All(selu, y => Assert.True(y <= 0 && (v != 0 || y == 0), $"SELU({v}) = {y}"));
        }
    }

    [Fact] public void Gelu() => UnaryMatchesScalar(new GeluOp());
    [Fact] public void GeluTanh() => UnaryMatchesScalar(new GeluTanhOp());
    [Fact] public void Softplus() => UnaryMatchesScalar(new SoftplusOp { Beta = 1f, Threshold = 20f });
    [Fact] public void Clamp() => UnaryMatchesScalar(new ClampOp { Min = -1f, Max = 2f });
    [Fact] public void Sign() => UnaryMatchesScalar(new SignOp());
    [Fact] public void Tanh() => UnaryMatchesScalar(new TanhOp());

    [Fact]
    public void ExpBasedOperatorsGiveTheSameBitsInEveryLaneAndTheTail()
    {
        // a value's result must not depend on where it falls in a tensor (the scalar tail used MathF.Exp, an ulp apart)
        var g = new Generator(12);
        for (int trial = 0; trial < 2000; trial++)
        {
            float v = (g.NextFloat() - 0.5f) * (trial % 2 == 0 ? 6f : 60f);
            var x = Enumerable.Repeat(v, 17).ToArray();
            var d = new float[17];
            foreach (var (name, run) in new (string, Action)[]
            {
                ("tanh", () => Elementwise.Apply(new TanhOp(), x, d)),
                ("expm1", () => Elementwise.Apply(new Expm1Op(), x, d)),
                ("elu", () => Elementwise.Apply(new EluOp { Alpha = 1.5f }, x, d)),
                ("elu grad", () => { Array.Clear(d); Elementwise.Accumulate(new EluGradOp { Alpha = 1.5f }, x, new EluOp { Alpha = 1.5f }.Invoke(v) is var y ? Enumerable.Repeat(y, 17).ToArray() : x, Enumerable.Repeat(1f, 17).ToArray(), d); }),
            })
            {
                run();
                Assert.True(BitConverter.SingleToInt32Bits(d[0]) == BitConverter.SingleToInt32Bits(d[16]), $"{name}({v:R}): lane {d[0]:R}, tail {d[16]:R}");
            }
        }
        // ELU's slope is exactly α at 0 in every lane (the vector eˣ gives 1.0000001 there)
        var zeros = new float[17];
        var slope = new float[17];
        Elementwise.Accumulate(new EluGradOp { Alpha = 1f }, zeros, zeros, Enumerable.Repeat(1f, 17).ToArray(), slope);
        Assert.All(slope, s => Assert.Equal(1f, s));
    }
    [Fact] public void DivScalar() => UnaryMatchesScalar(new DivScalarOp { Divisor = 7f });
    [Fact] public void DivScalarGrad() => GradMatchesScalar(new DivScalarGradOp { Divisor = 7f });
    [Fact] public void StdGrad() => GradMatchesScalar(new StdGradOp());
    [Fact] public void ReluGrad() => GradMatchesScalar(new ReluGradOp());
    [Fact] public void EluGrad() => GradMatchesScalar(new EluGradOp { Alpha = 0.5f });
    [Fact] public void GeluGrad() => GradMatchesScalar(new GeluGradOp());
    [Fact] public void GeluTanhGrad() => GradMatchesScalar(new GeluTanhGradOp());
    [Fact] public void SoftplusGrad() => GradMatchesScalar(new SoftplusGradOp { Beta = 2f, Threshold = 1f });
    [Fact] public void AbsGrad() => GradMatchesScalar(new AbsGradOp());
    [Fact] public void PowGrad() => GradMatchesScalar(new PowGradOp { Exponent = 2f });

    [Fact]
    public void ErfIsAccurate()
    {
        // erf reference values (Abramowitz & Stegun table 7.1).
        (float x, float erf)[] table = [(0f, 0f), (0.5f, 0.5204999f), (1f, 0.8427008f), (2f, 0.9953223f), (-1.5f, -0.9661051f)];
        foreach (var (x, erf) in table) Assert.Equal(erf, new ErfOp().Invoke(x), 6);
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Elementwise.Apply(new ReluOp(), new float[3], new float[4]));
        Assert.Contains("Elementwise.Apply", e.Message);
    }
}
