using System.Text.Json;
using Occam.IO;
using Occam.NN;
using Occam.Optim;
using Occam.Tests.Support;

namespace Occam.Tests.IO;

public sealed class CheckpointTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("occam-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string PathOf(string name) => Path.Combine(_dir, name);

    static Sequential Mlp(ulong seed)
    {
        var gen = new Generator(seed);
        return new Sequential(new Linear(4, 8, generator: gen), new ReLU(), new Linear(8, 3, generator: gen));
    }

    static readonly Tensor X = Tensor.RandN([6, 4], new Generator(11));
    static readonly Tensor Y = Tensor.RandN([6, 3], new Generator(12));

    static void TrainStep(Module model, Optimizer optimizer)
    {
        optimizer.ZeroGrad();
        var diff = model.Forward(X) - Y;
        (diff * diff).Mean().Backward();
        optimizer.Step();
    }

    static float[][] Weights(Module model) => model.Parameters().Select(p => p.ToArray()).ToArray();

    [Fact]
    public void ResumingFromACheckpointGivesTheUninterruptedRun()
    {
        var model = Mlp(1);
        var sgd = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-3);
        for (int i = 0; i < 3; i++) TrainStep(model, sgd);
        sgd.Groups[0].Lr = 0.05; // as a scheduler would
        string path = PathOf("run.safetensors");
        Checkpoint.Save(path, model, sgd, new Dictionary<string, string> { ["epoch"] = "3" });
        TrainStep(model, sgd);

        var resumed = Mlp(2);
        var resumedSgd = new SGD(resumed.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-3);
        var (metadata, missing, unexpected) = Checkpoint.Load(path, resumed, resumedSgd);
        Assert.Equal(new Dictionary<string, string> { ["epoch"] = "3" }, metadata);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Equal(0.05, resumedSgd.Groups[0].Lr);
        TrainStep(resumed, resumedSgd);

        Assert.Equal(Weights(model), Weights(resumed));
    }

    [Fact]
    public void TheFileHoldsTheStateDictUnderItsDottedNames()
    {
        var model = Mlp(1);
        var sgd = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        TrainStep(model, sgd);
        string path = PathOf("names.safetensors");
        Checkpoint.Save(path, model, sgd);
        var (tensors, metadata) = Safetensors.Load(path);
        Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight",
            "optimizer.state.0.momentum_buffer", "optimizer.state.0.step", "optimizer.state.1.momentum_buffer", "optimizer.state.1.step",
            "optimizer.state.2.momentum_buffer", "optimizer.state.2.step", "optimizer.state.3.momentum_buffer", "optimizer.state.3.step"],
            tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("SGD", JsonDocument.Parse(metadata[Checkpoint.OptimizerKey]).RootElement.GetProperty("type").GetString());

        // Without an optimizer the optimizer's tensors are not the model's business.
        var plain = Mlp(3);
        Checkpoint.Load(path, plain);
        Assert.Equal(Weights(model), Weights(plain));
    }

    [Fact]
    public void LoadsAPyTorchStateDict()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "fixtures");
        var model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
        var (metadata, _, _) = Checkpoint.Load(Path.Combine(dir, "torch_mlp.safetensors"), model);
        Assert.Equal("pt", metadata["format"]);

        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "torch_mlp_expected.json"))).RootElement;
        static float[] F(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        static int[] I(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var x = Tensor.FromArray(F(expected.GetProperty("input")), I(expected.GetProperty("input_shape")));
        using var _ = Autograd.NoGrad();
        var y = model.Eval().Forward(x);
        Assert.Equal(I(expected.GetProperty("output_shape")), y.Shape);
        GradCheck.Close(F(expected.GetProperty("output")), y.ToArray(), atol: 1e-6f, rtol: 1e-5f, what: "output");
    }

    [Fact]
    public void StrictLoadingNamesTheKeysAndChangesNothing()
    {
        string path = PathOf("mlp.safetensors");
        Checkpoint.Save(path, Mlp(1));
        var other = new Sequential(new Linear(4, 8, generator: new Generator(5)), new Linear(8, 3, generator: new Generator(6)));
        var before = Weights(other);

        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, other));
        Assert.Contains("missing keys [1.weight, 1.bias], unexpected keys [2.bias, 2.weight]", e.Message);
        Assert.Contains(path, e.Message);
        Assert.Equal(before, Weights(other));

        var (_, missing, unexpected) = Checkpoint.Load(path, other, strict: false);
        Assert.Equal(["1.weight", "1.bias"], missing);
        Assert.Equal(["2.bias", "2.weight"], unexpected);
        Assert.Equal(Mlp(1).Parameters().First().ToArray(), other.Parameters().First().ToArray());
    }

    [Fact]
    public void AShapeMismatchNamesBothShapes()
    {
        string path = PathOf("mlp.safetensors");
        Checkpoint.Save(path, Mlp(1));
        var wider = new Sequential(new Linear(4, 9), new ReLU(), new Linear(9, 3));
        var before = Weights(wider);
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, wider, strict: false));
        Assert.Contains("'0.weight' has shape [8, 4] in the file, [9, 4] in the model", e.Message);
        Assert.Equal(before, Weights(wider));
    }

    [Fact]
    public void OptimizerMismatchesAreCaughtBeforeTheModelIsWritten()
    {
        var model = Mlp(1);
        var sgd = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        TrainStep(model, sgd);
        string path = PathOf("sgd.safetensors");
        Checkpoint.Save(path, model, sgd);

        var target = Mlp(2);
        var before = Weights(target);
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, target, new Adam(target.Parameters(), lr: 1e-3)));
        Assert.Contains("holds SGD state, the optimizer is Adam", e.Message);
        Assert.Equal(before, Weights(target));

        string plain = PathOf("plain.safetensors");
        Checkpoint.Save(plain, model);
        e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(plain, target, new SGD(target.Parameters(), lr: 0.1)));
        Assert.Contains("holds no optimizer state", e.Message);
        Assert.Equal(before, Weights(target));

        // A corrupt step count (NaN, negative, fractional) is caught before the weights are written
        foreach (float bad in new[] { float.NaN, -1f, 2.5f })
        {
            var (tensors, metadata) = Safetensors.Load(path);
            tensors["optimizer.state.0.step"] = Tensor.Scalar(bad);
            string corrupt = PathOf("corrupt.safetensors");
            Safetensors.Save(corrupt, tensors, metadata);
            var c = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(corrupt, target, new SGD(target.Parameters(), lr: 0.1, momentum: 0.9)));
            Assert.Contains("'optimizer.state.0.step' must be a whole number from 0", c.Message);
            Assert.Equal(before, Weights(target));
        }

        // Only canonical indices: "00" would be parameter 0 again, and one of the two would silently win
        foreach (string index in new[] { "00", "01", "+0", "-0", " 0", "0x1", "" })
        {
            var (tensors, metadata) = Safetensors.Load(path);
            string key = $"optimizer.state.{index}.step";
            tensors[key] = Tensor.Scalar(5);
            string corrupt = PathOf("index.safetensors");
            Safetensors.Save(corrupt, tensors, metadata);
            var c = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(corrupt, target, new SGD(target.Parameters(), lr: 0.1, momentum: 0.9)));
            Assert.Contains($"'{key}' is not of the form 'optimizer.state.{{index}}.{{key}}' with the index written as 0, 1, 2, … (no sign, no leading zeros)", c.Message);
            Assert.Equal(before, Weights(target));
        }
    }

    [Fact]
    public void ReservedMetadataKeyIsRejected() =>
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(PathOf("x.safetensors"), Mlp(1), metadata: new Dictionary<string, string> { [Checkpoint.OptimizerKey] = "" }));
    [Fact]
    public void AWeightAverageTravelsBesideTheModelAndPlainLoadsIgnoreIt()
    {
        var model = Mlp(1);
        var sgd = new SGD(model.Parameters(), lr: 0.1);
        var ema = new Ema(model, decay: 0.9);
        for (int i = 0; i < 3; i++) { TrainStep(model, sgd); ema.Update(); }
        string path = PathOf("ema.safetensors");
        Checkpoint.Save(path, model, sgd, ema: ema);
        var (tensors, metadata) = Safetensors.Load(path);
        Assert.Equal(ema.StateDict()["0.weight"].ToArray(), tensors["ema.0.weight"].ToArray());
        Assert.Contains("\"updates\":3", metadata[Checkpoint.EmaKey]);

        // a plain load takes the model and leaves the average; a load with an average continues it
        var plain = Mlp(2);
        Checkpoint.Load(path, plain);
        Assert.Equal(Weights(model), Weights(plain));
        var again = Mlp(3);
        var restored = new Ema(again, decay: 0.9);
        Checkpoint.Load(path, again, ema: restored);
        Assert.Equal(3, restored.Updates);
        Assert.Equal(ema.StateDict()["2.bias"].ToArray(), restored.StateDict()["2.bias"].ToArray());
        // the weight report reads the model's tensors only
        Assert.DoesNotContain(Occam.Studies.WeightReport.Of(tensors, path).Tensors, t => t.Name.StartsWith("ema.", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => Checkpoint.Save(PathOf("x.safetensors"), model, metadata: new Dictionary<string, string> { [Checkpoint.EmaKey] = "" }));
    }
}
