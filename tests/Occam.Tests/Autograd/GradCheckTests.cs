using Occam.Tests.Support;
using static Occam.Tests.Support.GradCheck;

namespace Occam.Tests.Ops;

/// <summary>Central-difference gradient checks for every op, including broadcasting and size-1 dims.</summary>
public class GradCheckTests
{
    static Tensor R(ulong seed, params int[] shape) => Tensor.RandN(shape, new Generator(seed));

    public static TheoryData<int[], int[]> BroadcastPairs() => new()
    {
        { [3, 4], [3, 4] }, { [2, 3, 4], [3, 1] }, { [4], [2, 3, 4] }, { [2, 1, 4], [1, 3, 1] }, { [], [3, 4] }, { [5, 1], [1] },
    };

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void Add(int[] a, int[] b) => Check(x => x[0] + x[1], R(1, a), R(2, b));

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void Sub(int[] a, int[] b) => Check(x => x[0] - x[1], R(1, a), R(2, b));

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void Mul(int[] a, int[] b) => Check(x => x[0] * x[1], R(1, a), R(2, b));

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void Div(int[] a, int[] b) => Check(x => x[0] / x[1], R(1, a), Positive(b, 2));

    [Theory, MemberData(nameof(BroadcastPairs))]
    public void MaximumMinimum(int[] a, int[] b)
    {
        // Distinct values on each side keep every comparison far from a tie.
        var x = Away(a, 3, 0.1f, 0f) + 0.5f;
        var y = Away(b, 4, 0.1f, 0f) - 0.5f;
        Check(t => t[0].Maximum(t[1]) + t[0].Minimum(t[1]) * 2f, x, y);
    }

    [Fact]
    public void PadInEveryMode()
    {
        foreach (var mode in Enum.GetValues<PaddingMode>())
        {
            Check(x => x[0].Pad([2, 1, 1, 2], mode) * x[1], R(1, [2, 3, 4]), R(2, [2, 6, 7]));
            Check(x => x[0].Pad([1, 2], mode).Pad([0, 1, 1, 0], mode).Sum(), R(3, [2, 5]));
        }
    }

    [Fact]
    public void PadRefusesWhatItCannotMakeUp()
    {
        var x = Tensor.FromArray(new float[12], 3, 4);
        Assert.Contains("Reflect padding of dim 1 (size 4) must be at most 3, got 4 and 0", Assert.Throws<ArgumentException>(() => x.Pad([4, 0], PaddingMode.Reflect)).Message);
        Assert.Contains("Circular padding of dim 0 (size 3) must be at most 3", Assert.Throws<ArgumentException>(() => x.Pad([0, 0, 4, 0], PaddingMode.Circular)).Message);
        Assert.Contains("only constant padding takes a value", Assert.Throws<ArgumentException>(() => x.Pad([1, 1], PaddingMode.Replicate, 2f)).Message);
        Assert.Contains("padding must be non-negative", Assert.Throws<ArgumentException>(() => x.Pad([-1, 1])).Message);
        Assert.Contains("3 dims to pad", Assert.Throws<ArgumentException>(() => x.Pad([1, 1, 1, 1, 1, 1])).Message);
        Assert.Contains("(before, after) pairs", Assert.Throws<ArgumentException>(() => x.Pad([1])).Message);
        // reflect 2 1 | 0 1 2 3 | 2 1, replicate 0 0 | … | 3 3, circular 2 3 | … | 0 1
        var row = Tensor.FromArray([0f, 1f, 2f, 3f], 4);
        Assert.Equal([2f, 1f, 0f, 1f, 2f, 3f, 2f, 1f], row.Pad([2, 2], PaddingMode.Reflect).ToArray());
        Assert.Equal([0f, 0f, 0f, 1f, 2f, 3f, 3f, 3f], row.Pad([2, 2], PaddingMode.Replicate).ToArray());
        Assert.Equal([2f, 3f, 0f, 1f, 2f, 3f, 0f, 1f], row.Pad([2, 2], PaddingMode.Circular).ToArray());
        Assert.Equal([9f, 0f, 1f, 2f, 3f, 9f], row.Pad([1, 1], value: 9f).ToArray());
    }

    [Fact]
    public void ScalarArithmetic() => Check(x => (2f - x[0]) * 3f + x[0] / 4f - 1f + 5f / (x[0] + 3f), Positive([3, 4], 5));

