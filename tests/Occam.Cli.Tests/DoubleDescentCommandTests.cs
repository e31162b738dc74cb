using System.Text.Json;

namespace Occam.Cli.Tests;

public class DoubleDescentCommandTests
{
    [Fact]
    public void TinyRandomFeaturesRunWritesMetricsAndPlot()
    {
        var dir = CliRunner.TempDir();
        try
        {
            var (code, output, error) = CliRunner.Run("double-descent", "--train-size", "60", "--test-size", "100", "--sizes", "20,60,240",
                "--out", Path.Combine(dir, "dd"), "--json", "--threads", "2");
            Assert.True(code == 0, error);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "dd", "metrics.json")));
            var root = json.RootElement;
            Assert.Equal(60, root.GetProperty("threshold").GetInt32());
            var points = root.GetProperty("points").EnumerateArray().ToList();
            Assert.Equal([20, 60, 240], points.Select(p => p.GetProperty("features").GetInt32()));
            Assert.All(points, p => Assert.InRange(p.GetProperty("test_error").GetDouble(), 0, 1));
            Assert.All(points, p => Assert.InRange(p.GetProperty("train_error").GetDouble(), 0, 1));
            Assert.Equal(0, points[2].GetProperty("train_error").GetDouble());
            Assert.True(new FileInfo(Path.Combine(dir, "dd", "double_descent.png")).Length > 1000);
            Assert.Equal(60, JsonDocument.Parse(output).RootElement.GetProperty("threshold").GetInt32());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TinyMlpRunReportsParameterCounts()
    {
        var dir = CliRunner.TempDir();
        try
        {
            var (code, output, error) = CliRunner.Run("double-descent", "--mode", "mlp", "--train-size", "50", "--test-size", "50", "--sizes", "2,8",
                "--epochs", "2", "--out", Path.Combine(dir, "dd"));
            Assert.True(code == 0, error);
            // both widths are past the threshold of 500 parameters: there is no classical minimum to name, nor a peak after it
            Assert.Contains("Test error: no size below the threshold,", output);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "dd", "metrics.json")));
            var points = json.RootElement.GetProperty("points").EnumerateArray().ToList();
            Assert.Equal(784 * 2 + 2 + 2 * 10 + 10, points[0].GetProperty("parameters").GetInt64());
            Assert.Equal(500, json.RootElement.GetProperty("threshold_parameters").GetInt64());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("0", "rf")]
    [InlineData("7000", "rf")]
    [InlineData("0", "mlp")]
    [InlineData("7000", "mlp")]
    public void ATrainSizeOutOfRangeGivesOneRangeAndNoTable(string size, string mode)
    {
        var (code, stdout, error) = CliRunner.Run("double-descent", "--mode", mode, "--train-size", size, "--out", Path.Combine(Path.GetTempPath(), "occam-dd-unused"));
        Assert.Equal(2, code);
        Assert.Equal($"double-descent: --train-size must be in [10, 6000] (the embedded subset), got {size}", error.Trim());
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("--sizes", "10,x")]
    [InlineData("--train-size", "99999")]
    public void BadInputFailsWithOneSentence(string option, string value)
    {
        var (code, _, error) = CliRunner.Run("double-descent", option, value, "--out", Path.Combine(Path.GetTempPath(), "occam-dd-unused"));
        Assert.NotEqual(0, code);
        Assert.Single(error.Trim().Split('\n'));
    }
}
