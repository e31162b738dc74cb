using Occam.NN;
using Occam.Optim;

namespace Occam.Tests.Optim;

public class AveragingAndClippingTests
{
    static Parameter P(params float[] v) => new(Tensor.FromArray(v, v.Length));

    [Fact]
    public void ClipGradNormScalesAllGradientsTogether()
    {
        var a = P(0, 0); var b = P(0);
        a.Grad = Tensor.FromArray([3f, 0f], 2);
        b.Grad = Tensor.FromArray([4f], 1);
        double norm = GradientClipping.ClipGradNorm([a, b], maxNorm: 1);
        Assert.Equal(5, norm, 6);
        Assert.Equal(0.6f, a.Grad.ToArray()[0], 5);
        Assert.Equal(0.8f, b.Grad.ToArray()[0], 5);
        Assert.Equal(1.0, GradientClipping.ClipGradNorm([a, b], maxNorm: 10), 4); // below the limit: unchanged
        Assert.Equal(0.6f, a.Grad.ToArray()[0], 5);
        Assert.Equal(0.8, GradientClipping.ClipGradNorm([a, b], 10, double.PositiveInfinity), 5);
        Assert.Equal(1.4, GradientClipping.ClipGradNorm([a, b], 10, 1), 5);
        Assert.Throws<ArgumentException>(() => GradientClipping.ClipGradNorm([a], -1));
    }

    [Fact]
    public void ClipGradValueClampsEachElement()
    {
        var a = P(0, 0, 0);
        a.Grad = Tensor.FromArray([-3f, 0.2f, 5f], 3);
        GradientClipping.ClipGradValue([a], 1);
        Assert.Equal([-1f, 0.2f, 1f], a.Grad.ToArray());
        // torch's clamp_ keeps a NaN (clip_grad_value_ of [nan, 5] by 1 is [nan, 1]), so a diverged step still shows
        var wide = P(new float[19]);
        wide.Grad = Tensor.FromArray([.. Enumerable.Range(0, 19).Select(i => i % 3 == 0 ? float.NaN : i - 9f)], 19);
        GradientClipping.ClipGradValue([wide], 1);
        Assert.Equal([.. Enumerable.Range(0, 19).Select(i => i % 3 == 0 ? float.NaN : Math.Clamp(i - 9f, -1f, 1f))], wide.Grad.ToArray());
        Assert.Throws<ArgumentException>(() => GradientClipping.ClipGradValue([a], -0.5));
    }

    [Fact]
    public void ClipGradNormRefusesANonFiniteNormWhenAsked()
    {
        foreach (double normType in new[] { 2.0, 1.0, double.PositiveInfinity })
            foreach (float bad in new[] { float.NaN, float.PositiveInfinity })
            {
                var w = P(0f, 0f);
                w.Grad = Tensor.FromArray([bad, 1f], 2);
                var e = Assert.Throws<InvalidOperationException>(() => GradientClipping.ClipGradNorm([w], 1.0, normType, errorIfNonfinite: true));
                Assert.Contains($"ClipGradNorm: the total norm of order {normType} of the gradients is {(float.IsNaN(bad) ? "NaN" : "Infinity")}", e.Message);
                Assert.Equal(1f, w.Grad.ToArray()[1]); // untouched
                // Without the check, torch 1.13: an infinite norm gives [nan, 0], a NaN norm [nan, nan].
                double norm = GradientClipping.ClipGradNorm([w], 1.0, normType);
                Assert.Equal(float.IsNaN(bad) ? double.NaN : double.PositiveInfinity, norm);
                Assert.True(float.IsNaN(w.Grad.ToArray()[0]));
                Assert.Equal(float.IsNaN(bad) ? float.NaN : 0f, w.Grad.ToArray()[1]);
            }
        var fine = P(0f, 0f);
        fine.Grad = Tensor.FromArray([3f, 4f], 2);
        Assert.Equal(5, GradientClipping.ClipGradNorm([fine], 1.0, errorIfNonfinite: true), 6);
    }

    [Fact]
    public void EmaMatchesHandComputedAverages()
    {
        var model = new Linear(1, 1, bias: false, generator: new Generator(1));
        model.Weight.CopyFrom(Tensor.FromArray([1f], 1, 1));
        var ema = new Ema(model, decay: 0.9);
        model.Weight.CopyFrom(Tensor.FromArray([2f], 1, 1));
        ema.Update();                                  // 0.9·1 + 0.1·2 = 1.1
        model.Weight.CopyFrom(Tensor.FromArray([3f], 1, 1));
        ema.Update();                                  // 0.9·1.1 + 0.1·3 = 1.29
        Assert.Equal(1.29f, ema.StateDict()["weight"].Item(), 5);
        var eval = new Linear(1, 1, bias: false);
        ema.CopyTo(eval);
        Assert.Equal(1.29f, eval.Weight.Item(), 5);

        var warm = new Ema(model, decay: 0.999, warmup: true);
        Assert.Equal(0.1, warm.CurrentDecay, 10);      // (1 + 0)/(10 + 0)
        Assert.Throws<ArgumentException>(() => new Ema(model, decay: 1.5));
    }

