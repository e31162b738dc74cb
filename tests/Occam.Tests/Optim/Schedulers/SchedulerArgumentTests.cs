using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;

namespace Occam.Tests.Optim.Schedulers;

/// <summary>Argument validation (the message names the scheduler and the bad value) and behaviour the fixtures do not reach.</summary>
public class SchedulerArgumentTests
{
    static SGD Sgd(double lr = 0.1, double momentum = 0) => new([new Parameter(Tensor.FromArray(new float[1], 1))], lr, momentum);

    static void Throws(string message, Func<object> make)
    {
        var e = Assert.Throws<ArgumentException>(make);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Throws("StepLR: stepSize must be positive, got 0", () => new StepLR(Sgd(), 0));
        Throws("StepLR: gamma must be positive, got -1", () => new StepLR(Sgd(), 2, -1));
        Throws("MultiStepLR: milestones must be positive and strictly increasing, got [3, 3]", () => new MultiStepLR(Sgd(), [3, 3]));
        Throws("MultiStepLR: milestones must be positive and strictly increasing, got [0, 2]", () => new MultiStepLR(Sgd(), [0, 2]));
        Throws("MultiStepLR: gamma must be positive, got 0", () => new MultiStepLR(Sgd(), [2], 0));
        Throws("ExponentialLR: gamma must be positive, got NaN", () => new ExponentialLR(Sgd(), double.NaN));
        Throws("CosineAnnealingLR: tMax must be positive, got 0", () => new CosineAnnealingLR(Sgd(), 0));
        Throws("CosineAnnealingLR: etaMin must be non-negative, got -0.1", () => new CosineAnnealingLR(Sgd(), 10, -0.1));
        Throws("CosineAnnealingWarmRestarts: t0 must be positive, got -2", () => new CosineAnnealingWarmRestarts(Sgd(), -2));
        Throws("CosineAnnealingWarmRestarts: tMult must be at least 1, got 0", () => new CosineAnnealingWarmRestarts(Sgd(), 5, 0));
        foreach (double epoch in new[] { -0.5, double.NaN, double.PositiveInfinity })
            Throws($"CosineAnnealingWarmRestarts: epoch must be non-negative and finite, got {epoch}", () =>
            {
                new CosineAnnealingWarmRestarts(Sgd(), 5).Step(epoch);
                return 0;
            });
        Throws("CosineAnnealingWarmRestarts: etaMin must be non-negative, got -1", () => new CosineAnnealingWarmRestarts(Sgd(), 5, 1, -1));
        Throws("LambdaLR: expected 1 lrLambdas, one per parameter group, got 2", () => new LambdaLR(Sgd(), [_ => 1, _ => 2]));
        Throws("MultiplicativeLR: lrLambda 0 is null", () => new MultiplicativeLR(Sgd(), [null!]));
        Assert.Throws<ArgumentNullException>(() => new LambdaLR(Sgd(), (Func<int, double>)null!));
        Assert.Contains("LambdaLR: the lr factor of group 0 at epoch 0 must be finite and non-negative, got -1",
            Assert.Throws<InvalidOperationException>(() => new LambdaLR(Sgd(), _ => -1)).Message);
        var multiplicative = new MultiplicativeLR(Sgd(), e => e < 3 ? 0.5 : double.NaN);
        multiplicative.Step();
        Assert.Contains("MultiplicativeLR: the lr factor of group 0 at epoch 3 must be finite and non-negative, got NaN",
            Assert.Throws<InvalidOperationException>(() => { multiplicative.Step(); multiplicative.Step(); }).Message);
        Throws("CyclicLR: stepSizeUp must be positive, got 0", () => new CyclicLR(Sgd(momentum: 0.9), 0.01, 0.1, stepSizeUp: 0));
        Throws("CyclicLR: stepSizeDown must be positive, got -3", () => new CyclicLR(Sgd(momentum: 0.9), 0.01, 0.1, stepSizeDown: -3));
        Throws("CyclicLR: maxLr must be non-negative, got NaN", () => new CyclicLR(Sgd(momentum: 0.9), 0.01, double.NaN));
        Throws("CyclicLR: gamma must be positive, got 0", () => new CyclicLR(Sgd(momentum: 0.9), 0.01, 0.1, gamma: 0));
        Throws("CyclicLR: cycleMomentum needs an optimizer with momentum (SGD, RMSprop), group 'all' has none",
            () => new CyclicLR(new Adam([new Parameter(Tensor.FromArray(new float[1], 1))]), 0.001, 0.01));
        Throws("ConstantLR: factor must be in (0, 1], got 0", () => new ConstantLR(Sgd(), factor: 0));
        Throws("ConstantLR: factor must be in (0, 1], got 1.5", () => new ConstantLR(Sgd(), factor: 1.5));
        Throws("ConstantLR: totalIters must be positive, got 0", () => new ConstantLR(Sgd(), totalIters: 0));
        Throws("PolynomialLR: totalIters must be positive, got -1", () => new PolynomialLR(Sgd(), totalIters: -1));
        Throws("PolynomialLR: power must be non-negative, got -2", () => new PolynomialLR(Sgd(), power: -2));
        Throws("LinearLR: startFactor must be in (0, 1], got 0", () => new LinearLR(Sgd(), startFactor: 0));
        Throws("LinearLR: endFactor must be in [0, 1], got 1.5", () => new LinearLR(Sgd(), endFactor: 1.5));
        Throws("LinearLR: totalIters must be positive, got 0", () => new LinearLR(Sgd(), totalIters: 0));
        Throws("OneCycleLR: maxLr must be positive, got 0", () => new OneCycleLR(Sgd(momentum: 0.9), 0, 10));
        Throws("OneCycleLR: expected 1 maxLrs, one per parameter group, got 2", () => new OneCycleLR(Sgd(momentum: 0.9), [0.1, 0.2], 10));
        Throws("OneCycleLR: maxLr of group 0 must be positive, got -0.1", () => new OneCycleLR(Sgd(momentum: 0.9), [-0.1], 10));
        Throws("ReduceLROnPlateau: expected 1 minLrs, one per parameter group, got 0", () => new ReduceLROnPlateau(Sgd()) { MinLrs = [] });
        Throws("ReduceLROnPlateau: minLr of group 0 must be non-negative, got -1", () => new ReduceLROnPlateau(Sgd()) { MinLrs = [-1] });
        Throws("OneCycleLR: totalSteps must be positive, got 0", () => new OneCycleLR(Sgd(momentum: 0.9), 1, 0));
        Throws("OneCycleLR: pctStart must be in [0, 1], got 1.2", () => new OneCycleLR(Sgd(momentum: 0.9), 1, 10, pctStart: 1.2));
        Throws("OneCycleLR: pctStart 1 with totalSteps 10 leaves a phase of zero steps", () => new OneCycleLR(Sgd(momentum: 0.9), 1, 10, pctStart: 1));
        Throws("OneCycleLR: annealStrategy must be Cos or Linear, got 7", () => new OneCycleLR(Sgd(momentum: 0.9), 1, 10, annealStrategy: (AnnealStrategy)7));
        Throws("OneCycleLR: divFactor must be positive, got 0", () => new OneCycleLR(Sgd(momentum: 0.9), 1, 10, divFactor: 0));
        Throws("OneCycleLR: finalDivFactor must be positive, got -1", () => new OneCycleLR(Sgd(momentum: 0.9), 1, 10, finalDivFactor: -1));
        Throws("OneCycleLR: need 0 <= baseMomentum <= maxMomentum < 1, got baseMomentum 0.95, maxMomentum 0.85",
            () => new OneCycleLR(Sgd(momentum: 0.9), 1, 10, baseMomentum: 0.95, maxMomentum: 0.85));
        Throws("ReduceLROnPlateau: factor must be in [0, 1), got 1", () => new ReduceLROnPlateau(Sgd(), factor: 1));
        Throws("ReduceLROnPlateau: patience must be non-negative, got -1", () => new ReduceLROnPlateau(Sgd(), patience: -1));
        Throws("ReduceLROnPlateau: threshold must be non-negative, got -0.001", () => new ReduceLROnPlateau(Sgd(), threshold: -0.001));
        Throws("ReduceLROnPlateau: cooldown must be non-negative, got -3", () => new ReduceLROnPlateau(Sgd(), cooldown: -3));
        Throws("ReduceLROnPlateau: minLr must be non-negative, got -1", () => new ReduceLROnPlateau(Sgd(), minLr: -1));
        Throws("ReduceLROnPlateau: eps must be non-negative, got -1E-08", () => new ReduceLROnPlateau(Sgd(), eps: -1e-8));
        Throws("ReduceLROnPlateau: mode must be Min or Max, got 5", () => new ReduceLROnPlateau(Sgd(), mode: (PlateauMode)5));
        Throws("ReduceLROnPlateau: thresholdMode must be Rel or Abs, got 5", () => new ReduceLROnPlateau(Sgd(), thresholdMode: (ThresholdMode)5));
        Assert.Throws<ArgumentNullException>(() => new StepLR(null!, 2));
    }

