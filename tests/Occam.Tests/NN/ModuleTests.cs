using Occam.NN;
using Occam.Tests.Support;

namespace Occam.Tests.NN;

public class ModuleTests
{
    static Sequential Mlp(ulong seed = 1)
    {
        var g = new Generator(seed);
        return new Sequential(new Flatten(), new Linear(4, 8, generator: g), new ReLU(), new Dropout(0.5f, g), new Linear(8, 3, generator: g));
    }

    [Fact]
    public void NamesFollowPyTorch()
    {
        var names = Mlp().NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["1.weight", "1.bias", "4.weight", "4.bias"], names);
        var named = new Sequential(("features", new Sequential(new Linear(2, 2))), ("head", new Linear(2, 1)));
        Assert.Equal(["features.0.weight", "features.0.bias", "head.weight", "head.bias"], named.NamedParameters().Select(p => p.Name));
        Assert.Equal(4 * 8 + 8 + 8 * 3 + 3, Mlp().ParameterCount());
    }

    [Fact]
    public void TrainAndEvalRecurse()
    {
        var model = Mlp();
        Assert.True(model.IsTraining);
        model.Eval();
        Assert.All(model.NamedModules(), m => Assert.False(m.Module.IsTraining));
        model.Train();
        Assert.All(model.NamedModules(), m => Assert.True(m.Module.IsTraining));
    }

    [Fact]
    public void ForwardMatchesTheFunctionalComputation()
    {
        var model = Mlp().Eval();
        var x = Tensor.RandN([5, 2, 2], new Generator(9));
        var l1 = (Linear)((Sequential)model)[1];
        var l2 = (Linear)((Sequential)model)[4];
        var expected = Functional.Linear(Functional.Linear(x.Reshape(5, 4), l1.Weight, l1.Bias).Relu(), l2.Weight, l2.Bias);
        GradCheck.Close(expected.ToArray(), model.Call(x).ToArray());
    }

    [Fact]
    public void ParametersGetGradients()
    {
        var model = Mlp();
        model.Forward(Tensor.RandN([5, 4], new Generator(3))).Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
    }

    [Fact]
    public void StateDictRoundTripsAndStrictLoadingReportsKeys()
    {
        var a = Mlp(1);
        var b = Mlp(2);
        Assert.NotEqual(a.Parameters().First().ToArray(), b.Parameters().First().ToArray());
        b.LoadStateDict(a.StateDict());
        Assert.Equal(a.Parameters().First().ToArray(), b.Parameters().First().ToArray());

        var partial = a.StateDict();
        partial.Remove("4.bias");
        partial["extra.weight"] = Tensor.Zeros(1);
        var e = Assert.Throws<ArgumentException>(() => b.LoadStateDict(partial));
        Assert.Contains("missing keys [4.bias]", e.Message);
        Assert.Contains("unexpected keys [extra.weight]", e.Message);
        var (missing, unexpected) = b.LoadStateDict(partial, strict: false);
        Assert.Equal(["4.bias"], missing);
        Assert.Equal(["extra.weight"], unexpected);

        var wrong = a.StateDict();
        wrong["1.weight"] = Tensor.Zeros(2, 2);
        var before = b.Parameters().First().ToArray();
        var s = Assert.Throws<ArgumentException>(() => b.LoadStateDict(wrong));
        Assert.Contains("'1.weight' has shape [2, 2]", s.Message);
        Assert.Equal(before, b.Parameters().First().ToArray()); // nothing written
    }

    [Fact]
    public void LinearAndConvInitialiseWithinPyTorchsBounds()
    {
        var lin = new Linear(100, 10, generator: new Generator(1));
        Assert.All(lin.Weight.ToArray(), w => Assert.InRange(w, -0.1f, 0.1f));
        Assert.InRange(lin.Weight.ToArray().Max(), 0.08f, 0.1f); // fills the range
        var conv = new Conv2d(4, 8, 3, generator: new Generator(2));
        float bound = 1f / MathF.Sqrt(4 * 9);
        Assert.All(conv.Weight.ToArray(), w => Assert.InRange(w, -bound, bound));
        Assert.Equal([8, 4, 3, 3], conv.Weight.Shape);
        Assert.Equal([2, 8, 3, 3], conv.Forward(Tensor.Zeros(2, 4, 5, 5)).Shape);
    }

    [Fact]
    public void ConstructorsRejectBadArguments()
    {
        Assert.Contains("Linear", Assert.Throws<ArgumentException>(() => new Linear(0, 3)).Message);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2)).Message);
        Assert.Contains("Dropout: p must be in [0, 1], got 1.5", Assert.Throws<ArgumentException>(() => new Dropout(1.5f)).Message);
        Assert.Throws<ArgumentException>(() => new MaxPool2d(3, padding: 2));
        Assert.Throws<ArgumentException>(() => new Embedding(5, 2, paddingIndex: 5));
    }

    [Fact]
    public void PoolingAndActivationModules()
    {
        var x = Tensor.RandN([1, 2, 4, 4], new Generator(4));
        Assert.Equal([1, 2, 2, 2], new MaxPool2d(2).Forward(x).Shape);
        Assert.Equal([1, 2, 2, 2], new AvgPool2d(2).Forward(x).Shape);
        GradCheck.Close(new AvgPool2d(4).Forward(x).ToArray(), new AdaptiveAvgPool2d(1).Forward(x).ToArray());
        GradCheck.Close(x.LeakyRelu(0.2f).ToArray(), new LeakyReLU(0.2f).Forward(x).ToArray());
        Assert.Same(x, new Identity().Forward(x));
        Module[] acts = [new ReLU(), new ELU(), new SELU(), new GELU(), new Sigmoid(), new Tanh(), new Softplus()];
        Assert.All(acts, a => Assert.Equal(x.Shape, a.Forward(x).Shape));
    }

    [Fact]
    public void SoftmaxLogSoftmaxAndSiluModulesMatchPyTorch()
    {
        // nn.Softmax(dim=1), nn.Softmax(dim=0), nn.LogSoftmax(dim=-1), nn.SiLU() on x, backward of upstream g (PyTorch 1.13)
        var g = Tensor.FromArray([1f, -2f, 0.5f, 0.25f, 3f, -1f], 2, 3);
        (Module Module, string Repr, float[] Y, float[] Dx)[] cases =
        [
            (new Softmax(1), "Softmax(dim=1)", [0.17529039f, 0.03911257f, 0.78559703f, 0.91958624f, 0.05878718f, 0.0216266f],
                [0.08942198f, -0.09738498f, 0.00796301f, -0.12380529f, 0.15375012f, -0.02994487f]),
            (new Softmax(0), "Softmax(dim=0)", [0.07585818f, 0.22270015f, 0.93991333f, 0.92414182f, 0.77729988f, 0.06008665f],
                [0.05257778f, -0.86552399f, 0.08471436f, -0.0525778f, 0.86552387f, -0.08471436f]),
            (new LogSoftmax(-1), "LogSoftmax(dim=-1)", [-1.74131131f, -3.24131131f, -0.24131133f, -0.08383147f, -2.83383155f, -3.83383155f],
                [1.08764517f, -1.98044372f, 0.89279854f, -1.81906903f, 2.86772895f, -1.0486598f]),
            (new SiLU(), "SiLU()", [0.31122968f, -0.26894143f, 1.76159406f, 2.85772252f, 0.14054413f, -0.24061596f],
                [0.73996121f, -0.14465897f, 0.54539216f, 0.27202603f, 1.87113011f, -0.15740004f]),
        ];
        foreach (var (module, repr, expectedY, expectedDx) in cases)
        {
            Assert.Equal(repr, module.ToString());
            foreach (bool training in new[] { true, false })
            {
                module.Train(training);
                var x = new Parameter(Tensor.FromArray([0.5f, -1f, 2f, 3f, 0.25f, -0.75f], 2, 3));
                var y = module.Forward(x);
                GradCheck.Close(expectedY, y.ToArray(), 1e-6f, 1e-5f, repr);
                (y * g).Sum().Backward();
                GradCheck.Close(expectedDx, x.Grad!.ToArray(), 1e-6f, 1e-5f, repr);
            }
        }
        Assert.ThrowsAny<ArgumentException>(() => new Softmax(2).Forward(Tensor.Zeros(2, 3)));
    }

    [Fact]
    public void PoolsAndConvTakeRectangularSizesAsPyTorch()
    {
        // x[i] = ((37·i) mod 60 − 30)/4 as [1, 2, 5, 6]; outputs of PyTorch 1.13's modules with (H, W) sizes
        var x = Tensor.FromArray(Enumerable.Range(0, 60).Select(i => ((i * 37 % 60) - 30) * 0.25f).ToArray(), 1, 2, 5, 6);
        var max = new MaxPool2d((2, 3), stride: (1, 2), padding: (1, 1));
        float[] expectedMax = [1.75f, 5.25f, 5.25f, 3f, 6.5f, 5.25f, 3f, 6.5f, 5.5f, 3.25f, 6.75f, 6.75f, 4.5f, 6.75f, 6.75f, 4.5f, 2.25f, 5.75f,
            0f, 3.5f, 7f, 4.75f, 4.75f, 7f, 6f, 4.75f, 7.25f, 6f, 5f, 7.25f, 6.25f, 6.25f, 4f, 6.25f, 6.25f, 4f];
        var avg = new AvgPool2d((3, 2), stride: (2, 1), padding: (1, 0), countIncludePad: false, ceilMode: true);
        float[] expectedAvg = [-1.375f, 0.375f, 2.125f, 0.125f, -1.875f, -1.875f, -0.125f, 1.625f, 0.875f, 0.125f, 0.125f, -1.875f, -0.125f, 1.625f, -0.375f,
            -1.375f, 0.375f, -1.625f, 0.125f, 1.875f, 0.625f, -0.125f, -0.875f, -1.625f, 0.125f, 0.125f, 1.875f, -0.125f, -2.125f, -0.375f];
        var column = new MaxPool2d((3, 1)); // stride defaults to the kernel, (3, 1)
        float[] expectedColumn = [3f, 1.75f, 6.5f, 5.25f, 5.5f, 4.25f, 6f, 4.75f, 3.5f, 3.75f, 7f, 7.25f];
        foreach (bool training in new[] { true, false })
        {
            foreach (var m in new Module[] { max, avg, column }) m.Train(training);
            Assert.Equal([1, 2, 6, 3], max.Forward(x).Shape);
            Assert.Equal(expectedMax, max.Forward(x).ToArray());
            Assert.Equal([1, 2, 3, 5], avg.Forward(x).Shape);
            GradCheck.Close(expectedAvg, avg.Forward(x).ToArray(), 1e-6f, 1e-6f);
            Assert.Equal(expectedColumn, column.Forward(x).ToArray());
        }
        Assert.Equal((3, 1), column.Stride);
        Assert.Equal("MaxPool2d(kernel=(2, 3), stride=(1, 2), padding=1)", max.ToString());
        Assert.Equal("MaxPool2d(kernel=2, stride=2, padding=0)", new MaxPool2d(2).ToString());
        Assert.Contains("MaxPool2d: pad should be at most half of kernel size, got padding (0, 2) for kernel (2, 3)",
            Assert.Throws<ArgumentException>(() => new MaxPool2d((2, 3), padding: (0, 2))).Message);
        Assert.Contains("AvgPool2d: stride must be positive, got (1, 0)", Assert.Throws<ArgumentException>(() => new AvgPool2d((2, 2), stride: (1, 0))).Message);
        // nn.Conv2d(2, 3, (3, 1)): stride and dilation (1, 1), no padding
        var conv = new Conv2d(2, 3, (3, 1));
        Assert.Equal(((1, 1), (1, 1)), (conv.Stride, conv.Dilation));
        Assert.Equal([1, 3, 3, 6], conv.Forward(x).Shape);
        Assert.Equal([3, 2, 3, 1], conv.Weight.Shape);
    }

    [Fact]
    public void AvgPoolDivisorOverrideDividesTheWindowSumAsPyTorch()
    {
        // nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, divisor_override=2) on x[i] = ((37·i) mod 50 − 25)/10 as
        // [1, 2, 5, 5], backward of g[i] = ((13·i) mod 7 − 3)/2 (PyTorch 1.13)
        float[] expectedY = [-0.3f, -0.05f, 1.9f, -0.95f, 1.05f, -0.15f, 0.7f, -1.05f, -2.1f, -0.3f, 2.45f, -0.6f, 1.55f, -0.2f, -0.15f, -1.8f, -1.05f, 0.4f];
        float[] expectedDx = [-0.75f, 0f, 0.75f, 1.25f, 0.5f, -0.5f, 0.25f, 0.75f, 1f, 0.25f, 0.25f, 0.25f, 0f, -0.25f, -0.25f, -0.25f, -1f, -0.75f, -0.25f,
            0.5f, -0.5f, -1.25f, -0.75f, 0f, 0.75f, 0.5f, 0.75f, 0.25f, 0.25f, 0f, 0.25f, 0f, -0.25f, -1f, -0.75f, -0.25f, -0.75f, -0.5f, -1.25f, -0.75f,
            0.5f, 0.5f, 0f, -0.5f, -0.5f, 0.75f, 1.25f, 0.5f, 0.75f, 0.25f];
        var pool = new AvgPool2d(3, stride: 2, padding: 1, ceilMode: true, divisorOverride: 2);
        var g = Tensor.FromArray(Enumerable.Range(0, 18).Select(i => ((i * 13 % 7) - 3) * 0.5f).ToArray(), 1, 2, 3, 3);
        foreach (bool training in new[] { true, false })
        {
            pool.Train(training);
            var x = new Parameter(Tensor.FromArray(Enumerable.Range(0, 50).Select(i => ((i * 37 % 50) - 25) * 0.1f).ToArray(), 1, 2, 5, 5));
            var y = pool.Forward(x);
            Assert.Equal([1, 2, 3, 3], y.Shape);
            GradCheck.Close(expectedY, y.ToArray(), 1e-6f, 1e-5f);
            (y * g).Sum().Backward();
            GradCheck.Close(expectedDx, x.Grad!.ToArray(), 1e-6f, 1e-5f);
            // nn.AvgPool2d((2, 3), divisor_override=4, count_include_pad=False): the override wins over count_include_pad
            GradCheck.Close([-0.575f, -0.075f, 0.675f, -0.075f], new AvgPool2d((2, 3), countIncludePad: false, divisorOverride: 4).Forward(x).ToArray(), 1e-6f, 1e-5f);
        }
        Assert.Equal("AvgPool2d(kernel=3, stride=2, padding=1, ceil_mode=True, divisor_override=2)", pool.ToString());
        Assert.Contains("AvgPool2d: divisorOverride must not be zero", Assert.Throws<ArgumentException>(() => new AvgPool2d(2, divisorOverride: 0)).Message);
    }

    [Fact]
    public void PReLULearnsASlopePerChannelAsPyTorch()
    {
        // nn.PReLU(3) with weight [0.1, -0.5, 2] on x[i] = ((37·i) mod 24 − 12)/4 as [2, 3, 4] (x = 0 at i = 12),
        // backward of g[i] = ((13·i) mod 7 − 3)/2 (PyTorch 1.13)
        float[] expectedY = [-0.3f, 0.25f, -0.25f, 0.75f, 1f, 1.25f, 0.75f, 1.75f, -2f, 2.25f, -1f, 2.75f, 0f, -0.275f, 0.5f, -0.225f, 1f, 0.875f, 1.5f,
            0.625f, 2f, -1.5f, 2.5f, -0.5f];
        float[] expectedDx = [-0.15f, 1.5f, 0.1f, 0.5f, 0f, -0.5f, 0.5f, -1.5f, 3f, 1f, 1f, 0f, -0.05f, -0.1f, -1.5f, 0.15f, 1f, -0.25f, 0f, 0.25f, -1f,
            -3f, 1.5f, 2f];
        var g = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => ((i * 13 % 7) - 3) * 0.5f).ToArray(), 2, 3, 4);
        foreach (bool training in new[] { true, false })
        {
            var prelu = new PReLU(3);
            prelu.Train(training);
            prelu.Weight.CopyFrom(Tensor.FromArray([0.1f, -0.5f, 2f], 3));
            var x = new Parameter(Tensor.FromArray(Enumerable.Range(0, 24).Select(i => ((i * 37 % 24) - 12) * 0.25f).ToArray(), 2, 3, 4));
            var y = prelu.Forward(x);
            GradCheck.Close(expectedY, y.ToArray(), 1e-6f, 1e-6f);
            (y * g).Sum().Backward();
            GradCheck.Close(expectedDx, x.Grad!.ToArray(), 1e-6f, 1e-6f);
            GradCheck.Close([1.375f, 1.25f, -0.875f], prelu.Weight.Grad!.ToArray(), 1e-6f, 1e-6f);
        }
        // nn.PReLU(): one slope 0.25 named "weight"; on [-2, 3] gives [-0.5, 3] and the slope's gradient -2
        var shared = new PReLU();
        Assert.Equal(["weight"], shared.StateDict().Keys);
        Assert.Equal([0.25f], shared.Weight.ToArray());
        shared.Forward(Tensor.FromArray([-2f, 3f], 2)).Sum().Backward();
        Assert.Equal([-0.5f, 3f], shared.Forward(Tensor.FromArray([-2f, 3f], 2)).ToArray());
        Assert.Equal([-2f], shared.Weight.Grad!.ToArray());
        Assert.Equal("PReLU(num_parameters=3)", new PReLU(3).ToString());
        Assert.Contains("PReLU: 3 slopes need 3 channels in dim 1, got input [2, 4]",
            Assert.Throws<ArgumentException>(() => new PReLU(3).Forward(Tensor.Zeros(2, 4))).Message);
    }

    [Fact]
    public void UnflattenSplitsOneDimAsPyTorch()
    {
        // nn.Unflatten(1, (3, 4)), nn.Unflatten(-1, (2, -1)), nn.Unflatten(0, (1, 2)) on [2, 12]
        var x = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), 2, 12);
        foreach (bool training in new[] { true, false })
        {
            var unflatten = new Unflatten(1, [3, 4]);
            unflatten.Train(training);
            var y = unflatten.Forward(x);
            Assert.Equal([2, 3, 4], y.Shape);
            Assert.Equal(x.ToArray(), y.ToArray());
            Assert.Equal(x.ToArray(), new Flatten().Forward(y).ToArray());
        }
        Assert.Equal([2, 2, 6], new Unflatten(-1, [2, -1]).Forward(x).Shape);
        Assert.Equal([1, 2, 12], new Unflatten(0, [1, 2]).Forward(x).Shape);
        var leaf = new Parameter(x);
        new Unflatten(1, [3, 4]).Forward(leaf).Sum().Backward();
        Assert.Equal(Enumerable.Repeat(1f, 24), leaf.Grad!.ToArray());
        Assert.Contains("Unflatten: sizes [5, 2] do not multiply up to the size of dim 1 (12) of input [2, 12]",
            Assert.Throws<ArgumentException>(() => new Unflatten(1, [5, 2]).Forward(x)).Message);
        Assert.Throws<ArgumentException>(() => new Unflatten(1, [-1, -1]));
        Assert.Equal("Unflatten(dim=1, unflattened_size=[3, 4])", new Unflatten(1, [3, 4]).ToString());
    }

    [Fact]
    public void CeilModeKeepsTheEdgeThatFloorDrops()
    {
        // nn.MaxPool2d(2, ceil_mode=True) on 5×5: 3×3, the last row and column pooled alone
        var x = Tensor.FromArray(Enumerable.Range(0, 25).Select(i => (float)i).ToArray(), 1, 1, 5, 5);
        var pooled = new MaxPool2d(2, ceilMode: true).Forward(x);
        Assert.Equal([1, 1, 3, 3], pooled.Shape);
        Assert.Equal([6f, 8, 9, 16, 18, 19, 21, 23, 24], pooled.ToArray());
        Assert.Equal([1, 1, 2, 2], new MaxPool2d(2).Forward(x).Shape);
        Assert.Equal([1, 1, 3, 3], new AvgPool2d(2, ceilMode: true).Forward(x).Shape);
        Assert.Contains("ceil_mode=True", new MaxPool2d(2, ceilMode: true).ToString());
        GradCheck.Check(t => Functional.AvgPool2d(t[0], 3, 2, 1, countIncludePad: false, ceilMode: true), Tensor.RandN([1, 2, 6, 5], new Generator(8)));
    }

    [Fact]
    public void ConvolutionAndPoolingTakeAnUnbatchedImage()
    {
        // PyTorch's Conv2d and pools take [C, H, W] as well as [N, C, H, W]: the same values, without the batch dimension
        var x = Tensor.RandN([2, 6, 6], new Generator(9));
        var batch = x.Unsqueeze(0);
        Module[] layers = [new Conv2d(2, 3, 3, generator: new Generator(10)), new MaxPool2d(2), new AvgPool2d(3, 1, 1), new AdaptiveAvgPool2d(2)];
        foreach (var layer in layers)
        {
            var single = layer.Forward(x);
            var batched = layer.Forward(batch);
            Assert.Equal(batched.Shape[1..], single.Shape);
            Assert.Equal(batched.ToArray(), single.ToArray());
        }
        var leaf = Tensor.RandN([2, 5, 5], new Generator(11));
        leaf.RequiresGrad = true;
        new Conv2d(2, 1, 3, generator: new Generator(12)).Forward(leaf).Sum().Backward();
        Assert.Equal([2, 5, 5], leaf.Grad!.Shape);
        // Any other rank is named by the layer with both ranks it takes (PyTorch: "Expected 3D (unbatched) or 4D (batched) input")
        foreach (var layer in layers)
            foreach (int[] shape in new[] { new[] { 6, 6 }, [1, 1, 2, 6, 6] })
                Assert.Equal($"{layer.GetType().Name}: expected a 3-D (unbatched) or 4-D (batched) input, got shape {Shape.Format(shape)}",
                    Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros(shape))).Message);
    }

    [Fact]
    public void AdaptiveAvgPoolGradient()
    {
        GradCheck.Check(t => Functional.AdaptiveAvgPool2d(t[0], (3, 2)), Tensor.RandN([1, 2, 7, 5], new Generator(5)));
    }

    [Fact]
    public void EmbeddingLooksUpRowsAndSkipsThePaddingGradient()
    {
        var emb = new Embedding(5, 3, paddingIndex: 0, generator: new Generator(6));
        Assert.Equal([0f, 0f, 0f], emb.Weight.ToArray()[..3]);
        var ids = Tensor.FromArray([1f, 0f, 1f, 4f], 2, 2);
        var y = emb.Forward(ids);
        Assert.Equal([2, 2, 3], y.Shape);
        Assert.Equal(emb.Weight.ToArray()[3..6], y.ToArray()[..3]);
        y.Sum().Backward();
        var g = emb.Weight.Grad!.ToArray();
        Assert.Equal([0f, 0f, 0f], g[..3]);
        Assert.Equal([2f, 2f, 2f], g[3..6]);
        Assert.Equal([1f, 1f, 1f], g[12..15]);
        Assert.Contains("Embedding: index 5", Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray([5f], 1))).Message);
    }

    static readonly float[] PretrainedRows = [0.5f, -1f, 2f, 0.25f, -3f, 1.5f, 4f, -0.5f];

    [Fact]
    public void EmbeddingFromPretrainedKeepsTheRowsAndFreezesByDefault()
    {
        // nn.Embedding.from_pretrained(w, padding_idx=0): the rows as given (the padding row is not zeroed), weight frozen.
        var w = Tensor.FromArray(PretrainedRows, 4, 2);
        var frozen = Embedding.FromPretrained(w, paddingIndex: 0);
        Assert.Equal(PretrainedRows, frozen.Weight.ToArray());
        Assert.False(frozen.Weight.RequiresGrad);
        Assert.Equal(0, frozen.PaddingIndex);
        Assert.DoesNotContain(frozen.Parameters(), p => p.RequiresGrad);
        var idx = Tensor.FromArray([1f, 2f, 1f, 0f, 1f, 3f], 2, 3);
        var expected = new[] { 2f, 0.25f, -3f, 1.5f, 2f, 0.25f, 0.5f, -1f, 2f, 0.25f, 4f, -0.5f };
        Assert.Equal(expected, frozen.Forward(idx).ToArray());
        frozen.Eval();
        Assert.Equal(expected, frozen.Forward(idx).ToArray());
        w.Span[0] = 9f; // the module holds its own copy
        Assert.Equal(0.5f, frozen.Weight.ToArray()[0]);

        // freeze=False trains; the padding row still gets no gradient: PyTorch's grad for upstream 1..12
        var trained = Embedding.FromPretrained(Tensor.FromArray(PretrainedRows, 4, 2), freeze: false, paddingIndex: 0);
        Assert.True(trained.Weight.RequiresGrad);
        (trained.Forward(idx) * Tensor.FromArray(Enumerable.Range(1, 12).Select(i => (float)i).ToArray(), 2, 3, 2)).Sum().Backward();
        Assert.Equal([0f, 0f, 15f, 18f, 3f, 4f, 11f, 12f], trained.Weight.Grad!.ToArray());
        Assert.Contains("Embedding.FromPretrained: embeddings must be 2-D [num, dim], got shape [8]",
            Assert.Throws<ArgumentException>(() => Embedding.FromPretrained(Tensor.FromArray(PretrainedRows, 8))).Message);
        Assert.Throws<ArgumentException>(() => Embedding.FromPretrained(Tensor.FromArray(PretrainedRows, 4, 2), paddingIndex: 4));
    }

    [Fact]
    public void EmbeddingScaleGradByFreqDividesEachRowsGradientByItsCountInTheBatch()
    {
        // nn.Embedding.from_pretrained(w, freeze=False, padding_idx=0, scale_grad_by_freq=True), indices [[1, 2, 1], [0, 1, 3]],
        // upstream gradient 1..12: row 1 appears 3 times, so its summed gradient (15, 18) becomes (5, 6).
        var idx = Tensor.FromArray([1f, 2f, 1f, 0f, 1f, 3f], 2, 3);
        var upstream = Tensor.FromArray(Enumerable.Range(1, 12).Select(i => (float)i).ToArray(), 2, 3, 2);
        foreach (bool training in new[] { true, false })
        {
            var emb = Embedding.FromPretrained(Tensor.FromArray(PretrainedRows, 4, 2), freeze: false, paddingIndex: 0, scaleGradByFreq: true);
            emb.Train(training);
            Assert.True(emb.ScaleGradByFreq);
            (emb.Forward(idx) * upstream).Sum().Backward();
            Assert.Equal([0f, 0f, 5f, 6f, 3f, 4f, 11f, 12f], emb.Weight.Grad!.ToArray());
        }
        // The padding row counts like any other without a padding index; with max_norm the rows are renormed first.
        var plain = new Embedding(4, 2, maxNorm: 1f, scaleGradByFreq: true);
        plain.Weight.CopyFrom(Tensor.FromArray(PretrainedRows, 4, 2));
        (plain.Forward(idx) * upstream).Sum().Backward();
        Assert.Equal([7f, 8f, 5f, 6f, 3f, 4f, 11f, 12f], plain.Weight.Grad!.ToArray());
        Assert.Contains("scale_grad_by_freq=True", plain.ToString());
    }

    [Fact]
    public void EmbeddingMaxNormRescalesTheRowsItLooksUpAsPyTorch()
    {
        // nn.Embedding(3, 2, max_norm=1.0) with rows [3, 4], [0.3, 0.4], [2, 0], looking up [0, 1, 0]
        var emb = new Embedding(3, 2, maxNorm: 1f);
        using (Autograd.NoGrad()) emb.Weight.CopyFrom(Tensor.FromArray([3f, 4, 0.3f, 0.4f, 2, 0], 3, 2));
        var y = emb.Forward(Tensor.FromArray([0f, 1, 0], 3));
        GradCheck.Close([0.6f, 0.8f, 0.3f, 0.4f, 0.6f, 0.8f], y.ToArray());
        GradCheck.Close([0.6f, 0.8f, 0.3f, 0.4f, 2f, 0f], emb.Weight.ToArray()); // row 2 was not looked up
        y.Sum().Backward();
        Assert.Equal([2f, 2, 1, 1, 0, 0], emb.Weight.Grad!.ToArray());
        Assert.Contains("max_norm=1", emb.ToString());
        // norm_type=1: [2, 0] → [1 − 5e-8, 0]
        var l1 = new Embedding(3, 2, maxNorm: 1f, normType: 1f);
        using (Autograd.NoGrad()) l1.Weight.CopyFrom(Tensor.FromArray([3f, 4, 0.3f, 0.4f, 2, 0], 3, 2));
        GradCheck.Close([0.99999994f, 0f], l1.Forward(Tensor.FromArray([2f], 1)).ToArray());
        Assert.Contains("maxNorm must be non-negative, got -1", Assert.Throws<ArgumentException>(() => new Embedding(3, 2, maxNorm: -1f)).Message);
        // norm_type=inf: the largest magnitude, [3, 4] → [0.75, 1]
        var inf = new Embedding(3, 2, maxNorm: 1f, normType: float.PositiveInfinity);
        using (Autograd.NoGrad()) inf.Weight.CopyFrom(Tensor.FromArray([3f, 4, 0.3f, 0.4f, 2, 0], 3, 2));
        GradCheck.Close([0.75f, 1f], inf.Forward(Tensor.FromArray([0f], 1)).ToArray());
    }

    [Fact]
    public void FunctionalEmbeddingCountsANegativePaddingIndexFromTheEndAndRejectsOneOutOfRange()
    {
        // torch.nn.functional.embedding(tensor([2, 0]), w, padding_idx=-1): row 2 (the last) gets no gradient
        var w = new Parameter(Tensor.Zeros(3, 2));
        Functional.Embedding(Tensor.FromArray([2f, 0f], 2), w, paddingIndex: -1).Sum().Backward();
        Assert.Equal([1f, 1f, 0f, 0f, 0f, 0f], w.Grad!.ToArray());
        foreach (int bad in new[] { 3, 7, -4 })
            Assert.Contains($"paddingIndex {bad} is out of range for 3",
                Assert.Throws<ArgumentException>(() => Functional.Embedding(Tensor.FromArray([0f], 1), w, paddingIndex: bad)).Message);
    }
}

