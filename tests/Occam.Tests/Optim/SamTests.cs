using System.Text.Json;
using Occam.Data;
using Occam.Losses;
using Occam.NN;
using Occam.Optim;
using Occam.Tests.Support;
using Occam.Training;

namespace Occam.Tests.Optim;

/// <summary>Sharpness-aware minimization against the reference rule in PyTorch 1.13 (tests/fixtures/sam.json, made
/// by tools/fixtures/torch_sam_fixtures.py), its place in the Trainer, and its errors.</summary>
public class SamTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Fixtures.Cases("sam.json"));

    public static TheoryData<string> Names() => [.. Cases.Value.Keys];

    static Optimizer Make(string name, IEnumerable<Parameter> parameters, double lr, JsonElement k)
    {
        double D(string key, double fallback) => k.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        return name.Split('_')[0] switch
        {
            "sgd" => new SGD(parameters, lr, D("momentum", 0), weightDecay: D("weight_decay", 0)),
            "adam" => new Adam(parameters, lr, weightDecay: D("weight_decay", 0)),
            "adamw" => new AdamW(parameters, lr, weightDecay: D("weight_decay", 0.01)),
            _ => throw new NotSupportedException(name),
        };
    }

    [Theory, MemberData(nameof(Names))]
    public void MatchesTheReferenceRule(string name)
    {
        var c = Cases.Value[name];
        var layer = new Linear(4, 3);
        layer.Weight.CopyFrom(Tensor.FromArray(Fixtures.Floats(c.GetProperty("weight0")), 3, 4));
        layer.Bias!.CopyFrom(Tensor.FromArray(Fixtures.Floats(c.GetProperty("bias0")), 3));
        var x = Tensor.FromArray(Fixtures.Floats(c.GetProperty("x")), 6, 4);
        var y = Tensor.FromArray(c.GetProperty("y").EnumerateArray().Select(v => (float)v.GetInt32()).ToArray(), 6);
        var sam = new Sam(Make(name, layer.Parameters(), c.GetProperty("lr").GetDouble(), c.GetProperty("kwargs")),
            c.GetProperty("rho").GetDouble(), c.GetProperty("adaptive").GetBoolean());
        var loss = new CrossEntropyLoss();
        int step = 0;
        foreach (var expected in c.GetProperty("trajectory").EnumerateArray())
        {
            step++;
            sam.Optimizer.ZeroGrad();
            loss.Forward(layer.Forward(x), y).Backward();
            sam.Step(() => loss.Forward(layer.Forward(x), y));
            GradCheck.Close(Fixtures.Floats(expected.GetProperty("weight")), layer.Weight.ToArray(), 2e-6f, 2e-5f, $"{name} step {step} weight");
            GradCheck.Close(Fixtures.Floats(expected.GetProperty("bias")), layer.Bias.ToArray(), 2e-6f, 2e-5f, $"{name} step {step} bias");
        }
    }

    [Fact]
    public void FirstStepMovesAlongTheGradientByRhoAndSecondStepRestoresBeforeTheStep()
    {
        var w = new Parameter(Tensor.FromArray([1f, 2f], 2));
        var sam = new Sam(new SGD([w], lr: 0.1), rho: 0.5);
        w.Grad = Tensor.FromArray([3f, 4f], 2);
        Assert.Equal(5, sam.FirstStep(), 6);
        GradCheck.Close([1.3f, 2.4f], w.ToArray(), 1e-6f, 1e-6f, "θ + ρ·g/‖g‖");
        Assert.Equal([0f, 0f], w.Grad!.ToArray());                 // zeroed for the second backward
        w.Grad = Tensor.FromArray([1f, -1f], 2);                     // the gradient at θ + e
        sam.SecondStep();
        GradCheck.Close([0.9f, 2.1f], w.ToArray(), 1e-6f, 1e-6f, "θ − lr·g'");

        var adaptive = new Sam(new SGD([w], lr: 0.1), rho: 1, adaptive: true);
        w.CopyFrom(Tensor.FromArray([2f, -1f], 2));
        w.Grad = Tensor.FromArray([1f, 2f], 2);
        Assert.Equal(Math.Sqrt(8), adaptive.FirstStep(), 6);       // ‖θ·g‖ = ‖(2, −2)‖
        GradCheck.Close([2f + 4f / MathF.Sqrt(8), -1f + 2f / MathF.Sqrt(8)], w.ToArray(), 1e-6f, 1e-6f, "θ + ρ·θ²·g/‖θ·g‖");
        adaptive.Restore();
        Assert.Equal([2f, -1f], w.ToArray());
    }

    [Fact]
    public void MaximizeMovesAgainstTheGradient()
    {
        var w = new Parameter(Tensor.FromArray([0f], 1));
        var sam = new Sam(new SGD([w], lr: 0.1) { Maximize = true }, rho: 0.5);
        w.Grad = Tensor.FromArray([2f], 1);
        sam.FirstStep();
        Assert.Equal([-0.5f], w.ToArray());
    }

    [Fact]
    public void FrozenParametersAndParametersWithoutGradientStayPut()
    {
        var a = new Parameter(Tensor.FromArray([1f], 1));
        var frozen = new Parameter(Tensor.FromArray([1f], 1)) { Grad = Tensor.FromArray([5f], 1) };
        frozen.RequiresGrad = false;
        var none = new Parameter(Tensor.FromArray([1f], 1));
        var sam = new Sam(new SGD([a, frozen, none], lr: 0.1), rho: 1);
        a.Grad = Tensor.FromArray([2f], 1);
        Assert.Equal(2, sam.FirstStep(), 6);
        Assert.Equal([2f], a.ToArray());
        Assert.Equal([1f], frozen.ToArray());
        Assert.Equal([1f], none.ToArray());
    }

    [Fact]
    public void BadUseIsAnErrorNamingSam()
    {
        var w = new Parameter(Tensor.FromArray([1f], 1));
        var opt = new SGD([w], lr: 0.1);
        foreach (double rho in new[] { 0, -0.1, double.NaN, double.PositiveInfinity })
            Assert.Contains($"Sam: rho must be positive and finite, got {rho}", Assert.Throws<ArgumentException>(() => new Sam(opt, rho)).Message);
        var sam = new Sam(opt);
        Assert.Contains("Sam.SecondStep", Assert.Throws<InvalidOperationException>(sam.SecondStep).Message);
        w.Grad = Tensor.FromArray([1f], 1);
        sam.FirstStep();
        Assert.Contains("Sam.FirstStep", Assert.Throws<InvalidOperationException>(() => sam.FirstStep()).Message);
        var model = new Linear(1, 1);
        Assert.Contains("another optimizer", Assert.Throws<ArgumentException>(() =>
            new Trainer(model, new SGD(model.Parameters(), lr: 0.1), new MSELoss(), sam: sam)).Message);
    }

    [Fact]
    public void AFailedSecondPassLeavesTheWeightsAsTheyWereAndDoesNotStep()
    {
        var w = new Parameter(Tensor.FromArray([1f, 2f], 2));
        var sam = new Sam(new SGD([w], lr: 0.1), rho: 0.5);
        w.Grad = Tensor.FromArray([3f, 4f], 2);
        Assert.Throws<InvalidOperationException>(() => sam.Step(() => throw new InvalidOperationException("boom")));
        Assert.Equal([1f, 2f], w.ToArray());
        w.Grad = Tensor.FromArray([3f, 4f], 2);
        sam.FirstStep(); // usable again
    }

    static (Sequential Model, Batch[] Batches) Problem(ulong seed)
    {
        var g = new Generator(seed);
        var model = new Sequential(new Linear(5, 8, generator: g), new BatchNorm1d(8), new ReLU(), new Linear(8, 3, generator: g));
        var data = new Generator(99);
        var batches = Enumerable.Range(0, 3).Select(_ => new Batch(Tensor.RandN([16, 5], data),
            Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (float)(i % 3)).ToArray(), 16))).ToArray();
        return (model, batches);
    }

    [Fact]
    public void TheTrainerTakesTheSameStepsAsAHandWrittenLoopAndMovesRunningStatisticsOnce()
    {
        var (model, batches) = Problem(3);
        var opt = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        var trainer = new Trainer(model, opt, new CrossEntropyLoss(), sam: new Sam(opt, rho: 0.05));
        var history = trainer.Fit(batches, epochs: 2);

        var (manual, _) = Problem(3);
        var manualOpt = new SGD(manual.Parameters(), lr: 0.1, momentum: 0.9);
        var sam = new Sam(manualOpt, rho: 0.05);
        var loss = new CrossEntropyLoss();
        double first = 0;
        for (int epoch = 0; epoch < 2; epoch++)
            foreach (var batch in batches)
            {
                manual.Train();
                manualOpt.ZeroGrad();
                var l = loss.Forward(manual.Forward(batch.Inputs), batch.Targets);
                if (epoch == 0 && first == 0) first = l.Item();
                l.Backward();
                var buffers = manual.NamedBuffers().Select(b => (b.Buffer, Copy: b.Buffer.Clone())).ToList();
                sam.FirstStep();
                loss.Forward(manual.Forward(batch.Inputs), batch.Targets).Backward();
                foreach (var (buffer, copy) in buffers) buffer.CopyFrom(copy);   // the second pass leaves no trace
                sam.SecondStep();
            }
        foreach (var ((name, p), (_, q)) in model.NamedParameters().Zip(manual.NamedParameters()))
            Assert.Equal(q.ToArray(), p.ToArray());
        foreach (var ((name, b), (_, c)) in model.NamedBuffers().Zip(manual.NamedBuffers()))
            Assert.Equal(c.ToArray(), b.ToArray());
        Assert.Equal([6f], ((BatchNorm1d)model[1]).NumBatchesTracked!.ToArray()); // 3 batches × 2 epochs, once each
        Assert.True(history.Epochs[0]["loss"] > 0);
    }

    [Fact]
    public void SamSettlesWhereTheValleyIsFlatWherePlainDescentStopsWhereItIsSharp()
    {
        // f(a, b) = ½(a·b − 1)²: every point of the hyperbola a·b = 1 is a minimum, with sharpness (the Hessian's
        // largest eigenvalue) a² + b². From the unbalanced (3, 0.1), gradient descent stops at the nearest minimum,
        // (3.01, 0.33), sharpness 9.2; SAM slides along the valley to the flattest one, (1, 1), sharpness 2.
        static Tensor F(Parameter w)
        {
            var sum = w.Sum();
            var r = (sum * sum - (w * w).Sum()) * 0.5f - 1f; // a·b − 1
            return (r * r * 0.5f).Sum();
        }
        float[] Train(bool sharpnessAware)
        {
            var w = new Parameter(Tensor.FromArray([3f, 0.1f], 2));
            var opt = new SGD([w], lr: 0.05);
            var sam = new Sam(opt, rho: 0.2);
            for (int i = 0; i < 2000; i++)
            {
                opt.ZeroGrad();
                F(w).Backward();
                if (sharpnessAware) sam.Step(() => F(w));
                else opt.Step();
            }
            return w.ToArray();
        }
        var plain = Train(false);
        var flat = Train(true);
        Assert.Equal(1f, plain[0] * plain[1], 3);
        Assert.Equal(1f, flat[0] * flat[1], 1);
        Assert.True(plain[0] * plain[0] + plain[1] * plain[1] > 9, $"plain descent: ({plain[0]}, {plain[1]})");
        Assert.True(flat[0] * flat[0] + flat[1] * flat[1] < 2.1, $"SAM: ({flat[0]}, {flat[1]})");
    }
}