    [Fact]
    public void AveragedModelIsTheEqualWeightMean()
    {
        var model = new Linear(2, 1, generator: new Generator(2));
        var swa = new AveragedModel(model);
        Assert.Throws<InvalidOperationException>(() => swa.CopyTo(model));
        float[][] weights = [[1f, 2f], [3f, 6f], [5f, 1f]];
        foreach (var w in weights) { model.Weight.CopyFrom(Tensor.FromArray(w, 1, 2)); swa.Update(); }
        var target = new Linear(2, 1);
        swa.CopyTo(target);
        Assert.Equal([3f, 3f], target.Weight.ToArray());
        Assert.Equal(3, swa.Count);
    }

    [Fact]
    public void ConventionTranslations()
    {
        Assert.Equal(2e-4, Conventions.KerasL2ToWeightDecay(1e-4), 12);
        Assert.Equal(1e-4, Conventions.WeightDecayToKerasL2(2e-4), 12);
        Assert.Equal(1e-4, Conventions.SklearnMlpAlphaToWeightDecay(0.1, 1000), 12);
        Assert.Equal(1e-3, Conventions.LogisticRegressionCToWeightDecay(1.0, 1000), 12);
        Assert.Equal(1.0, Conventions.WeightDecayToLogisticRegressionC(1e-3, 1000), 9);
        var (l1, l2) = Conventions.GlmnetToElasticNet(0.1, 0.5);
        Assert.Equal(0.05, l1, 12);
        Assert.Equal(0.025, l2, 12);
        Assert.Equal((0.1, 0.05), Conventions.GlmnetToElasticNet(0.1, 0.5, againstMeanSquaredError: true));
        Assert.Equal(0.1, Conventions.KerasBatchNormMomentumToPyTorch(0.9), 12);
        Assert.Equal(0.99, Conventions.PyTorchBatchNormMomentumToKeras(0.01), 12);
        Assert.Throws<ArgumentException>(() => Conventions.LogisticRegressionCToWeightDecay(0, 10));
        Assert.Throws<ArgumentException>(() => Conventions.GlmnetToElasticNet(0.1, 1.5));
    }

    [Fact]
    public void KerasL2PenaltyAndCoupledWeightDecayTakeTheSameStep()
    {
        // SGD on the loss + l2·Σw² equals SGD with weight decay 2·l2 on the bare loss.
        var x = Tensor.RandN([8, 3], new Generator(3));
        Parameter Make() => new(Tensor.FromArray([0.5f, -1f, 2f], 1, 3));
        var a = Make(); var b = Make();
        var optA = new SGD([a], lr: 0.1);
        var optB = new SGD([b], lr: 0.1, weightDecay: Conventions.KerasL2ToWeightDecay(0.05));
        for (int i = 0; i < 3; i++)
        {
            optA.ZeroGrad(); optB.ZeroGrad();
            (Functional.Linear(x, a).Pow(2f).Mean() + (a * a).Sum() * 0.05f).Backward();
            Functional.Linear(x, b).Pow(2f).Mean().Backward();
            optA.Step(); optB.Step();
        }
        Occam.Tests.Support.GradCheck.Close(a.ToArray(), b.ToArray(), 1e-6f, 1e-5f);
    }
}

public class SwaBatchNormTests
{
    [Fact]
    public void UpdateBatchNormComputesTheExactStatisticsOfTheData()
    {
        var g = new Generator(3);
        var bn = new BatchNorm1d(2, momentum: 0.1f);
        var model = new Sequential(bn);
        model.Eval();
        var batches = Enumerable.Range(0, 4).Select(_ => Tensor.RandN([16, 2], g, 3f, 2f)).ToList();
        Swa.UpdateBatchNorm(batches, model);
        // Cumulative average of per-batch means (equal batch sizes: the overall mean).
        var all = Tensor.Cat([.. batches], 0);
        Occam.Tests.Support.GradCheck.Close(all.Mean(0).ToArray(), bn.RunningMean!.ToArray(), 1e-5f, 1e-5f);
        var perBatchVar = batches.Select(b => b.Var([0]).ToArray()).ToList();
        var expectedVar = Enumerable.Range(0, 2).Select(c => perBatchVar.Average(v => v[c])).Select(v => (float)v).ToArray();
        Occam.Tests.Support.GradCheck.Close(expectedVar, bn.RunningVar!.ToArray(), 1e-5f, 1e-4f);
        Assert.Equal(0.1f, bn.Momentum);
        Assert.False(bn.IsTraining);
        Assert.Equal(4f, bn.NumBatchesTracked!.Item());
    }
}
