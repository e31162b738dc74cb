using System.Text.Json;
using Occam.Losses;
using Occam.Tests.Support;

namespace Occam.Tests.Losses;

/// <summary>Every loss against PyTorch 1.13: outputs and gradients of input (and of soft targets) from
/// tests/fixtures/losses.json (written by tools/fixtures/torch_loss_fixtures.py).</summary>
public class LossFixtureTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Fixtures.Cases("losses.json"));

    public static TheoryData<string> Names() => Fixtures.Names(Cases.Value.Keys);

    static Tensor Read(JsonElement t) => Fixtures.Tensor(t);

    static bool Has(JsonElement args, string key) => Fixtures.Has(args, key);
    static float F(JsonElement a, string key) => a.GetProperty(key).GetSingle();
    // a weight given as a (possibly nested) list, [C] or [C, 1, 1]
    static Tensor? Vector(JsonElement a, string key)
    {
        if (!Has(a, key)) return null;
        var shape = new List<int>();
        for (var e = a.GetProperty(key); e.ValueKind == JsonValueKind.Array; e = e[0]) shape.Add(e.GetArrayLength());
        var values = new List<float>();
        void Flatten(JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.Array) values.Add(e.GetSingle());
            else foreach (var v in e.EnumerateArray()) Flatten(v);
        }
        Flatten(a.GetProperty(key));
        return Tensor.FromArray(values.ToArray(), shape.ToArray());
    }

    static Reduction ReductionOf(JsonElement a) => a.GetProperty("reduction").GetString() switch
    {
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "none" => Reduction.None,
        "batchmean" => Reduction.BatchMean,
        var r => throw new NotSupportedException(r),
    };

    static ILoss Create(string op, JsonElement a)
    {
        var r = ReductionOf(a);
        int ignore = Has(a, "ignore_index") ? a.GetProperty("ignore_index").GetInt32() : CrossEntropyLoss.DefaultIgnoreIndex; // torch's default
        return op switch
        {
            "cross_entropy" => new CrossEntropyLoss(Has(a, "label_smoothing") ? F(a, "label_smoothing") : 0, r, ignore, Vector(a, "weight")),
            "nll_loss" => new NLLLoss(r, ignore, Vector(a, "weight")),
            "bce_with_logits" => new BCEWithLogitsLoss(r, Vector(a, "pos_weight"), weight: Vector(a, "weight")),
            "bce" => new BCELoss(r, Vector(a, "weight")),
            "mse" => new MSELoss(r),
            "l1" => new L1Loss(r),
            "huber" => new HuberLoss(F(a, "delta"), r),
            "smooth_l1" => new SmoothL1Loss(F(a, "beta"), r),
            "kl_div" => new KLDivLoss(r, a.GetProperty("log_target").GetBoolean()),
            _ => throw new NotSupportedException(op),
        };
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var inputsJson = c.GetProperty("inputs").EnumerateArray().ToArray();
        var inputs = inputsJson.Select(Read).ToArray();
        for (int i = 0; i < inputs.Length; i++)
            inputs[i].RequiresGrad = inputsJson[i].GetProperty("requires_grad").GetBoolean();

        var y = Create(c.GetProperty("op").GetString()!, c.GetProperty("args")).Forward(inputs[0], inputs[1]);
        var expected = Read(c.GetProperty("output"));
        Assert.Equal(expected.Shape, y.Shape);
        GradCheck.Close(expected.ToArray(), y.ToArray(), 2e-5f, 2e-4f, name + " output");

        y.Backward(Read(c.GetProperty("grad_output")));
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (grads[i].ValueKind == JsonValueKind.Null) continue;
            var g = Read(grads[i]);
            Assert.NotNull(inputs[i].Grad);
            Assert.Equal(g.Shape, inputs[i].Grad!.Shape);
            GradCheck.Close(g.ToArray(), inputs[i].Grad!.ToArray(), 5e-5f, 5e-4f, $"{name} grad {i}");
        }
    }
}
