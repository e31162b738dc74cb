using System.Text.Json;
using Occam.Tests.Support;

namespace Occam.Tests.Ops;

/// <summary>Every op against PyTorch 1.13: outputs and input gradients from tests/fixtures/ops.json
/// (written by tools/fixtures/torch_fixtures.py).</summary>
public class TorchFixtureTests
{
    static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Fixtures.Cases("ops.json"));

    public static TheoryData<string> Names() => Fixtures.Names(Cases.Value.Keys);

    static Tensor Read(JsonElement t) => Fixtures.Tensor(t);

    static int[] Ints(JsonElement e) => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(v => v.GetInt32()).ToArray() : [e.GetInt32()];
    static (int, int) Pair(JsonElement args, string key) { var v = Ints(args.GetProperty(key)); return (v[0], v.Length > 1 ? v[1] : v[0]); }
    static bool Ceil(JsonElement args) => args.TryGetProperty("ceil_mode", out var v) && v.GetBoolean();
    static float F(JsonElement args, string key) => args.GetProperty(key).GetSingle();
    static bool Has(JsonElement args, string key) => Fixtures.Has(args, key);
    static int[]? Dims(JsonElement args) => Has(args, "dim") ? Ints(args.GetProperty("dim")) : null;
    static bool Keep(JsonElement args) => Has(args, "keepdim") && args.GetProperty("keepdim").GetBoolean();

    // inputs: indices, weight, then offsets and per-sample weights when the args say so (as the fixture script's _embedding_bag)
    static Tensor EmbeddingBag(Tensor[] x, JsonElement a)
    {
        bool offsets = a.GetProperty("offsets").GetBoolean(), weighted = a.GetProperty("per_sample_weights").GetBoolean();
        var mode = Enum.Parse<EmbeddingBagMode>(a.GetProperty("mode").GetString()!, ignoreCase: true);
        return Functional.EmbeddingBag(x[0], x[1], offsets ? x[2] : null, mode, Has(a, "padding_idx") ? a.GetProperty("padding_idx").GetInt32() : null,
            weighted ? x[offsets ? 3 : 2] : null, includeLastOffset: a.GetProperty("include_last_offset").GetBoolean());
    }

    static Tensor Apply(string op, Tensor[] x, JsonElement a) => op switch
    {
        "add" => x[0] + x[1],
        "sub" => x[0] - x[1],
        "mul" => x[0] * x[1],
        "div" => x[0] / x[1],
        "maximum" => x[0].Maximum(x[1]),
        "minimum" => x[0].Minimum(x[1]),
        "neg" => -x[0],
        "exp" => x[0].Exp(),
        "log" => x[0].Log(),
        "sqrt" => x[0].Sqrt(),
        "abs" => x[0].Abs(),
        "sign" => x[0].Sign(),
        "pow" => x[0].Pow(F(a, "exponent")),
        "clamp" => x[0].Clamp(Has(a, "min") ? F(a, "min") : null, Has(a, "max") ? F(a, "max") : null),
        "relu" => x[0].Relu(),
        "leaky_relu" => x[0].LeakyRelu(F(a, "negative_slope")),
        "elu" => x[0].Elu(F(a, "alpha")),
        "selu" => x[0].Selu(),
        "gelu" => x[0].Gelu(a.GetProperty("approximate").GetString() == "tanh"),
        "sigmoid" => x[0].Sigmoid(),
        "tanh" => x[0].Tanh(),
        "softplus" => x[0].Softplus(F(a, "beta"), F(a, "threshold")),
        "where" => Tensor.Where(x[0], x[1], x[2]),
        "masked_fill" => x[0].MaskedFill(x[1], F(a, "value")),
        "sum" => x[0].Sum(Dims(a), Keep(a)),
        "mean" => x[0].Mean(Dims(a), Keep(a)),
        "var" => x[0].Var(Dims(a), a.GetProperty("unbiased").GetBoolean(), Keep(a)),
        "max" => Has(a, "dim") ? x[0].Max(a.GetProperty("dim").GetInt32(), Keep(a)) : x[0].Max(),
        "argmax" => x[0].Argmax(Has(a, "dim") ? a.GetProperty("dim").GetInt32() : null, Keep(a)),
        "std" => x[0].Std(Dims(a), a.GetProperty("unbiased").GetBoolean(), Keep(a)),
        "logsumexp" => x[0].LogSumExp(Dims(a), Keep(a)),
        "min" => Has(a, "dim") ? x[0].Min(a.GetProperty("dim").GetInt32(), Keep(a)) : x[0].Min(),
        "argmin" => x[0].Argmin(Has(a, "dim") ? a.GetProperty("dim").GetInt32() : null, Keep(a)),
        "stack" => Tensor.Stack(x, a.GetProperty("dim").GetInt32()),
        "matmul" => x[0].MatMul(x[1]),
        "linear" => Functional.Linear(x[0], x[1], x.Length > 2 ? x[2] : null),
        "softmax" => x[0].Softmax(a.GetProperty("dim").GetInt32()),
        "log_softmax" => x[0].LogSoftmax(a.GetProperty("dim").GetInt32()),
        "conv2d" => Functional.Conv2d(x[0], x[1], x.Length > 2 ? x[2] : null, Pair(a, "stride"),
            a.GetProperty("padding").ValueKind == JsonValueKind.String ? ConvPadding.Same : Pair(a, "padding"), Pair(a, "dilation"), a.GetProperty("groups").GetInt32(),
            a.TryGetProperty("padding_mode", out var mode) ? Enum.Parse<PaddingMode>(mode.GetString()!, ignoreCase: true) : PaddingMode.Constant),
        "max_pool2d" => Functional.MaxPool2d(x[0], Pair(a, "kernel_size"), Pair(a, "stride"), Pair(a, "padding"), Ceil(a)),
        "avg_pool2d" => Functional.AvgPool2d(x[0], Pair(a, "kernel_size"), Pair(a, "stride"), Pair(a, "padding"), a.GetProperty("count_include_pad").GetBoolean(), Ceil(a)),
        "cat" => Tensor.Cat(x, a.GetProperty("dim").GetInt32()),
        "one_hot" => Tensor.OneHot(x[0], a.GetProperty("num_classes").GetInt32()),
        "adaptive_avg_pool2d" => Functional.AdaptiveAvgPool2d(x[0], Pair(a, "output_size")),
        "embedding" => Functional.Embedding(x[0], x[1], Has(a, "padding_idx") ? a.GetProperty("padding_idx").GetInt32() : null),
        "embedding_bag" => EmbeddingBag(x, a),
        "transpose" => x[0].Transpose(a.GetProperty("dim0").GetInt32(), a.GetProperty("dim1").GetInt32()),
        "permute" => x[0].Permute(Ints(a.GetProperty("dims"))),
        "reshape" => x[0].Reshape(Ints(a.GetProperty("shape"))),
        "orthogonal_regularizer" => new Occam.Regularizers.Orthogonal(a.GetProperty("factor").GetDouble(),
            a.GetProperty("mode").GetString() == "rows" ? Occam.Regularizers.OrthogonalMode.Rows : Occam.Regularizers.OrthogonalMode.Columns).Penalty(x[0]),
        "pad" => x[0].Pad(Ints(a.GetProperty("pad")), Enum.Parse<PaddingMode>(a.GetProperty("mode").GetString()!, ignoreCase: true), F(a, "value")),
        _ => throw new NotSupportedException(op),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void MatchesPyTorch(string name)
    {
        var c = Cases.Value[name];
        var inputsJson = c.GetProperty("inputs").EnumerateArray().ToArray();
        var inputs = inputsJson.Select(Read).ToArray();
        for (int i = 0; i < inputs.Length; i++)
            inputs[i].RequiresGrad = inputsJson[i].GetProperty("requires_grad").GetBoolean();

        var y = Apply(c.GetProperty("op").GetString()!, inputs, c.GetProperty("args"));
        var expected = Read(c.GetProperty("output"));
        Assert.Equal(expected.Shape, y.Shape);
        GradCheck.Close(expected.ToArray(), y.ToArray(), 2e-5f, 2e-4f, name + " output");

        if (!Has(c, "grad_output")) return;
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
