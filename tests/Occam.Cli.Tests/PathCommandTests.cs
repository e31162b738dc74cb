using System.Globalization;
using System.Text.Json;
using Occam.IO;

namespace Occam.Cli.Tests;

public class PathCommandTests
{
    [Fact]
    public void TinyLassoPathWritesPlotsCsvMetricsAndTheExport()
    {
        var dir = CliRunner.TempDir();
        try
        {
            string output = Path.Combine(dir, "path"), export = Path.Combine(dir, "export");
            var (code, stdout, error) = CliRunner.Run("path", "--train-size", "200", "--lambdas", "5", "--lambda-min-ratio", "0.05",
                "--out", output, "--export-data", export, "--json", "--threads", "2");
            Assert.True(code == 0, error);
            foreach (var file in new[] { "coefficients.png", "validation.png" })
                Assert.True(new FileInfo(Path.Combine(output, file)).Length > 1000, file);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
            var root = json.RootElement;
            Assert.Equal("l1", root.GetProperty("penalty").GetString());
            Assert.Equal("accuracy", root.GetProperty("metric").GetString());
            Assert.Equal(1.0, root.GetProperty("l1_ratio").GetDouble());
            Assert.Equal((7840, 200), (root.GetProperty("outputs").GetInt32() * root.GetProperty("features").GetInt32(), root.GetProperty("train_size").GetInt32()));
            double lambdaMax = root.GetProperty("lambda_max").GetDouble(), best = root.GetProperty("best_lambda").GetDouble();
            Assert.True(root.GetProperty("lambda_1se").GetDouble() >= best);
            var path = root.GetProperty("path").EnumerateArray().ToList();
            Assert.Equal(5, path.Count);
            Assert.Equal(lambdaMax, path[0].GetProperty("lambda").GetDouble());
            Assert.Equal(lambdaMax * 0.05, path[^1].GetProperty("lambda").GetDouble(), 12);
            Assert.Equal(0, path[0].GetProperty("nonzero").GetInt32());
            Assert.True(path[1].GetProperty("nonzero").GetInt32() > 0);
            Assert.Contains(path, p => p.GetProperty("lambda").GetDouble() == best);
            foreach (var p in path)
            {
                Assert.InRange(p.GetProperty("train_accuracy").GetDouble(), 0, 1);
                Assert.InRange(p.GetProperty("val_accuracy").GetDouble(), 0, 1);
                Assert.InRange(p.GetProperty("val_se").GetDouble(), 0, 0.1);
                Assert.True(p.GetProperty("val_loss").GetDouble() > 0);
                Assert.True(p.GetProperty("iterations").GetInt32() >= 0);
            }
            Assert.True(path[^1].GetProperty("val_accuracy").GetDouble() > 0.6);
            Assert.Equal(root.GetProperty("lambda_max").GetDouble(), JsonDocument.Parse(stdout).RootElement.GetProperty("lambda_max").GetDouble());

            var csv = File.ReadAllLines(Path.Combine(output, "path.csv"));
            Assert.Equal("lambda,nonzero,train_accuracy,val_accuracy,val_se,train_loss,val_loss,iterations", csv[0]);
            Assert.Equal(6, csv.Length);
            Assert.Equal(lambdaMax, double.Parse(csv[1].Split(',')[0], CultureInfo.InvariantCulture));

            var (tensors, metadata) = Safetensors.Load(Path.Combine(export, "data.safetensors"));
            Assert.Equal([200, 784], tensors["x_train"].Shape);
            Assert.Equal([5, 10, 784], tensors["coefficients"].Shape);
            Assert.Equal(1200, tensors["y_validation"].Dim(0));
            Assert.Equal(5, metadata["lambdas"].Split(',').Length);
            Assert.Equal(lambdaMax, double.Parse(metadata["lambdas"].Split(',')[0], CultureInfo.InvariantCulture));
            Assert.All(tensors["x_train"].Mean(0).ToArray(), m => Assert.Equal(0f, m, 3));  // standardized as fitted
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ElasticNetRegressionOnACsvTable()
    {
        var dir = CliRunner.TempDir();
        try
        {
            var g = new Generator(5);
            var lines = new List<string> { "a,b,noise,y" };
            for (int i = 0; i < 150; i++)
            {
                double a = g.NextNormal(), b = 100 * g.NextNormal(), noise = g.NextNormal();
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"{a:0.####},{b:0.##},{noise:0.####},{2 * a - 0.03 * b + 0.1 * g.NextNormal():0.####}"));
            }
            string table = Path.Combine(dir, "table.csv");
            File.WriteAllLines(table, lines);
            var (code, stdout, error) = CliRunner.Run("path", "--csv", table, "--label", "y", "--task", "regression",
                "--penalty", "elastic-net", "--l1-ratio", "0.5", "--lambdas", "8", "--out", Path.Combine(dir, "path"));
            Assert.True(code == 0, error);
            Assert.Contains("Best λ", stdout);
            Assert.Contains("One-SE λ", stdout);
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "path", "metrics.json")));
            var root = json.RootElement;
            Assert.Equal(("regression", "mse", "elastic-net", 0.5), (root.GetProperty("task").GetString(), root.GetProperty("metric").GetString(),
                root.GetProperty("penalty").GetString(), root.GetProperty("l1_ratio").GetDouble()));
            var last = root.GetProperty("path").EnumerateArray().Last();
            Assert.True(last.GetProperty("val_r2").GetDouble() > 0.95, last.ToString());
            Assert.True(last.GetProperty("val_mse").GetDouble() < 0.2, last.ToString());
            Assert.Equal(3, last.GetProperty("nonzero").GetInt32());
            Assert.StartsWith("lambda,nonzero,train_mse,val_mse,val_se,val_r2,iterations", File.ReadAllText(Path.Combine(dir, "path", "path.csv")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("single class", "--csv", "SINGLE", "--label", "y")]
    [InlineData("-1", "--lambda-grid", "0.1,-1")]
    [InlineData("at least 2", "--lambdas", "1")]
    [InlineData("(0, 1]", "--penalty", "elastic-net", "--l1-ratio", "1.5")]
    [InlineData("(0, 1]", "--penalty", "elastic-net", "--l1-ratio", "0")]
    [InlineData("elastic-net", "--l1-ratio", "0.5")]
    [InlineData("CSV", "--task", "regression")]
    [InlineData("--validation", "--validation", "1.5")]
    [InlineData("path: --label nope: ", "--csv", "SINGLE", "--label", "nope")]
    [InlineData("has no column named 'nope' (columns: a, b, y)\n", "--csv", "SINGLE", "--label", "nope")]
    [InlineData("path: --data embedded does not apply with --csv, which fits the table instead", "--csv", "SINGLE", "--label", "y", "--data", "embedded")]
    public void BadInputFailsWithOneSentence(string expected, params string[] args)
    {
        var dir = CliRunner.TempDir();
        try
        {
            string single = Path.Combine(dir, "single.csv");
            File.WriteAllLines(single, ["a,b,y", "1,2,3", "2,1,3", "3,3,3", "4,0,3"]);
            var (code, _, error) = CliRunner.Run(["path", .. args.Select(a => a == "SINGLE" ? single : a), "--out", Path.Combine(dir, "out")]);
            Assert.NotEqual(0, code);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Contains(expected, error);
            Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void UnknownPenaltyIsRejected()
    {
        var (code, _, error) = CliRunner.Run("path", "--penalty", "l3", "--out", Path.Combine(Path.GetTempPath(), "occam-path-unused"));
        Assert.NotEqual(0, code);
        Assert.Contains("l3", error);
    }
}
