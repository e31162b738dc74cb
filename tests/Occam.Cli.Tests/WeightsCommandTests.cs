using System.Text.Json;
using Occam.IO;
using Occam.NN;

namespace Occam.Cli.Tests;

public sealed class WeightsCommandTests : IDisposable
{
    readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A small MLP checkpoint; "l1" zeroes the smaller half of each weight exactly, "l2" shrinks them.</summary>
    string Checkpoint(string name)
    {
        var gen = new Generator(7);
        var model = new Sequential(new Linear(6, 16, generator: gen), new BatchNorm1d(16), new ReLU(), new Linear(16, 3, generator: gen));
        var state = model.StateDict();
        foreach (var key in state.Keys.Where(k => k.EndsWith("weight", StringComparison.Ordinal)).ToList())
        {
            var values = state[key].ToArray();
            if (name == "l1")
            {
                float median = values.Select(MathF.Abs).Order().ElementAt(values.Length / 2);
                values = values.Select(v => MathF.Abs(v) < median ? 0f : v).ToArray();
            }
            if (name == "l2") values = values.Select(v => v * 0.5f).ToArray();
            state[key] = Tensor.FromArray(values, state[key].Shape);
        }
        var path = Path.Combine(_dir, name + ".safetensors");
        Safetensors.Save(path, state);
        return path;
    }

    [Fact]
    public void OneCheckpointPrintsATableOfItsTensors()
    {
        var (code, output, error) = CliRunner.Run("weights", Checkpoint("none"));
        Assert.True(code == 0, error);
        Assert.Contains("0.weight", output);
        Assert.Contains("3.bias", output);
        // the totals say what they cover: every parameter, and the weight matrices that train's statistics count
        Assert.Contains("all parameters", output);
        Assert.Contains("weight matrices", output);
        Assert.DoesNotContain("all weights", output);
    }

    [Fact]
    public void JsonHasPerTensorStatistics()
    {
        var (code, output, error) = CliRunner.Run("weights", Checkpoint("l1"), "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var tensors = doc.RootElement.GetProperty("tensors").EnumerateArray().ToList();
        var w = tensors.Single(t => t.GetProperty("name").GetString() == "0.weight");
        Assert.Equal([16, 6], w.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(96, w.GetProperty("count").GetInt64());
        Assert.Equal(0.5, w.GetProperty("zero_fraction").GetDouble(), 2);
        Assert.True(w.GetProperty("small_fraction").GetDouble() >= 0.5);
        Assert.True(w.GetProperty("l2").GetDouble() > 0);
        Assert.True(tensors.Single(t => t.GetProperty("name").GetString() == "1.running_var").GetProperty("buffer").GetBoolean());
        var total = doc.RootElement.GetProperty("total");
        Assert.Equal(6 * 16 + 16 + 16 + 16 + 16 * 3 + 3, total.GetProperty("count").GetInt64());
        var matrices = doc.RootElement.GetProperty("weight_matrices");
        Assert.Equal(6 * 16 + 16 * 3, matrices.GetProperty("count").GetInt64());
    }

    [Fact]
    public void CompareShowsTheFilesSideBySideAndWritesHistogramsAndJson()
    {
        string none = Checkpoint("none"), l1 = Checkpoint("l1"), l2 = Checkpoint("l2");
        var outDir = Path.Combine(_dir, "report");
        var (code, output, error) = CliRunner.Run("weights", none, "--compare", l1, l2, "--out", outDir, "--per-layer");
        Assert.True(code == 0, error);
        Assert.Contains("none", output);
        Assert.Contains("l1", output);
        Assert.Contains("l2", output);
        Assert.True(new FileInfo(Path.Combine(outDir, "histogram.png")).Length > 1000);
        Assert.True(File.Exists(Path.Combine(outDir, "hist-0.weight.png")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "weights.json")));
        var files = doc.RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(["none", "l1", "l2"], files.Select(f => f.GetProperty("label").GetString()));
        double Zeros(int i) => files[i].GetProperty("total").GetProperty("zero_fraction").GetDouble();
        double L2(int i) => files[i].GetProperty("total").GetProperty("l2").GetDouble();
        Assert.True(Zeros(1) > 0.3 && Zeros(0) < 0.1);
        Assert.True(L2(2) < L2(0));
    }

    [Fact]
    public void BadInputFailsWithOneSentence()
    {
        var (code, _, error) = CliRunner.Run("weights", Path.Combine(_dir, "missing.safetensors"));
        Assert.NotEqual(0, code);
        Assert.Contains("missing.safetensors", error);
        Assert.DoesNotContain("   at ", error);

        var junk = Path.Combine(_dir, "junk.safetensors");
        File.WriteAllText(junk, "not a checkpoint");
        (code, _, error) = CliRunner.Run("weights", junk);
        Assert.NotEqual(0, code);
        Assert.Contains("junk.safetensors", error);
        Assert.DoesNotContain("   at ", error);

        (code, _, error) = CliRunner.Run("weights");
        Assert.NotEqual(0, code);
        Assert.Contains("CHECKPOINT", error);

        // --out names a folder: an existing file, or a path below one, is refused with the option's name
        var file = Path.Combine(_dir, "afile");
        File.WriteAllText(file, "x");
        (code, _, error) = CliRunner.Run("weights", Checkpoint("none"), "--out", file);
        Assert.Equal(2, code);
        Assert.Equal($"weights: --out '{file}' is a file; name a folder for weights.json and its histograms", error.Trim());
        (code, _, error) = CliRunner.Run("weights", Checkpoint("none"), "--out", Path.Combine(file, "sub"));
        Assert.Equal(2, code);
        Assert.Equal($"weights: --out '{Path.Combine(file, "sub")}': '{file}' is a file, so no folder can be made inside it", error.Trim());
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void HelpShowsAnExample()
    {
        var (code, output, _) = CliRunner.Run("weights", "--help");
        // only proximal L1 gives exact zeros; train --l1 is a subgradient penalty
        Assert.Contains("proximal L1", output);
        Assert.Contains("occam train --l1, a subgradient step", output);
        Assert.DoesNotContain("an L1-trained", output);
        Assert.Equal(0, code);
        Assert.Contains("Example: occam weights", output);
    }
}
