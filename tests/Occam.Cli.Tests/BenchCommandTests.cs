using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text.Json;

namespace Occam.Cli.Tests;

/// <summary>`occam bench`: the last line is the JSON that bench/ scripts parse; bad input is refused by name. These
/// check what the benchmarks report, not how fast anything is.</summary>
public sealed class BenchCommandTests : IDisposable
{
    readonly int _threads = Threads.Count;

    public void Dispose() => Threads.Count = _threads; // the bench commands set the engine's thread count

    static JsonElement LastJson(string output) => JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;

    [Fact]
    public void PeakReportsTheMultiplyAddRateOfTheWidestVectors()
    {
        var (code, output, error) = CliRunner.Run("bench", "peak", "--threads", "1");
        Assert.True(code == 0, error);
        var json = LastJson(output);
        Assert.Equal("peak", json.GetProperty("bench").GetString());
        Assert.Equal(1, json.GetProperty("threads").GetInt32());
        Assert.Equal(Vector512.IsHardwareAccelerated ? 16 : Vector<float>.Count, json.GetProperty("lanes").GetInt32());
        Assert.True(json.GetProperty("gflops").GetDouble() > 1, output);
    }

    [Fact]
    public void CoresReportsTheDistanceBetweenTwoCores()
    {
        var (code, output, error) = CliRunner.Run("bench", "cores");
        if (Environment.ProcessorCount < 2)
        {
            Assert.Equal(1, code);
            Assert.Contains($"bench cores: needs two processors, this machine has {Environment.ProcessorCount}", error);
            return;
        }
        Assert.True(code == 0, error);
        var json = LastJson(output);
        Assert.Equal("cores", json.GetProperty("bench").GetString());
        foreach (var key in new[] { "round_trip_ns", "column_halves_us", "row_halves_us", "one_thread_us" })
            Assert.True(json.GetProperty(key).GetDouble() > 0, $"{key} in {output}");
        Assert.Contains("cache line's round trip", output);
    }

    [Theory]
    [InlineData("peak", "--threads", "0", "--threads must be in [1, 256], got 0")]
    [InlineData("peak", "--threads", "100000", "--threads must be in [1, 256], got 100000")]
    [InlineData("gemm", "--n", "46341", "m·k = 2,147,488,281 elements is more than a matrix may hold here")]
    [InlineData("mlp", "--samples", "100", "--samples must be at least 128, got 100")]
    [InlineData("cnn", "--warmup", "-1", "--warmup must be non-negative, got -1")]
    [InlineData("gemm", "--m", "0", "sizes must be positive, got m=0")]
    public void BadInputIsAnErrorNamingTheValue(string bench, string option, string value, string message)
    {
        var (code, _, error) = CliRunner.Run("bench", bench, option, value);
        Assert.Equal(2, code);
        Assert.Contains($"bench {bench}: {message}", error);
    }

    [Fact]
    public void ModelBenchReportsTrainingInferenceAndAllocation()
    {
        var (code, output, error) = CliRunner.Run("bench", "mlp", "--threads", "1", "--samples", "256", "--warmup", "2");
        Assert.True(code == 0, error);
        var json = LastJson(output);
        Assert.Equal("mlp", json.GetProperty("bench").GetString());
        Assert.Equal(1, json.GetProperty("threads").GetInt32());
        Assert.True(json.GetProperty("samples_per_s").GetDouble() > 0);
        Assert.True(json.GetProperty("inference_samples_per_s").GetDouble() > 0);
        Assert.True(json.GetProperty("alloc_bytes_per_step").GetInt64() >= 0);
        Assert.True(json.GetProperty("gen2_collections").GetInt32() >= 0);
        Assert.Contains("2 steps of 128", output);
    }
}
