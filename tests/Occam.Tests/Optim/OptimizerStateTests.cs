using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;
using Occam.Training.Callbacks;

namespace Occam.Tests.Optim;

/// <summary>The optimizer's saved state (every group hyperparameter a scheduler moves) and the checks on what it is
/// given: a bad state or value is refused, naming it, before anything changes.</summary>
public class OptimizerStateTests
{
    static Parameter P(params float[] values) => new(Tensor.FromArray(values, values.Length));

    [Fact]
    public void StateDictCarriesTheCycledMomentumAndBetas()
    {
        var w = P(1f, 2f);
        var adam = new Adam([w], lr: 1e-3);
        var cycle = new OneCycleLR(adam, maxLr: 0.01, totalSteps: 20);
        for (int i = 0; i < 7; i++)
        {
            w.Grad = Tensor.FromArray([0.1f, -0.2f], 2);
            adam.Step();
            cycle.Step();
        }
        var saved = adam.StateDict();
        var other = P(1f, 2f);
        var copy = new Adam([other], lr: 1e-3);
        copy.LoadStateDict(saved);
        Assert.Equal(adam.Groups[0].Betas, copy.Groups[0].Betas);
        Assert.NotEqual(0.9, copy.Groups[0].Betas!.Value.Beta1);
        Assert.Equal(adam.Groups[0].Lr, copy.Groups[0].Lr);

        var sgd = new SGD([P(1f)], lr: 0.1, momentum: 0.9, l1Proximal: 0.01);
        var state = sgd.StateDict();
        Assert.Equal(0.9, state.Groups[0]["momentum"]);
        Assert.Equal(0.01, state.Groups[0]["l1_proximal"]);
    }

