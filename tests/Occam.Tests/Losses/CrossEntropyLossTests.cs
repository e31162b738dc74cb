using Occam.Losses;
using Occam.Tests.Support;

namespace Occam.Tests.Losses;

/// <summary>Label smoothing's optimum, soft/index target agreement and the numerical edge cases.</summary>
public class CrossEntropyLossTests
{
    [Fact]
    public void LabelSmoothingPenalizesConfidenceAndHasItsMinimumAtOneMinusEpsPlusEpsOverC()
    {
        const int C = 5;
        const float eps = 0.2f;
        var target = Tensor.FromArray([2f], 1);
        var loss = new CrossEntropyLoss(eps);

        // A perfectly confident correct prediction still pays for the smoothing mass.
        var confident = Tensor.FromArray([0f, 0f, 50f, 0f, 0f], 1, C);
        Assert.True(loss.Forward(confident, target).Item() > 1f);
        Assert.Equal(0f, new CrossEntropyLoss().Forward(confident, target).Item(), 1e-6f);

        // Gradient descent from uniform logits converges to p_true = 1 − ε + ε/C.
        var logits = Tensor.Zeros(1, C);
        for (int step = 0; step < 500; step++)
        {
            logits.RequiresGrad = true;
            logits.Grad = null;
            loss.Forward(logits, target).Backward();
            logits = (logits.Detach() - logits.Grad! * 2f).Detach();
        }
        var p = logits.Softmax(1).ToArray();
        Assert.Equal(1 - eps + eps / C, p[2], 1e-4f);
        Assert.Equal(eps / C, p[0], 1e-4f);

        // There the gradient vanishes, and every perturbation raises the loss.
        var optimum = Tensor.FromArray([MathF.Log(eps / C), MathF.Log(eps / C), MathF.Log(1 - eps + eps / C), MathF.Log(eps / C), MathF.Log(eps / C)], 1, C);
        optimum.RequiresGrad = true;
        var best = loss.Forward(optimum, target);
        best.Backward();
        Assert.All(optimum.Grad!.ToArray(), g => Assert.Equal(0f, g, 1e-6f));
        for (int c = 0; c < C; c++)
            foreach (float d in new[] { -0.1f, 0.1f })
            {
                var moved = optimum.Detach().ToArray();
                moved[c] += d;
                Assert.True(loss.Forward(Tensor.FromArray(moved, 1, C), target).Item() > best.Item());
            }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void OneHotSoftTargetsEqualIndexTargets(float eps)
    {
        var logits = Tensor.RandN([6, 4], new Generator(21));
        var indices = Tensor.FromArray([0f, 3, 1, 1, 2, 3], 6);
        var loss = new CrossEntropyLoss(eps);
        Assert.Equal(loss.Forward(logits, indices).Item(), loss.Forward(logits, Tensor.OneHot(indices, 4)).Item(), 1e-5f);
    }

    [Fact]
    public void LargeLogitsStayFinite()
    {
        var logits = Tensor.FromArray([1000f, -1000f, 0f, 500f, 500f, -500f], 2, 3);
        logits.RequiresGrad = true;
        var loss = new CrossEntropyLoss(0.1f).Forward(logits, Tensor.FromArray([1f, 2f], 2));
        loss.Backward();
        Assert.True(float.IsFinite(loss.Item()));
        Assert.All(logits.Grad!.ToArray(), g => Assert.True(float.IsFinite(g)));
    }

    [Theory]
    [InlineData(0f, false)]
    [InlineData(0.1f, true)]
    public void AllTargetsIgnoredGivesNaNWithAZeroGradientAsPyTorch(float smoothing, bool weighted)
    {
        var x = Tensor.FromArray([0.3f, -1f, 2f, 0.5f, 0.1f, -0.2f], 2, 3);
        x.RequiresGrad = true;
        var loss = new CrossEntropyLoss(smoothing, ignoreIndex: 1, weight: weighted ? Tensor.FromArray([1f, 2, 3], 3) : null).Forward(x, Tensor.Ones(2));
        Assert.True(float.IsNaN(loss.Item()));
        loss.Backward();
        Assert.All(x.Grad!.ToArray(), g => Assert.Equal(0f, g)); // torch 1.13: zeros
    }

    [Fact]
    public void LabelSmoothingWithAZeroTotalClassWeightIsNaNAsPyTorch()
    {
        // Every kept target has class weight 0 (a batch of only the "background" class): PyTorch's mean divides both
        // terms by Σ w[y_i] = 0, and (1 − ε)·0/0 + (ε/C)·s/0 is NaN, not +∞ (torch 1.13: F.cross_entropy(x, [0, 0],
        // weight=[0, 1, 1], label_smoothing=0.1) is nan with an all-NaN gradient; reduction 'sum' gives 0.20215471).
        var w = Tensor.FromArray([0f, 1, 1], 3);
        Tensor X(params int[] shape)
        {
            var x = Tensor.FromArray([0.3f, -1f, 2f, 0.5f, 0.1f, -0.2f], shape);
            x.RequiresGrad = true;
            return x;
        }
        var x = X(2, 3);
        var loss = new CrossEntropyLoss(0.1f, weight: w).Forward(x, Tensor.Zeros(2));
        Assert.True(float.IsNaN(loss.Item()), $"got {loss.Item()}");
        loss.Backward();
        Assert.All(x.Grad!.ToArray(), g => Assert.True(float.IsNaN(g)));
        Assert.Equal(0.20215471f, new CrossEntropyLoss(0.1f, Reduction.Sum, weight: w).Forward(X(2, 3), Tensor.Zeros(2)).Item(), 1e-6f);

        // [N, C, d]: one pixel of class 0, the other ignored; the ignored pixel's gradient stays 0 as in torch
        var x4 = X(1, 3, 2);
        loss = new CrossEntropyLoss(0.2f, ignoreIndex: 2, weight: w).Forward(x4, Tensor.FromArray([0f, 2f], 1, 2));
        Assert.True(float.IsNaN(loss.Item()), $"got {loss.Item()}");
        loss.Backward();
        var g4 = x4.Grad!.ToArray();
        for (int c = 0; c < 3; c++)
        {
            Assert.True(float.IsNaN(g4[2 * c]), $"class {c}, kept pixel: {g4[2 * c]}");
            Assert.Equal(0f, g4[2 * c + 1]);
        }
    }

    [Fact]
    public void BceAtZeroAndOneIsClampedWithFiniteGradient()
    {
        var p = Tensor.FromArray([0f, 1f, 1f, 0f], 4);
        p.RequiresGrad = true;
        var loss = new BCELoss(Reduction.Sum).Forward(p, Tensor.FromArray([0f, 1f, 0f, 1f], 4));
        loss.Backward();
        Assert.Equal(200f, loss.Item(), 1e-3f);
        Assert.All(p.Grad!.ToArray(), g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void BceWithLogitsGradientAtZeroIsSigmoidMinusTarget()
    {
        var x = Tensor.Zeros(2);
        x.RequiresGrad = true;
        new BCEWithLogitsLoss(Reduction.Sum).Forward(x, Tensor.FromArray([1f, 0f], 2)).Backward();
        GradCheck.Close([-0.5f, 0.5f], x.Grad!.ToArray(), 1e-6f, 0, "grad");
    }

    [Fact]
    public void KLDivTreatsZeroTargetsAsZero()
    {
        var logP = Tensor.FromArray([MathF.Log(0.5f), MathF.Log(0.25f), MathF.Log(0.25f)], 1, 3);
        var t = Tensor.FromArray([1f, 0f, 0f], 1, 3);
        t.RequiresGrad = true;
        var kl = new KLDivLoss(Reduction.BatchMean).Forward(logP, t);
        kl.Backward();
        Assert.Equal(MathF.Log(2), kl.Item(), 1e-6f);
        Assert.All(t.Grad!.ToArray(), g => Assert.True(float.IsFinite(g)));
    }
}

public class BceLabelSmoothingTests
{
    [Fact]
    public void SmoothingMovesTargetsTowardOneHalfAsKeras()
    {
        var x = Tensor.FromArray([2f, -1f, 0.5f, -3f], 4);
        var y = Tensor.FromArray([1f, 0f, 1f, 0f], 4);
        var smoothed = new Occam.Losses.BCEWithLogitsLoss(labelSmoothing: 0.2f).Forward(x, y).Item();
        var manual = new Occam.Losses.BCEWithLogitsLoss().Forward(x, Tensor.FromArray([0.9f, 0.1f, 0.9f, 0.1f], 4)).Item();
        Assert.Equal(manual, smoothed, 6);
        Assert.Contains("BCEWithLogitsLoss: labelSmoothing must be in [0, 1], got 1.5",
            Assert.Throws<ArgumentException>(() => new Occam.Losses.BCEWithLogitsLoss(labelSmoothing: 1.5f)).Message);
    }

    [Fact]
    public void AMinusInfinityLogitOfAnotherClassCostsNothingAsInPyTorch()
    {
        // masked logits: PyTorch 1.13 gives a finite loss and zero gradient there (values printed by torch)
        float inf = float.PositiveInfinity;
        Tensor Logits()
        {
            var x = Tensor.FromArray([1f, -inf, 2f, 0f, 1f, -inf], 2, 3);
            x.RequiresGrad = true;
            return x;
        }
        var t = Tensor.FromArray([0f, 1f], 2);
        var x = Logits();
        var loss = new CrossEntropyLoss().Forward(x, t);
        Assert.Equal(0.8132616, loss.Item(), 5);
        loss.Backward();
        Occam.Tests.Support.GradCheck.Close([-0.3655293f, 0f, 0.3655293f, 0.1344707f, -0.1344707f, 0f], x.Grad!.ToArray(), 1e-6f, 1e-5f, "fused");
        var weighted = Logits();
        loss = new CrossEntropyLoss(weight: Tensor.FromArray([0.5f, 2f, 1f], 3)).Forward(weighted, t);
        Assert.Equal(0.5132617, loss.Item(), 5);
        loss.Backward();
        Occam.Tests.Support.GradCheck.Close([-0.1462117f, 0f, 0.1462117f, 0.2151531f, -0.2151531f, 0f], weighted.Grad!.ToArray(), 1e-6f, 1e-5f, "weighted");
        Assert.Equal(1.6265233, new CrossEntropyLoss(reduction: Reduction.Sum).Forward(Logits(), t).Item(), 5);
        Assert.Equal(double.PositiveInfinity, new CrossEntropyLoss(labelSmoothing: 0.1f).Forward(Logits(), t).Item()); // as torch
        Assert.Equal(1.0, new NLLLoss().Forward(Tensor.FromArray([-1f, -inf, -2f, -0.5f, -1f, -inf], 2, 3), t).Item(), 6);
        Assert.Equal(1.3132616, new CrossEntropyLoss().Forward(Tensor.FromArray([1f, -inf, 2f], 1, 3, 1, 1), Tensor.FromArray([0f], 1, 1, 1)).Item(), 5);
    }
}