    [Fact]
    public void CompositesCheckTheirSchedulers()
    {
        var opt = Sgd();
        Throws("SequentialLR: schedulers must not be empty", () => new SequentialLR(opt, [], []));
        Throws("SequentialLR: expected 1 milestones for 2 schedulers, got 0",
            () => new SequentialLR(opt, [new LinearLR(opt), new ExponentialLR(opt, 0.9)], []));
        Throws("SequentialLR: milestones must be positive and strictly increasing, got [0]",
            () => new SequentialLR(opt, [new LinearLR(opt), new ExponentialLR(opt, 0.9)], [0]));
        Throws("SequentialLR: scheduler 1 (ExponentialLR) belongs to a different optimizer",
            () => new SequentialLR(opt, [new LinearLR(opt), new ExponentialLR(Sgd(), 0.9)], [5]));
        Throws("SequentialLR: scheduler 0 is a ReduceLROnPlateau, which cannot be restarted at a milestone",
            () => new SequentialLR(opt, [new ReduceLROnPlateau(opt)], []));
        Throws("ChainedScheduler: schedulers must not be empty", () => new ChainedScheduler([]));
        Throws("ChainedScheduler: schedulers 0 and 1 belong to different optimizers",
            () => new ChainedScheduler([new LinearLR(opt), new ExponentialLR(Sgd(), 0.9)]));
        Throws("ChainedScheduler: scheduler 1 is a ReduceLROnPlateau, which steps on a metric",
            () => new ChainedScheduler([new LinearLR(opt), new ReduceLROnPlateau(opt)]));
    }