    [Fact]
    public void UnaryMath()
    {
        Check(x => x[0].Exp(), R(6, 3, 4));
        Check(x => x[0].Log(), Positive([3, 4], 7));
        Check(x => x[0].Sqrt(), Positive([3, 4], 8));
        Check(x => x[0].Abs(), Away([3, 4], 9, 0.05f, 0f));
        Check(x => x[0].Neg(), R(10, 3, 4));
        Check(x => x[0].Sign() + x[0], Away([3, 4], 11, 0.05f, 0f));
        Check(x => x[0].Pow(2.5f), Positive([3, 4], 12));
        Check(x => x[0].Pow(2f), R(13, 3, 4));
        Check(x => x[0].Pow(-1.5f), Positive([3, 4], 14));
        Check(x => x[0].Pow(x[1]), Positive([3, 4], 15), R(16, 4));
        Check(x => x[0].Clamp(-0.5f, 0.5f), Away([3, 4], 17, 0.05f, -0.5f, 0.5f));
        Check(x => x[0].Clamp(min: 0.2f), Away([3, 4], 18, 0.05f, 0.2f));
    }

    // Values and gradients PyTorch 1.13 gives (torch.pow, torch.max) where the plain formulas break down.
    [Fact]
    public void PowAndMaxFollowPyTorchAtTheirEdges()
    {
        static Tensor Leaf(params float[] v) => new(v, [v.Length]) { RequiresGrad = true };

        // torch.pow(tensor([-2., 0., 3.]), tensor([2., 2., 2.])): [4, 0, 9], grads x [-4, 0, 6], e [nan, 0, 9·ln 3]
        var x = Leaf(-2f, 0f, 3f);
        var e = Leaf(2f, 2f, 2f);
        var y = x.Pow(e);
        Assert.Equal([4f, 0f, 9f], y.ToArray());
        y.Sum().Backward();
        Assert.Equal([-4f, 0f, 6f], x.Grad!.ToArray());
        var ge = e.Grad!.ToArray();
        Assert.True(float.IsNaN(ge[0]));
        Assert.Equal(0f, ge[1]);
        Assert.Equal(9f * MathF.Log(3f), ge[2], 5);
        Assert.True(float.IsNaN(Tensor.FromArray([-2f], 1).Pow(Tensor.FromArray([0.5f], 1)).Item()));
        // broadcast: [2, 1] ^ [3]
        Assert.Equal([1f, 2f, 4f, 1f, 3f, 9f], Tensor.FromArray([2f, 3f], 2, 1).Pow(Tensor.FromArray([0f, 1f, 2f], 3)).ToArray());

        // x.pow(0).sum().backward() at x = [0, 2]: [0, 0] (not 0·0⁻¹ = NaN)
        var z = Leaf(0f, 2f);
        z.Pow(0f).Sum().Backward();
        Assert.Equal([0f, 0f], z.Grad!.ToArray());

        // F.softplus(tensor([-30., -90., 0., 19.])): e^x where 1 + e^x rounds to 1, not 0; odd lengths take both the
        // vector and the scalar paths
        var soft = Tensor.FromArray([-30f, -90f, 0f, 19f, -30f, -30f, -30f, -30f, -30f, -30f, -30f, -30f, -30f, -30f, -30f, -30f, -30f, -30f], 18).Softplus().ToArray();
        Assert.Equal(9.357623e-14f, soft[0], 1e-19f);
        Assert.Equal(MathF.Exp(-90f), soft[1]);
        Assert.Equal(MathF.Log(2f), soft[2], 6);
        Assert.Equal(19f, soft[3], 5);
        Assert.All(soft[4..], v => Assert.Equal(9.357623e-14f, v, 1e-19f));

        // tensor([2., 1., 2.]).max().backward(): the tie shares the gradient, [0.5, 0, 0.5]
        var m = Leaf(2f, 1f, 2f);
        var max = m.Max();
        Assert.Equal(2f, max.Item());
        (max * 3f).Backward();
        Assert.Equal([1.5f, 0f, 1.5f], m.Grad!.ToArray());
    }

