using System.Text.Json;
using Occam.NN;
using Occam.Optim;
using Occam.Optim.Schedulers;
using Occam.Tests.Support;

namespace Occam.Tests.Optim;

/// <summary>Six-step (RAdam: ten-step) trajectories of every optimizer against PyTorch 1.13 (tests/fixtures/optim.json, made by
/// tools/fixtures/torch_optim_fixtures.py): two parameter groups, weight decay, and a StepLR scheduler.</summary>
public class OptimizerFixtureTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Fixtures.Cases("optim.json"));

    public static TheoryData<string> Names() => [.. Cases.Value.Keys];

    static float[] F(JsonElement e) => Fixtures.Floats(e);

    static Optimizer Make(string name, IEnumerable<ParameterGroup> groups, double lr, JsonElement k)
    {
        double D(string key, double fallback) => k.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        bool B(string key) => k.TryGetProperty(key, out var v) && v.GetBoolean();
        (double, double)? betas = k.TryGetProperty("betas", out var bs) ? (bs[0].GetDouble(), bs[1].GetDouble()) : null;
        bool maximize = B("maximize");
        return name.Split('_')[0] switch
        {
            "sgd" => new SGD(groups, lr, D("momentum", 0), D("dampening", 0), D("weight_decay", 0), B("nesterov")) { Maximize = maximize },
            "adam" => new Adam(groups, lr, betas, 1e-8, D("weight_decay", 0), B("amsgrad")) { Maximize = maximize },
            "adamw" => new AdamW(groups, lr, betas, 1e-8, D("weight_decay", 0.01), B("amsgrad")) { Maximize = maximize },
            "rmsprop" => new RMSprop(groups, lr, D("alpha", 0.99), 1e-8, D("weight_decay", 0), D("momentum", 0), B("centered")) { Maximize = maximize },
            "adagrad" => new Adagrad(groups, lr, D("lr_decay", 0), D("weight_decay", 0), D("initial_accumulator_value", 0)) { Maximize = maximize },
            "adamax" => new Adamax(groups, lr, betas, weightDecay: D("weight_decay", 0)) { Maximize = maximize },
            "radam" => new RAdam(groups, lr, betas, weightDecay: D("weight_decay", 0)) { Maximize = maximize },
            "nadam" => new NAdam(groups, lr, betas, weightDecay: D("weight_decay", 0), momentumDecay: D("momentum_decay", 4e-3)) { Maximize = maximize },
            _ => throw new NotSupportedException(name),
        };
    }

    [Fact]
    public void MaximizeLeavesTheGradientAsItWas()
    {
        var w = new Parameter(Tensor.FromArray([1f, -2f], 2));
        w.Grad = Tensor.FromArray([0.5f, 0.25f], 2);
        var opt = new SGD([w], lr: 0.1) { Maximize = true };
        opt.Step();
        Assert.Equal([1.05f, -1.975f], w.ToArray());   // w + lr·g
        Assert.Equal([0.5f, 0.25f], w.Grad.ToArray());
    }

    [Theory, MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        double lr = c.GetProperty("lr").GetDouble();
        var w = new Parameter(Tensor.FromArray(F(c.GetProperty("weight0")), 3, 4));
        var b = new Parameter(Tensor.FromArray(F(c.GetProperty("bias0")), 3));
        var opt = Make(name, [new ParameterGroup([w], "weights"), new ParameterGroup([b], "biases", lr: lr * 0.5, weightDecay: 0)], lr, c.GetProperty("kwargs"));
        var sched = c.GetProperty("scheduler").GetBoolean() ? new StepLR(opt, stepSize: 2, gamma: 0.5) : null;
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        var trajectory = c.GetProperty("trajectory").EnumerateArray().ToArray();
        for (int s = 0; s < grads.Length; s++)
        {
            w.Grad = Tensor.FromArray(F(grads[s].GetProperty("weight")), 3, 4);
            b.Grad = Tensor.FromArray(F(grads[s].GetProperty("bias")), 3);
            opt.Step();
            sched?.Step();
            GradCheck.Close(F(trajectory[s].GetProperty("weight")), w.ToArray(), 2e-6f, 2e-5f, $"{name} step {s + 1} weight");
            GradCheck.Close(F(trajectory[s].GetProperty("bias")), b.ToArray(), 2e-6f, 2e-5f, $"{name} step {s + 1} bias");
        }
    }
}
