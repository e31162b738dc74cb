using System.Text.Json;
using Occam.NN;
using Occam.Tests.Support;

namespace Occam.Tests.NN.Normalization;

/// <summary>Every normalization layer against PyTorch 1.13 in training and evaluation mode: outputs,
/// gradients of input, weight and bias, running statistics after two training steps and the evaluation
/// output after them, from tests/fixtures/norm.json (written by tools/fixtures/torch_norm_fixtures.py).</summary>
public class NormFixtureTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Fixtures.Cases("norm.json"));

    public static TheoryData<string> Names() => Fixtures.Names(Cases.Value.Keys);

    static bool Has(JsonElement e, string key) => Fixtures.Has(e, key);

    static Tensor? Read(JsonElement c, string key) => Has(c, key) ? Fixtures.Tensor(c.GetProperty(key)) : null;

    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();
    static float? OptF(JsonElement a, string key) => Has(a, key) ? a.GetProperty(key).GetSingle() : null;
    static bool B(JsonElement a, string key) => a.GetProperty(key).GetBoolean();
    static int I(JsonElement a, string key) => a.GetProperty(key).GetInt32();

    static Module Build(string layer, JsonElement a) => layer switch
    {
        "BatchNorm1d" => new BatchNorm1d(I(a, "num_features"), OptF(a, "eps")!.Value, OptF(a, "momentum"), B(a, "affine"), B(a, "track_running_stats")),
        "BatchNorm2d" => new BatchNorm2d(I(a, "num_features"), OptF(a, "eps")!.Value, OptF(a, "momentum"), B(a, "affine"), B(a, "track_running_stats")),
        "BatchNorm3d" => new BatchNorm3d(I(a, "num_features"), OptF(a, "eps")!.Value, OptF(a, "momentum"), B(a, "affine"), B(a, "track_running_stats")),
        "InstanceNorm2d" => new InstanceNorm2d(I(a, "num_features"), OptF(a, "eps")!.Value, OptF(a, "momentum")!.Value, B(a, "affine"), B(a, "track_running_stats")),
        "LayerNorm" => new LayerNorm(Ints(a.GetProperty("normalized_shape")), OptF(a, "eps")!.Value, B(a, "elementwise_affine"), B(a, "bias")),
        "GroupNorm" => new GroupNorm(I(a, "num_groups"), I(a, "num_channels"), OptF(a, "eps")!.Value, B(a, "affine")),
        "RMSNorm" => new RMSNorm(Ints(a.GetProperty("normalized_shape")), OptF(a, "eps"), B(a, "elementwise_affine")),
        _ => throw new NotSupportedException(layer),
    };

    static void Close(Tensor? expected, Tensor? actual, string what, float atol = 2e-5f, float rtol = 2e-4f)
    {
        Assert.True((expected == null) == (actual == null), $"{what}: expected {(expected == null ? "none" : "a tensor")}");
        if (expected == null) return;
        Assert.Equal(expected.Shape, actual!.Shape);
        GradCheck.Close(expected.ToArray(), actual.ToArray(), atol, rtol, what);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var module = Build(c.GetProperty("layer").GetString()!, c.GetProperty("args"));
        var state = module.StateDict();
        foreach (var (key, fixture) in new[] { ("weight", "weight"), ("bias", "bias"), ("running_mean", "running_mean_init"), ("running_var", "running_var_init") })
        {
            var value = Read(c, fixture);
            Assert.True(state.ContainsKey(key) == (value != null), $"{name}: {key} {(value == null ? "unexpected" : "missing")}");
            if (value != null) state[key].CopyFrom(value);
        }
        bool training = c.GetProperty("mode").GetString() == "train";
        module.Train(training);

        var x = Read(c, "input")!;
        x.RequiresGrad = true;
        var y = module.Forward(x);
        Close(Read(c, "output"), y, "output");
        y.Backward(Read(c, "grad_output"));
        Close(Read(c, "grad_input"), x.Grad, "grad_input", 1e-4f, 1e-3f);
        Close(Read(c, "grad_weight"), state.GetValueOrDefault("weight")?.Grad, "grad_weight", 1e-4f, 1e-3f);
        Close(Read(c, "grad_bias"), state.GetValueOrDefault("bias")?.Grad, "grad_bias", 1e-4f, 1e-3f);
        if (!training) return;

        using (Autograd.NoGrad()) module.Forward(Read(c, "input2")!);
        Close(Read(c, "running_mean"), state.GetValueOrDefault("running_mean"), "running_mean");
        Close(Read(c, "running_var"), state.GetValueOrDefault("running_var"), "running_var");
        if (Has(c, "num_batches_tracked"))
            Assert.Equal(c.GetProperty("num_batches_tracked").GetSingle(), state["num_batches_tracked"].Item());
        else
            Assert.False(state.ContainsKey("num_batches_tracked"));
        module.Eval();
        using (Autograd.NoGrad()) Close(Read(c, "eval_output"), module.Forward(Read(c, "input")!), "eval_output");
    }
}