    [Fact]
    public void OneCycleNeedsMomentumAndStopsAfterTotalSteps()
    {
        var adagradLike = new RMSprop([new ParameterGroup([new Parameter(Tensor.FromArray(new float[1], 1))], "w")], 0.01);
        adagradLike.Groups[0].Momentum = null;
        Throws("OneCycleLR: cycleMomentum needs an optimizer with momentum or betas, group 'w' has neither",
            () => new OneCycleLR(adagradLike, 0.1, 10));
        _ = new OneCycleLR(adagradLike, 0.1, 10, cycleMomentum: false);

        var opt = Sgd(momentum: 0.9);
        var s = new OneCycleLR(opt, 1.0, 4);
        Assert.Equal(0.04, opt.Groups[0].InitialLr, 15);
        Assert.Equal(0.95, opt.Groups[0].Momentum);
        for (int i = 0; i < 4; i++) s.Step();
        var e = Assert.Throws<InvalidOperationException>(s.Step);
        Assert.Equal("OneCycleLR: tried to step 6 times, but totalSteps is 4", e.Message);
    }

    [Fact]
    public void PlateauStepsOnlyOnAMetric()
    {
        var s = new ReduceLROnPlateau(Sgd(), patience: 0);
        Assert.Throws<InvalidOperationException>(s.Step);
        s.Step(1.0);
        s.Step(1.0);
        Assert.Equal(0.01, s.LastLr[0], 15);
        Assert.Equal(2, s.LastEpoch);
    }

    [Fact]
    public void WarmupThenCosineStartsAtTheWarmupAndRestartsTheCosine()
    {
        var opt = Sgd(lr: 1.0);
        var warmup = new LinearLR(opt, startFactor: 0.1, totalIters: 5);
        var cosine = new CosineAnnealingLR(opt, tMax: 10);
        var s = new SequentialLR(opt, [warmup, cosine], [5]);
        Assert.Equal(0.1, s.LastLr[0], 15);
        for (int i = 0; i < 5; i++) s.Step();
        Assert.Equal(1.0, s.LastLr[0], 15);
        Assert.Equal(0, cosine.LastEpoch);
        for (int i = 0; i < 10; i++) s.Step();
        Assert.Equal(0.0, s.LastLr[0], 15);
    }

    static double[] Trace(LRScheduler s, int steps) =>
        [s.LastLr[0], .. Enumerable.Range(0, steps).Select(_ => { s.Step(); return s.LastLr[0]; })];

