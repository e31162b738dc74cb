using System.Text.Json;

namespace Occam.Cli.Tests;

public class StudyCommandTests
{
    static readonly string[] Fields =
        ["name", "train_accuracy", "val_accuracy", "test_accuracy", "gap", "best_epoch", "l1_norm", "l2_norm", "zero_weight_fraction", "seconds"];

    [Fact]
    public void WritesTheReportFolder()
    {
        var root = CliRunner.TempDir();
        try
        {
            var dir = Path.Combine(root, "report");
            var (code, output, error) = CliRunner.Run("study", "--only", "none,l1,l2", "--epochs", "1", "--train-size", "300", "--out", dir + "/"); // a trailing slash names the folder itself
            Assert.True(code == 0, error);
            Assert.Contains("none", output);
            Assert.Contains("Advisor", output);
            Assert.DoesNotContain("reduce_regularization", output); // its baseline has none
            // the table's gap for the baseline is the reading's, rounded alike
            string readingGap = System.Text.RegularExpressions.Regex.Match(output, @"a generalization gap of (-?[0-9.]+) points").Groups[1].Value;
            Assert.NotEqual("", readingGap);
            Assert.Matches(@"│ none\s+│[^\n]*│\s+" + System.Text.RegularExpressions.Regex.Escape(readingGap) + @"\s+│", output);
            Assert.Contains("index.html", output);

            using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
            var runs = metrics.RootElement.GetProperty("runs").EnumerateArray().ToList();
            Assert.Equal(["none", "l2", "l1"], runs.Select(r => r.GetProperty("name").GetString())); // in study order
            foreach (var run in runs)
            {
                foreach (var field in Fields) Assert.True(run.TryGetProperty(field, out _), $"missing {field}");
                double train = run.GetProperty("train_accuracy").GetDouble(), test = run.GetProperty("test_accuracy").GetDouble();
                Assert.Equal(train - test, run.GetProperty("gap").GetDouble(), 5);
                Assert.Equal(1, run.GetProperty("best_epoch").GetInt32());
                var history = File.ReadAllLines(Path.Combine(dir, $"history-{run.GetProperty("name").GetString()}.csv"));
                Assert.Equal(2, history.Length);
                Assert.StartsWith("epoch,", history[0]);
                Assert.StartsWith("0,", history[1]); // counted from 0, as train's history.csv
                Assert.Contains("val_accuracy", history[0]);
            }
            Assert.True(runs[2].GetProperty("zero_weight_fraction").GetDouble() > 0, "l1 gives exact zeros");

            foreach (var png in new[] { "test-accuracy.png", "gap.png", "weights.png", "accuracy-none.png", "loss-l1.png" })
            {
                var bytes = File.ReadAllBytes(Path.Combine(dir, png));
                Assert.True(bytes.Length > 1000 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', png);
            }

            var html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.StartsWith("<!DOCTYPE html>", html);
            Assert.EndsWith("</html>\n", html);
            Assert.Contains("data:image/png;base64,", html);
            Assert.Contains("Advisor", html);
            Assert.Contains("Reading", html);
            Assert.DoesNotContain("<script", html);
            Assert.DoesNotContain("src=\"http", html);
            Assert.DoesNotContain("href=\"http", html);
            Assert.Empty(Directory.GetDirectories(root, ".*.tmp"));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void FineTuneScenarioWritesTheSameReportWithThePretraining()
    {
        var root = CliRunner.TempDir();
        try
        {
            var dir = Path.Combine(root, "report");
            var (code, output, error) = CliRunner.Run("study", "--scenario", "fine-tune", "--only", "scratch,full,frozen-backbone", "--epochs", "1",
                "--pretrain-epochs", "1", "--train-size", "100", "--out", dir);
            Assert.True(code == 0, error);
            Assert.Contains("Pretraining on classes 0–4", output);
            Assert.Contains("Advisor", output);
            Assert.Contains("full fine-tuning", output);

            using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")));
            var runs = metrics.RootElement.GetProperty("runs").EnumerateArray().ToList();
            Assert.Equal(["full", "frozen-backbone", "scratch"], runs.Select(r => r.GetProperty("name").GetString())); // in study order
            var pretrain = metrics.RootElement.GetProperty("pretrain");
            foreach (var run in runs.Append(pretrain))
            {
                foreach (var field in Fields) Assert.True(run.TryGetProperty(field, out _), $"missing {field}");
                Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, $"history-{run.GetProperty("name").GetString()}.csv")).Length);
            }
            Assert.Equal("pretrain", pretrain.GetProperty("name").GetString());
            // how far each backbone moved, as the report's table shows it: 0 when frozen, none for scratch or the pretraining
            Assert.Equal(0, runs[1].GetProperty("moved").GetDouble());
            Assert.True(runs[0].GetProperty("moved").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Null, runs[2].GetProperty("moved").ValueKind);
            Assert.False(pretrain.TryGetProperty("moved", out _));
            var settings = metrics.RootElement.GetProperty("settings");
            Assert.Equal("fine-tune", settings.GetProperty("scenario").GetString());
            Assert.Equal("cnn", settings.GetProperty("model").GetString());
            Assert.Equal(100, settings.GetProperty("train_examples").GetInt32());
            Assert.Equal(2500, settings.GetProperty("pretrain_examples").GetInt32());

            foreach (var png in new[] { "test-accuracy.png", "gap.png", "accuracy-full.png", "loss-pretrain.png" })
                Assert.True(new FileInfo(Path.Combine(dir, png)).Length > 1000, png);
            var html = File.ReadAllText(Path.Combine(dir, "index.html"));
            Assert.Contains("<title>Occam study: the fine-tuning scenario</title>", html);
            Assert.Contains("Advisor</strong>, on full fine-tuning", html);
            Assert.Contains("id=\"run-pretrain\"", html);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void JsonPrintsTheMetricsOnly()
    {
        var root = CliRunner.TempDir();
        try
        {
            var (code, output, error) = CliRunner.Run("study", "--only", "none", "--epochs", "1", "--train-size", "100", "--json", "--out", Path.Combine(root, "r"));
            Assert.True(code == 0, error);
            using var json = JsonDocument.Parse(output);
            var run = Assert.Single(json.RootElement.GetProperty("runs").EnumerateArray());
            Assert.Equal("none", run.GetProperty("name").GetString());
            Assert.Equal(File.ReadAllText(Path.Combine(root, "r", "metrics.json")).Trim(), output.Trim());
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Theory]
    [InlineData("--model", "rnn")]
    [InlineData("--only", "none,nope")]
    [InlineData("--csv", "missing.csv", "--label", "y")]
    [InlineData("--csv", "missing.csv")]
    [InlineData("--data", "mnist")]
    [InlineData("--epochs", "0")]
    [InlineData("--train-size", "999999")]
    [InlineData("--scenario", "transfer")]
    [InlineData("--scenario", "fine-tune", "--model", "mlp")]
    [InlineData("--scenario", "fine-tune", "--only", "none")]
    [InlineData("--scenario", "fine-tune", "--csv", "missing.csv", "--label", "y")]
    [InlineData("--scenario", "fine-tune", "--train-size", "2501")]
    [InlineData("--pretrain-epochs", "2")]
    public void BadArgumentsFailWithOneSentenceAndNoOutput(params string[] args)
    {
        var root = CliRunner.TempDir();
        try
        {
            var dir = Path.Combine(root, "report");
            string[] epochs = args.Contains("--epochs") ? [] : ["--epochs", "1"];
            var (code, _, error) = CliRunner.Run(["study", .. args, .. epochs, "--out", dir]);
            Assert.NotEqual(0, code);
            var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("study: ", lines[0]);
            Assert.DoesNotContain("   at ", error);
            Assert.False(Directory.Exists(dir));
            Assert.Empty(Directory.GetFileSystemEntries(root));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void DataWithCsvAndAnUnknownLabelAreRefusedBeforeAnyOutput()
    {
        CliRunner.InTempDir(root =>
        {
            string table = Path.Combine(root, "t.csv");
            File.WriteAllLines(table, ["a,y", "1,0", "2,1"]);
            var (code, _, error) = CliRunner.Run("study", "--csv", table, "--label", "y", "--data", "fashion-mnist", "--out", Path.Combine(root, "report"));
            Assert.Equal(2, code);
            Assert.Equal("study: --data fashion-mnist does not apply with --csv, which trains on the table instead; give one of them", error.Trim());
            Assert.False(Directory.Exists(Path.Combine(root, "report")));

            string stdout;
            (code, stdout, error) = CliRunner.Run("study", "--csv", table, "--label", "nope", "--out", Path.Combine(root, "report"));
            Assert.Equal(2, code);
            Assert.Equal($"study: --label nope: {table} has no column named 'nope' (columns: a, y)", error.Trim());
            Assert.Equal("", stdout);
        });
    }

    [Fact]
    public void HelpHasAnExample()
    {
        var (code, output, _) = CliRunner.Run("study", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Example", output);
        Assert.Contains("--scenario fine-tune", output);
        foreach (var option in new[] { "--scenario", "--pretrain-epochs", "--data", "--csv", "--label", "--model", "--epochs", "--train-size", "--only", "--seed", "--threads", "--out", "--json" })
            Assert.Contains(option, output);
    }
}