public class PyTorchStateDictTests
{
    [Fact]
    public void StateDictNamesShapesAndOrderMatchPyTorch()
    {
        // Keys and shapes printed by PyTorch 1.13 for the same nn.Sequential.
        var model = new Sequential(new Conv2d(1, 32, 3, padding: 1), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2), new Dropout2d(0.1f),
            new Flatten(), new Linear(32 * 14 * 14, 128), new LayerNorm(128), new GELU(), new Dropout(0.5f), new Linear(128, 10),
            new GroupNorm(2, 10), new Embedding(5, 10));
        (string Key, int[] Shape)[] expected =
        [
            ("0.weight", [32, 1, 3, 3]), ("0.bias", [32]), ("1.weight", [32]), ("1.bias", [32]), ("1.running_mean", [32]),
            ("1.running_var", [32]), ("1.num_batches_tracked", []), ("6.weight", [128, 6272]), ("6.bias", [128]), ("7.weight", [128]),
            ("7.bias", [128]), ("10.weight", [10, 128]), ("10.bias", [10]), ("11.weight", [10]), ("11.bias", [10]), ("12.weight", [5, 10]),
        ];
        var state = model.StateDict();
        Assert.Equal(expected.Select(e => e.Key), state.Keys);
        foreach (var (key, shape) in expected) Assert.Equal(shape, state[key].Shape);
    }
}