    static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-12, $"step {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void TheBaseLrIsTheLrWhenTheFirstSchedulerIsBuilt()
    {
        // PyTorch 1.13 sets initial_lr with setdefault when a scheduler is built, so an lr changed after the optimizer
        // was made is the base: o = SGD([p], lr=0.1); o.param_groups[0]['lr'] = 0.2; then the scheduler.
        var opt = Sgd(0.1);
        opt.Groups[0].Lr = 0.2;
        Close([0.2, 0.17071067811865476, 0.1, 0.029289321881345254, 0.2, 0.17071067811865476], Trace(new CosineAnnealingWarmRestarts(opt, 4), 5));
        Assert.Equal(0.2, opt.Groups[0].InitialLr);
        Assert.Equal(0.2, opt.StateDict().Groups[0]["initial_lr"]);

        opt = Sgd(0.1);
        opt.Groups[0].Lr = 0.2;
        Close([0.2, 0.15, 0.05, 0.0, 0.05, 0.15, 0.2, 0.15, 0.05], Trace(new CosineAnnealingLR(opt, 3), 8));

        opt = Sgd(0.1);
        opt.Groups[0].Lr = 0.2;
        var seq = new SequentialLR(opt, [new LinearLR(opt, startFactor: 0.5, totalIters: 2), new ExponentialLR(opt, 0.9)], [2]);
        Close([0.1, 0.15, 0.2, 0.18, 0.162], Trace(seq, 4));

        // A later scheduler keeps the first one's base (initial_lr is only set once).
        opt = Sgd(0.1);
        var step = new StepLR(opt, 1, 0.5);
        step.Step();
        step.Step();
        Assert.Equal(0.1, new CosineAnnealingWarmRestarts(opt, 4).BaseLrs[0]);
        Assert.Equal(0.1, opt.Groups[0].Lr);
    }

    [Fact]
    public void AResumedSchedulerContinuesAsIfNeverStopped()
    {
        // A loop of one's own: save the optimizer's and the scheduler's state after 7 steps, build both afresh, load,
        // and the next steps give the learning rates of the uninterrupted run.
        var builds = new Func<SGD, LRScheduler>[]
        {
            o => new SequentialLR(o, [new LinearLR(o, startFactor: 0.1, totalIters: 4), new CosineAnnealingWarmRestarts(o, 3, 2, 0.001)], [4]),
            o => new ChainedScheduler([new ConstantLR(o, 0.5, 9), new ExponentialLR(o, 0.9)]),
            o => new OneCycleLR(o, maxLr: 0.5, totalSteps: 15),
            o => new ReduceLROnPlateau(o, factor: 0.5, patience: 1, cooldown: 2),
            o => new CosineAnnealingWarmRestarts(o, 2, 3),
        };
        double[] metrics = [1, 0.9, 0.95, 0.96, 0.97, 0.97, 0.8, 0.85, 0.9, 0.91, 0.92, 0.93, 0.95, 0.96];
        for (int b = 0; b < builds.Length; b++)
        {
            void Advance(LRScheduler s, int i)
            {
                if (s is ReduceLROnPlateau p) p.Step(metrics[i]);
                else if (s is CosineAnnealingWarmRestarts w && i % 3 == 1) w.Step(i + 0.5);
                else s.Step();
            }
            var whole = Sgd(momentum: 0.9);
            var wholeSched = builds[b](whole);
            var expected = new List<double>();
            for (int i = 0; i < 14; i++)
            {
                Advance(wholeSched, i);
                if (i >= 7) expected.Add(whole.Groups[0].LrValue);
            }
            var first = Sgd(momentum: 0.9);
            var firstSched = builds[b](first);
            for (int i = 0; i < 7; i++) Advance(firstSched, i);
            var (optimizerState, schedulerState) = (first.StateDict(), firstSched.StateDict());

            var resumed = Sgd(momentum: 0.9);
            var resumedSched = builds[b](resumed);
            resumedSched.LoadStateDict(schedulerState);
            resumed.LoadStateDict(optimizerState);
            var actual = new List<double>();
            for (int i = 7; i < 14; i++)
            {
                Advance(resumedSched, i);
                actual.Add(resumed.Groups[0].LrValue);
            }
            Close([.. expected], [.. actual]);
            Assert.Equal(firstSched.LastEpoch, resumedSched.LastEpoch - 7);
        }

        var plateau = new ReduceLROnPlateau(Sgd());
        var bad = plateau.StateDict();
        bad["num_bad_epochs"] = 1.5;
        Assert.Contains("ReduceLROnPlateau.LoadStateDict: ReduceLROnPlateau's 'num_bad_epochs' must be a whole number from 0, got 1.5",
            Assert.Throws<InvalidDataException>(() => plateau.LoadStateDict(bad)).Message);
        bad.Remove("best");
        bad["num_bad_epochs"] = 3;
        Throws("ReduceLROnPlateau.LoadStateDict: the state of ReduceLROnPlateau lacks 'best'", () =>
        {
            plateau.LoadStateDict(bad);
            return 0;
        });
        Assert.Equal(0, plateau.NumBadEpochs);
    }
}