    [Fact]
    public void Activations()
    {
        var x = Away([4, 5], 20, 0.05f, 0f);
        Check(t => t[0].Relu(), x);
        Check(t => t[0].LeakyRelu(0.2f), x);
        Check(t => t[0].Elu(0.5f), x);
        Check(t => t[0].Selu(), x);
        Check(t => t[0].Gelu(), x);
        Check(t => t[0].Gelu(approximateTanh: true), x);
        Check(t => t[0].Sigmoid(), x);
        Check(t => t[0].Tanh(), x);
        Check(t => t[0].Softplus(), x);
        Check(t => t[0].Softplus(beta: 2f, threshold: 1f), Away([4, 5], 21, 0.05f, 0.5f));
    }

    [Fact]
    public void Reductions()
    {
        var x = R(30, 2, 3, 4);
        Check(t => t[0].Sum(), x);
        Check(t => t[0].Sum([1]), x);
        Check(t => t[0].Sum([0, 2], keepDim: true), x);
        Check(t => t[0].Mean([-1]), x);
        Check(t => t[0].Mean(), x);
        Check(t => t[0].Var([1]), x);
        Check(t => t[0].Var([0, 2], unbiased: false, keepDim: true), x);
        Check(t => t[0].Var(), x);
        Check(t => t[0].Sum([1], keepDim: true) * t[0], R(31, 3, 1, 2)); // size-1 dims
        Check(t => t[0].Std([1]), x);
        Check(t => t[0].Std(unbiased: false), x);
        Check(t => t[0].LogSumExp([1]), x);
        Check(t => t[0].LogSumExp([0, 2], keepDim: true), x);
        Check(t => t[0].LogSumExp(), x);
        Check(t => Tensor.Stack([t[0], t[1] * 2f], 1), R(33, 2, 3), R(34, 2, 3));
    }

    [Fact]
    public void LogSumExpDoesNotOverflow()
    {
        // torch.logsumexp(tensor([1000., 1000.])) = 1000 + log 2; of −∞ everywhere, −∞
        Assert.Equal(1000f + MathF.Log(2f), Tensor.FromArray([1000f, 1000f], 2).LogSumExp().Item(), 3);
        Assert.Equal(float.NegativeInfinity, Tensor.FromArray([float.NegativeInfinity, float.NegativeInfinity], 2).LogSumExp().Item());
        Assert.Contains("Stack: tensor 1 has shape [3], tensor 0 [2]", Assert.Throws<ArgumentException>(() => Tensor.Stack([Tensor.Ones(2), Tensor.Ones(3)])).Message);
    }

    [Fact]
    public void Max()
    {
        // A permutation of well-separated values: no ties.
        var perm = new Generator(32).Permutation(24);
        var x = Tensor.FromArray(perm.Select(p => p * 0.3f - 3f).ToArray(), 2, 3, 4);
        Check(t => t[0].Max(1), 1e-2f, 2e-2, x);
        Check(t => t[0].Max(-1, keepDim: true), 1e-2f, 2e-2, x);
        Check(t => t[0].Max(), 1e-2f, 2e-2, x);
        Check(t => t[0].Min(1), 1e-2f, 2e-2, x);
        Check(t => t[0].Min(), 1e-2f, 2e-2, x);
        Assert.Equal(x.Neg().Argmax(2).ToArray(), x.Argmin(2).ToArray());
    }

    [Fact]
    public void MatMul()
    {
        Check(t => t[0].MatMul(t[1]), R(40, 3, 4), R(41, 4, 5));
        Check(t => t[0].MatMul(t[1]), R(42, 2, 3, 4), R(43, 2, 4, 5));
        Check(t => t[0].MatMul(t[1]), R(44, 2, 3, 4), R(45, 4, 5));
        Check(t => t[0].MatMul(t[1]), R(46, 3, 4), R(47, 2, 4, 5));
        Check(t => t[0].MatMul(t[1]), R(48, 4), R(49, 4, 5));
        Check(t => t[0].MatMul(t[1]), R(50, 3, 4), R(51, 4));
        Check(t => t[0].MatMul(t[1]), R(52, 1, 1), R(53, 1, 3));
    }

    [Fact]
    public void Linear()
    {
        Check(t => Functional.Linear(t[0], t[1], t[2]), R(60, 4, 5), R(61, 3, 5), R(62, 3));
        Check(t => Functional.Linear(t[0], t[1]), R(63, 2, 4, 5), R(64, 3, 5));
    }