/// <summary>Tied weights and shared modules list as PyTorch lists them.</summary>
public class SharedMemberTests
{
    sealed class Tied : Module
    {
        public Tied(Linear a, Module shared)
        {
            RegisterParameter("w", a.Weight);
            RegisterModule("a", a);
            RegisterModule("b", shared);
            RegisterModule("c", shared);
        }

        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void StateDictHasEveryNameWhileModulesBuffersAndParametersAreListedOnce()
    {
        var a = new Linear(3, 2, generator: new Generator(1));
        var norm = new BatchNorm1d(2);
        var model = new Tied(a, norm);
        // torch: state_dict keys w, a.weight, a.bias, b.weight, b.bias, b.running_mean, …, c.weight, …
        Assert.Equal(["w", "a.weight", "a.bias", "b.weight", "b.bias", "b.running_mean", "b.running_var", "b.num_batches_tracked",
            "c.weight", "c.bias", "c.running_mean", "c.running_var", "c.num_batches_tracked"], model.StateDict().Keys);
        Assert.Same(model.StateDict()["w"], model.StateDict()["a.weight"]);
        Assert.Equal(["", "a", "b"], model.NamedModules().Select(m => m.Name));
        Assert.Equal(["w", "a.bias", "b.weight", "b.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["b.running_mean", "b.running_var", "b.num_batches_tracked"], model.NamedBuffers().Select(b => b.Name));

        // a state dict with every name loads strictly into another tied model
        var copy = new Tied(new Linear(3, 2, generator: new Generator(2)), new BatchNorm1d(2));
        copy.LoadStateDict(model.StateDict());
        Assert.Equal(a.Weight.ToArray(), copy.StateDict()["a.weight"].ToArray());

        // a tied weight saved under one of its names (safetensors' save_model, an older checkpoint, an EMA) loads strictly
        var once = model.StateDict().Where(kv => kv.Key is not ("a.weight" or "c.weight" or "c.bias" or "c.running_mean" or "c.running_var" or "c.num_batches_tracked"))
            .ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var third = new Tied(new Linear(3, 2, generator: new Generator(3)), new BatchNorm1d(2));
        Assert.Empty(third.LoadStateDict(once).Missing);
        Assert.Equal(a.Weight.ToArray(), third.StateDict()["a.weight"].ToArray());
        var shared = new Linear(3, 3, generator: new Generator(4));
        var twice = new Sequential(shared, shared);
        var ema = new Occam.Optim.Ema(twice, 0.5);
        ema.Update();
        ema.CopyTo(twice);
        var path = Path.Combine(Path.GetTempPath(), $"occam-tied-{Guid.NewGuid():N}.safetensors");
        try
        {
            Occam.IO.Safetensors.Save(path, once);
            Assert.Empty(Occam.IO.Checkpoint.Load(path, new Tied(new Linear(3, 2), new BatchNorm1d(2))).Missing);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ALinearFollowedByABatchNormOfImagesIsNotFoldedInInference()
    {
        var model = new Sequential(new Linear(4, 3, generator: new Generator(1)), new BatchNorm2d(3)).Eval();
        var x = Tensor.FromArray(new float[8], 2, 4);
        using (Autograd.NoGrad())
            Assert.Contains("BatchNorm2d", Assert.Throws<ArgumentException>(() => model.Forward(x)).Message);
        Assert.Contains("BatchNorm2d", Assert.Throws<ArgumentException>(() => model.Forward(x)).Message);
    }
}

/// <summary>Indexing and the errors of the layers' less common inputs, named by the operation.</summary>
public class LayerArgumentTests
{
    static void Throws<T>(string message, Action act) where T : Exception => Assert.Contains(message, Assert.Throws<T>(act).Message);

    [Fact]
    public void SequentialAndModuleListIndexFromTheEndAndNameAnIndexOutOfRange()
    {
        var relu = new ReLU();
        var model = new Sequential(new Identity(), relu);
        Assert.Same(relu, model[-1]);
        Assert.Same(relu, new ModuleList(new Identity(), relu)[-1]);
        Throws<ArgumentOutOfRangeException>("Sequential: index 5 is out of range for 2 modules", () => _ = model[5]);
        Throws<ArgumentOutOfRangeException>("ModuleList: index -3 is out of range for 2 modules", () => _ = new ModuleList(relu, relu)[-3]);
        Throws<ArgumentException>("Sequential: layer 1 is null", () => new Sequential(new Identity(), null!));
        Throws<ArgumentException>("ModuleList: module 1 is null", () => new ModuleList(new Identity(), null!));
    }

    [Fact]
    public void UncommonBadInputsAreNamed()
    {
        Throws<ArgumentException>("MaxPool2d: padding must be non-negative, got -1", () => new MaxPool2d(2, padding: -1));
        Throws<ArgumentException>("AvgPool2d: padding must be non-negative, got -1", () => new AvgPool2d(2, padding: -1));
        Throws<ArgumentException>("Embedding: index 1.5 is not a whole number", () => new Embedding(4, 2).Forward(Tensor.FromArray([1.5f], 1)));
        Throws<ArgumentException>("GaussianNoise: std must be finite and non-negative, got Infinity", () => new GaussianNoise(float.PositiveInfinity));
        Throws<ArgumentException>("DropConnect: inFeatures and outFeatures must be positive, got -1 and 2", () => new DropConnect(-1, 2));
        Throws<ArgumentException>("DropConnect: input of shape [2, 3]", () => new DropConnect(4, 2).Forward(Tensor.FromArray(new float[6], 2, 3)));
        Throws<ArgumentOutOfRangeException>("Flatten: a 0-d tensor has only dims 0 and -1, got startDim 1", () => new Flatten().Forward(Tensor.Scalar(1f)));
        Assert.Equal([1], Tensor.Scalar(1f).Flatten().Shape);
    }
}

/// <summary>Conv2d's padding as PyTorch takes it: 'same' and the padding modes, in training and eval mode.</summary>
public class ConvPaddingTests
{
    [Theory]
    [InlineData(3, 1)]
    [InlineData(4, 1)]
    [InlineData(3, 2)]
    public void SamePaddingKeepsTheSizeForAnyKernel(int kernel, int dilation)
    {
        var conv = new Conv2d(2, 3, kernel, padding: ConvPadding.Same, dilation: dilation, generator: new Generator(1));
        var x = Tensor.RandN([2, 2, 7, 6], new Generator(2));
        Assert.Equal([2, 3, 7, 6], conv.Forward(x).Shape);
        Assert.Equal([3, 7, 6], conv.Forward(Tensor.RandN([2, 7, 6], new Generator(3))).Shape); // unbatched
        conv.Eval();
        Assert.Equal([2, 3, 7, 6], conv.Forward(x).Shape);
        Assert.Contains("padding=same", conv.ToString());
        Assert.Contains("Conv2d: padding 'same' needs stride 1, got [2, 2]", Assert.Throws<ArgumentException>(() =>
            new Conv2d(2, 3, 3, stride: 2, padding: ConvPadding.Same)).Message);
    }

    [Fact]
    public void APaddingModePadsTheInputBeforeTheConvolution()
    {
        foreach (var mode in new[] { PaddingMode.Reflect, PaddingMode.Replicate, PaddingMode.Circular })
        {
            var conv = new Conv2d(2, 3, 3, padding: (2, 1), generator: new Generator(4), paddingMode: mode);
            var x = Tensor.RandN([2, 2, 5, 6], new Generator(5));
            x.RequiresGrad = true;
            var y = conv.Forward(x);
            var expected = Functional.Conv2d(x.Detach().Pad([1, 1, 2, 2], mode), conv.Weight.Detach(), conv.Bias!.Detach(), (1, 1), (0, 0), (1, 1));
            Assert.Equal(expected.ToArray(), y.ToArray());
            y.Sum().Backward();
            Assert.NotNull(x.Grad);
            Assert.Contains($"padding_mode={mode.ToString().ToLowerInvariant()}", conv.ToString());
        }
        Assert.Contains("Conv2d: padding must be non-negative", Assert.Throws<ArgumentException>(() => new Conv2d(1, 1, 3, padding: -1)).Message);
    }
}

/// <summary>The *Pad2d modules: Tensor.Pad on the last two dims, alike in training and eval.</summary>
public class PaddingModuleTests
{
    [Fact]
    public void PadModulesPadTheImageAsTheirModeSays()
    {
        var x = Tensor.RandN([2, 3, 4, 5], new Generator(1));
        (Module Module, PaddingMode Mode, float Value)[] cases =
        [
            (new ZeroPad2d(2), PaddingMode.Constant, 0f), (new ConstantPad2d((1, 0, 2, 3), 0.5f), PaddingMode.Constant, 0.5f),
            (new ReflectionPad2d(3), PaddingMode.Reflect, 0f), (new ReplicationPad2d((0, 4, 1, 1)), PaddingMode.Replicate, 0f),
        ];
        foreach (var (module, mode, value) in cases)
        {
            var p = ((Pad2d)module).Padding;
            var expected = x.Pad([p.Left, p.Right, p.Top, p.Bottom], mode, value).ToArray();
            Assert.Equal(expected, module.Forward(x).ToArray());
            module.Eval();
            Assert.Equal(expected, module.Forward(x).ToArray());
            Assert.Equal([3, 4 + p.Top + p.Bottom, 5 + p.Left + p.Right], module.Forward(Tensor.RandN([3, 4, 5], new Generator(2))).Shape);
        }
        Assert.Contains("ZeroPad2d: padding must be non-negative", Assert.Throws<ArgumentException>(() => new ZeroPad2d(-1)).Message);
        Assert.Contains("ReflectionPad2d: expected a 3-D", Assert.Throws<ArgumentException>(() => new ReflectionPad2d(1).Forward(Tensor.RandN([4, 5], new Generator(3)))).Message);
    }

    [Fact]
    public void ConstantPadTakesAnInfiniteValueAsPyTorch()
    {
        // nn.ConstantPad2d(1, float('-inf')) pads with -inf (e.g. before a max pool, so the border never wins); NaN is refused.
        var x = Tensor.FromArray([1f, -2f, 3f, -4f], 1, 1, 2, 2);
        var y = new ConstantPad2d((1, 0, 0, 1), float.NegativeInfinity).Forward(x).ToArray();
        float ninf = float.NegativeInfinity;
        Assert.Equal([ninf, 1f, -2f, ninf, 3f, -4f, ninf, ninf, ninf], y);
        // The border never wins a max: [[-inf, -1, 2], [-inf, -3, 4]] pooled 2×2 at stride 1 gives [-1, 4] (zeros would give 0).
        var pooled = new Sequential(new ConstantPad2d((1, 0, 0, 0), ninf), new MaxPool2d(2, stride: 1)).Forward(x * -1f);
        Assert.Equal([1, 1, 1, 2], pooled.Shape);
        Assert.Equal([-1f, 4f], pooled.ToArray());
        Assert.Equal(float.PositiveInfinity, new ConstantPad2d(1, float.PositiveInfinity).Forward(x).ToArray()[0]);
        Assert.Contains("ConstantPad2d: value must not be NaN", Assert.Throws<ArgumentException>(() => new ConstantPad2d(1, float.NaN)).Message);
    }
}