    [Fact]
    public void NAdamsMomentumProductSurvivesACheckpoint()
    {
        static (Parameter W, NAdam Opt) Make()
        {
            var w = P(1f, -2f, 0.5f);
            return (w, new NAdam([w], lr: 0.05));
        }
        static void Step(Parameter w, Optimizer opt, int i)
        {
            w.Grad = Tensor.FromArray([0.3f * i, -0.1f, 0.2f - 0.05f * i], 3);
            opt.Step();
        }
        var (whole, wholeOpt) = Make();
        for (int i = 0; i < 6; i++) Step(whole, wholeOpt, i);

        var (first, firstOpt) = Make();
        for (int i = 0; i < 3; i++) Step(first, firstOpt, i);
        var model = new Linear(3, 1, bias: false);
        model.Weight.CopyFrom(first.Reshape(1, 3));
        var path = Path.Combine(Path.GetTempPath(), $"occam-nadam-{Guid.NewGuid():N}.safetensors");
        try
        {
            var modelOpt = new NAdam(model.Parameters(), lr: 0.05);
            modelOpt.LoadStateDict(new OptimizerState(
                firstOpt.StateDict().State.ToDictionary(kv => kv.Key, kv => kv.Value.ToDictionary(e => e.Key, e => e.Key == "step" || e.Key == "mu_product" ? e.Value : e.Value.Reshape(1, 3))),
                firstOpt.StateDict().Groups));
            Assert.Equal(1, modelOpt.StateDict().State[0]["mu_product"].Size);
            Occam.IO.Checkpoint.Save(path, model, modelOpt);
            var restored = new Linear(3, 1, bias: false);
            var restoredOpt = new NAdam(restored.Parameters(), lr: 0.05);
            Occam.IO.Checkpoint.Load(path, restored, restoredOpt);
            for (int i = 3; i < 6; i++)
            {
                restored.Weight.Grad = Tensor.FromArray([0.3f * i, -0.1f, 0.2f - 0.05f * i], 1, 3);
                restoredOpt.Step();
            }
            Assert.Equal(whole.ToArray(), restored.Weight.ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ABadSavedStateIsRefusedBeforeAnythingChanges()
    {
        var w = P(1f, 2f);
        var sgd = new SGD([w], lr: 0.1, momentum: 0.9);
        w.Grad = Tensor.FromArray([1f, 1f], 2);
        sgd.Step();
        var good = sgd.StateDict();
        var before = sgd.StateDict();

        OptimizerState With(Dictionary<string, double>? group) => new(good.State, [group!]);
        var lacking = Assert.Throws<ArgumentException>(() => sgd.LoadStateDict(With(new() { ["lr"] = 7 })));
        Assert.Contains("SGD.LoadStateDict: group 0 lacks 'initial_lr'", lacking.Message);
        Assert.Contains("group 0's 'lr' must be finite and non-negative, got NaN", Assert.Throws<ArgumentException>(() =>
            sgd.LoadStateDict(With(new() { ["lr"] = double.NaN, ["initial_lr"] = 0.1, ["weight_decay"] = 0 }))).Message);
        Assert.Contains("'weight_decay' must be finite and non-negative, got -5", Assert.Throws<ArgumentException>(() =>
            sgd.LoadStateDict(With(new() { ["lr"] = 0.1, ["initial_lr"] = 0.1, ["weight_decay"] = -5 }))).Message);
        Assert.Contains("'beta1' must be finite and non-negative and below 1, got 1.5", Assert.Throws<ArgumentException>(() =>
            sgd.LoadStateDict(With(new() { ["lr"] = 0.1, ["initial_lr"] = 0.1, ["weight_decay"] = 0, ["beta1"] = 1.5, ["beta2"] = 0.9 }))).Message);
        Assert.Contains("group 0 is null", Assert.Throws<ArgumentException>(() => sgd.LoadStateDict(With(null))).Message);

        Assert.Equal(0.1, sgd.Groups[0].Lr);
        var after = sgd.StateDict();
        Assert.Equal(before.Groups[0], after.Groups[0]);
        Assert.Equal(before.State[0]["momentum_buffer"].ToArray(), after.State[0]["momentum_buffer"].ToArray());
    }

    [Fact]
    public void HyperparametersMustBeFiniteAndInRange()
    {
        static void Throws(string message, Action build) => Assert.Contains(message, Assert.Throws<ArgumentException>(build).Message);
        Throws("SGD: lr must be finite, got Infinity", () => new SGD([P(1f)], lr: double.PositiveInfinity));
        Throws("Adam: eps must be finite, got Infinity", () => new Adam([P(1f)], eps: double.PositiveInfinity));
        Throws("Adagrad: lrDecay must be non-negative, got -1", () => new Adagrad([P(1f)], lrDecay: -1));
        Throws("Adagrad: initialAccumulatorValue must be non-negative, got -0.1", () => new Adagrad([P(1f)], initialAccumulatorValue: -0.1));
        Throws("Adamax: betas must be in [0, 1), got (1, 0.999)", () => new Adamax([P(1f)], betas: (1, 0.999)));
        Throws("RAdam: eps must be non-negative, got -1", () => new RAdam([P(1f)], eps: -1));
        foreach (double d in new[] { double.NaN, -1, 2 })
            Throws($"SGD: dampening must be in [0, 1], got {d}", () => new SGD([P(1f)], lr: 0.1, momentum: 0.9, dampening: d));
        Throws("AdamW: group 'all': weightDecay must be at most 1 when the decay is not scaled by lr", () =>
            new AdamW([P(1f)], weightDecay: 2, decayScaledByLr: false));
        var unscaled = new AdamW([P(1f)], weightDecay: 0.5, decayScaledByLr: false);
        var state = unscaled.StateDict();
        state.Groups[0]["weight_decay"] = 5;
        Throws("AdamW.LoadStateDict: group 0: weightDecay must be at most 1", () => unscaled.LoadStateDict(state));
        Assert.Equal(0.5, unscaled.Groups[0].WeightDecay);
        var opt = new SGD([P(1f)], lr: 0.1);
        Throws("ExponentialLR: gamma must be finite, got Infinity", () => new ExponentialLR(opt, double.PositiveInfinity));
        Throws("OneCycleLR: maxLr must be finite", () => new OneCycleLR(opt, double.PositiveInfinity, 10));
        Throws("EarlyStopping: minDelta must be a finite number, got Infinity", () => new EarlyStopping(minDelta: double.PositiveInfinity));
        Throws("ParameterGroup 'g': a parameter is null", () => new ParameterGroup([P(1f), null!], "g"));
        Throws("perBatch must be false", () => new LrSchedulerCallback(new ReduceLROnPlateau(opt), perBatch: true));
        Throws("ReduceLROnPlateau needs a monitor", () => new LrSchedulerCallback(new ReduceLROnPlateau(opt), monitor: ""));
    }

    [Fact]
    public void ClipGradNormSpreadsANaNNormAsTorchDoes()
    {
        var w = P(0f, 0f, 0f);
        w.Grad = Tensor.FromArray([float.NaN, 3f, 4f], 3);
        Assert.True(double.IsNaN(GradientClipping.ClipGradNorm([w], 1.0)));
        Assert.All(w.Grad.ToArray(), v => Assert.True(float.IsNaN(v)));
        // an infinite maxNorm measures without clipping, as torch's clip_grad_norm_(ps, inf)
        w.Grad = Tensor.FromArray([0f, 3f, 4f], 3);
        Assert.Equal(5, GradientClipping.ClipGradNorm([w], double.PositiveInfinity), 6);
        Assert.Equal([0f, 3f, 4f], w.Grad.ToArray());
    }

    [Fact]
    public void SgdMomentumSwitchedOnMidRunStartsItsBufferAtTheGradient()
    {
        // torch 1.13: SGD([p], lr=0.1, momentum=0, dampening=0.5), three steps with grad 1, then momentum 0.9 and one
        // more: the new buffer is the gradient itself (no dampening), p = 0.6, buffer [1].
        var w = P(1f);
        var sgd = new SGD([w], lr: 0.1, momentum: 0, dampening: 0.5);
        for (int i = 0; i < 3; i++)
        {
            w.Grad = Tensor.FromArray([1f], 1);
            sgd.Step();
        }
        sgd.Groups[0].Momentum = 0.9;
        w.Grad = Tensor.FromArray([1f], 1);
        sgd.Step();
        Assert.Equal(0.6f, w.ToArray()[0], 6);
        Assert.Equal([1f], sgd.StateDict().State[0]["momentum_buffer"].ToArray());
    }

    [Fact]
    public void AGroupAddedLaterTakesTheDefaultsAndStartsItsOwnState()
    {
        // torch 1.13: w = [1, -2] alone for two steps, then add_param_group({'params': [b], 'lr': 0.05}) with b = [0.5];
        // step i (0..3) has grad w = [0.3(i + 1), -0.2], b = [0.4 - 0.1i].
        static (float[] W, float[] B, Optimizer Opt) Run(Func<Parameter[], Optimizer> make)
        {
            var w = P(1f, -2f);
            var b = P(0.5f);
            var opt = make([w]);
            for (int i = 0; i < 4; i++)
            {
                if (i == 2) opt.AddParamGroup(new ParameterGroup([b], "new", lr: 0.05));
                w.Grad = Tensor.FromArray([0.3f * (i + 1), -0.2f], 2);
                b.Grad = Tensor.FromArray([0.4f - 0.1f * i], 1);
                opt.Step();
            }
            return (w.ToArray(), b.ToArray(), opt);
        }
        var (w, b, sgd) = Run(ps => new SGD(ps, lr: 0.1, momentum: 0.9, weightDecay: 0.1));
        Assert.Equal([0.359982252f, -1.64354527f], w, (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(0.468812525f, b[0], 6);
        Assert.Equal((0.05, 0.9, 0.1), (sgd.Groups[1].Lr!.Value, sgd.Groups[1].Momentum!.Value, sgd.Groups[1].WeightDecay!.Value));

        (w, b, var adam) = Run(ps => new Adam(ps, lr: 0.1, betas: (0.8, 0.9), weightDecay: 0.1));
        Assert.Equal([0.605613351f, -1.60071886f], w, (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(0.402480274f, b[0], 6);
        Assert.Equal((0.8, 0.9), adam.Groups[1].Betas);
        Assert.Equal(2, adam.StateDict().State[1]["step"].Item());
    }

    [Fact]
    public void AddParamGroupRefusesAParameterItAlreadyHasAndBadHyperparameters()
    {
        var w = P(1f, 2f);
        var sgd = new SGD([w], lr: 0.1, momentum: 0.9, nesterov: true);
        static void Throws(string message, Action act) => Assert.Contains(message, Assert.Throws<ArgumentException>(act).Message);
        Throws("SGD.AddParamGroup: a parameter of shape [2] appears in more than one group (group 'again')", () => sgd.AddParamGroup(new ParameterGroup([w], "again")));
        var b = P(0f);
        Throws("SGD.AddParamGroup: a parameter of shape [1] appears twice in group 'twice'", () => sgd.AddParamGroup(new ParameterGroup([b, b], "twice")));
        Throws("SGD: lr of group 'neg' must be non-negative, got -1", () => sgd.AddParamGroup(new ParameterGroup([b], "neg", lr: -1)));
        Throws("SGD.AddParamGroup: group 'flat': Nesterov momentum requires a positive momentum and zero dampening, got momentum 0",
            () => sgd.AddParamGroup(new ParameterGroup([b], "flat", momentum: 0)));
        Throws("Adam: betas must be in [0, 1), got (0.9, 1)", () => new Adam([w]).AddParamGroup(new ParameterGroup([b], betas: (0.9, 1.0))));
        Assert.Single(sgd.Groups);
        Throws("SGD: a parameter of shape [1] appears twice in group 'all'", () => new SGD([b, b], lr: 0.1));

        // A scheduler built before takes the new group on with its lr as the base (StepLR decays it as torch's does).
        var step = new StepLR(sgd, stepSize: 1, gamma: 0.5);
        sgd.AddParamGroup(new ParameterGroup([b], "late", lr: 0.04));
        step.Step();
        Assert.Equal([0.05, 0.02], step.LastLr);
        Assert.Equal(0.04, step.BaseLrs[1]);
        var cosine = new CosineAnnealingWarmRestarts(sgd, 2);
        var c = P(0f);
        sgd.AddParamGroup(new ParameterGroup([c], "cos", lr: 0.3));
        cosine.Step();
        cosine.Step();
        Assert.Equal(0.3, cosine.LastLr[2], 12);
    }
}