    [Fact]
    public void SoftmaxFamily()
    {
        Check(t => t[0].Softmax(-1), R(70, 3, 5));
        Check(t => t[0].Softmax(1), R(71, 2, 3, 4));
        Check(t => t[0].LogSoftmax(-1), R(72, 3, 5));
        Check(t => t[0].LogSoftmax(0), R(73, 4, 3));
    }

    public static TheoryData<int, int, int, int, int, int> ConvCases() => new()
    {
        // channels, out, kernel, stride, padding, dilation/groups encoded below
        { 3, 4, 3, 1, 1, 1 }, { 3, 4, 3, 2, 1, 1 }, { 2, 2, 3, 1, 2, 2 }, { 4, 6, 3, 1, 1, -2 }, { 4, 4, 3, 1, 1, -4 }, { 3, 5, 1, 1, 0, 1 },
        // fewer weights per filter than filters (a first layer; grouped): the weight gradient is computed transposed
        { 1, 12, 3, 1, 1, 1 }, { 2, 8, 1, 1, 0, -2 },
        // 3×3, stride 1, 8 channels in and out: Winograd's F(2×2, 3×3), padding 0 to 2 (6 × 5: a half-outside column of tiles)
        { 8, 8, 3, 1, 1, 1 }, { 8, 9, 3, 1, 0, 1 }, { 9, 8, 3, 1, 2, 1 },
    };

    [Theory, MemberData(nameof(ConvCases))]
    public void Conv2d(int c, int o, int k, int stride, int pad, int dilationOrGroups)
    {
        int dilation = dilationOrGroups > 0 ? dilationOrGroups : 1, groups = dilationOrGroups < 0 ? -dilationOrGroups : 1;
        Check(t => Functional.Conv2d(t[0], t[1], t[2], stride, pad, dilation, groups),
            R(80, 2, c, 6, 5), R(81, o, c / groups, k, k), R(82, o));
    }

    [Fact]
    public void Conv2dNonSquareWithoutBias() =>
        Check(t => Functional.Conv2d(t[0], t[1], null, (2, 1), (1, 0), (1, 1)), R(83, 1, 2, 7, 5), R(84, 3, 2, 2, 3));

    [Fact]
    public void Pooling()
    {
        var perm = new Generator(90).Permutation(2 * 2 * 6 * 6);
        var x = Tensor.FromArray(perm.Select(p => p * 0.05f).ToArray(), 2, 2, 6, 6);
        Check(t => Functional.MaxPool2d(t[0], 2), x);
        Check(t => Functional.MaxPool2d(t[0], 3, 2, 1), x);
        Check(t => Functional.AvgPool2d(t[0], 2), x);
        Check(t => Functional.AvgPool2d(t[0], 3, 2, 1), x);
        Check(t => Functional.AvgPool2d(t[0], 3, 1, 1, countIncludePad: false), x);
    }

    [Fact]
    public void ShapeOps()
    {
        var x = R(100, 2, 3, 4);
        Check(t => t[0].Reshape(6, -1) * t[0].Reshape(6, 4), x);
        Check(t => t[0].Flatten().Unsqueeze(1).Squeeze(), x);
        // Views of an intermediate: the first view's backward hands its gradient buffer over, the others add to it,
        // and so does an op that reads the intermediate itself.
        Check(t =>
        {
            var u = t[0] * 1.5f + 0.25f;
            return u.Reshape(6, -1) * u.Reshape(6, 4) + u.Flatten().Unsqueeze(0).Reshape(6, 4) + (u * u).Reshape(6, 4);
        }, x);
        Check(t => t[0].Transpose(0, 2), x);
        Check(t => t[0].Permute(2, 0, 1), x);
        Check(t => t[0].IndexRows([1, 0, 1]), x);
        Check(t => Tensor.Cat([t[0], t[1]], 1), x, R(101, 2, 1, 4));
        Check(t => Tensor.Cat([t[0], t[1]], 0), R(102, 1, 3), R(103, 2, 3));
        Check(t => t[0].ExpandTo(2, 3, 4), R(104, 3, 1));
        Check(t => t[0].SumTo(3, 1), x);
    }

    [Fact]
    public void Selection()
    {
        var cond = Tensor.FromArray([1, 0, 1], 3, 1);
        Check(t => Tensor.Where(cond, t[0], t[1]), R(110, 3, 4), R(111, 4));
        Check(t => t[0].MaskedFill(Tensor.FromArray([0, 1, 1, 0], 4), -1f), R(112, 3, 4));
    }
}
