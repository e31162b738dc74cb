using System.Text.Json;

namespace Occam.Cli.Tests;

public sealed class AdviseCommandTests : IDisposable
{
    readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The seed's exercise: training accuracy reaches 98%, validation stalls at 75%, validation loss turns up after epoch 3.</summary>
    const string Overfitting = """
        epoch,accuracy,loss,val_accuracy,val_loss,learning_rate
        0,0.62,0.72,0.66,0.95,0.001
        1,0.74,0.45,0.71,0.80,0.001
        2,0.83,0.28,0.74,0.74,0.001
        3,0.89,0.17,0.75,0.72,0.001
        4,0.93,0.11,0.755,0.73,0.001
        5,0.95,0.08,0.75,0.77,0.001
        6,0.965,0.05,0.75,0.82,0.001
        7,0.975,0.04,0.748,0.88,0.001
        8,0.98,0.03,0.75,0.93,0.001
        9,0.98,0.03,0.75,0.97,0.001
        """;

    string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A plateau at 60%: underfitting, with training a little below validation all along.</summary>
    const string Underfitting = """
        epoch,accuracy,loss,val_accuracy,val_loss
        0,0.55,1.5,0.56,1.52
        1,0.58,1.3,0.59,1.32
        2,0.59,1.25,0.60,1.27
        3,0.60,1.22,0.60,1.24
        4,0.60,1.21,0.61,1.23
        5,0.60,1.21,0.61,1.23
        """;

    [Fact]
    public void ATrainRunWithoutRegularizationIsNotToldToReduceIt()
    {
        string run = Path.Combine(_dir, "run");
        Directory.CreateDirectory(run);
        Write("run/history.csv", Underfitting);
        Write("run/config.json", """{ "dropout": 0, "weightDecay": 0 }""");
        var (code, output, error) = CliRunner.Run("advise", run, "--json");
        Assert.True(code == 0, error);
        Assert.Contains("\"underfitting\"", output);
        Assert.DoesNotContain("reduce_regularization", output);

        foreach (var regularized in new[] { """{ "dropout": 0.5 }""", """{ "mixup": 0.2 }""", """{ "l1Proximal": 0.1 }""", """{ "maxNorm": 3 }""", """{ "sam": 0.05 }""" })
        {
            Write("run/config.json", regularized);
            (code, output, error) = CliRunner.Run("advise", run, "--json");
            Assert.True(code == 0, error);
            Assert.Contains("reduce_regularization", output);
        }
    }

    [Fact]
    public void ATrainReportGetsTheNextRunsCommandAndItRuns()
    {
        string run = Path.Combine(_dir, "run");
        Directory.CreateDirectory(run);
        Write("run/history.csv", Overfitting);
        string config = Write("run/config.json", """{ "data": "embedded", "trainSize": 300, "epochs": 1, "dropout": 0.1, "labelSmoothing": 0.1 }""");
        var (code, output, error) = CliRunner.Run("advise", run, "--json");
        Assert.True(code == 0, error);
        string next = JsonDocument.Parse(output).RootElement.GetProperty("next_run").GetString()!;
        // the overfitting advice that has a flag, above the run's own values (its label smoothing 0.1 is kept)
        Assert.Equal($"occam train --config {config} --early-stopping 5 --weight-decay 0.1 --dropout 0.5 --augment true", next);
        (code, output, error) = CliRunner.Run("advise", run);
        Assert.True(code == 0, error);
        Assert.Contains("Next run with these changes: occam train --config", output);

        var args = next.Split(' ')[1..].Concat(["--out", Path.Combine(_dir, "next"), "--json"]).ToArray();
        (code, output, error) = CliRunner.Run(args);
        Assert.True(code == 0, error);
        var applied = JsonDocument.Parse(output).RootElement.GetProperty("config");
        Assert.Equal(0.5, applied.GetProperty("dropout").GetDouble(), 1e-6);
        Assert.Equal(5, applied.GetProperty("earlyStopping").GetInt32());
        // underfitting: a wider model (and less of the run's dropout)
        Write("run/history.csv", Underfitting);
        Write("run/config.json", """{ "data": "embedded", "trainSize": 300, "epochs": 1, "dropout": 0.4, "hidden": [64, 32] }""");
        (code, output, error) = CliRunner.Run("advise", run, "--json");
        Assert.True(code == 0, error);
        next = JsonDocument.Parse(output).RootElement.GetProperty("next_run").GetString()!;
        Assert.Contains("--dropout 0.2", next);
        Assert.Contains("--hidden 128,64", next);
        (code, output, error) = CliRunner.Run([.. next.Split(' ')[1..], "--out", Path.Combine(_dir, "wider"), "--json"]);
        Assert.True(code == 0, error);
        Assert.Equal([128, 64], JsonDocument.Parse(output).RootElement.GetProperty("config").GetProperty("hidden").EnumerateArray().Select(w => w.GetInt32()));
        // a history that is not an occam train report gets no command
        (code, output, error) = CliRunner.Run("advise", Write("other.csv", Overfitting), "--json");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("next_run", output);
    }

    [Fact]
    public void AMissingPathABinaryFileAndADirectoryAsCsvAreNamedForWhatTheyAre()
    {
        var (code, _, error) = CliRunner.Run("advise", Path.Combine(_dir, "nonexist.csv"));
        Assert.Equal(1, code);
        Assert.Equal($"advise: '{Path.Combine(_dir, "nonexist.csv")}' does not exist; give a history CSV or a run directory", error.Trim());

        string binary = Path.Combine(_dir, "model.safetensors");
        File.WriteAllBytes(binary, [0x50, 0, 0, 0, 0, 0, 0, 0, (byte)'{', 0x01, 0xFF, (byte)'\n', 0x7F, 0x03]);
        (code, _, error) = CliRunner.Run("advise", binary);
        Assert.Equal(1, code);
        Assert.Equal($"advise: Advisor: '{binary}' is not a text file; expected a history CSV with a header row such as 'epoch,loss,accuracy,val_loss,val_accuracy'", error.Trim());

        (code, _, error) = CliRunner.Run("study", "--csv", _dir, "--label", "y", "--out", Path.Combine(_dir, "report"));
        Assert.Equal(2, code);
        Assert.Equal($"study: --csv {_dir} is a directory; name a CSV file", error.Trim());
        (code, _, error) = CliRunner.Run("path", "--csv", _dir, "--label", "y", "--out", Path.Combine(_dir, "report"));
        Assert.Equal(1, code);
        Assert.Equal($"path: {_dir} is a directory, not a file", error.Trim());
    }

    [Fact]
    public void JsonHasTheDiagnosisTheBestEpochAndRecommendations()
    {
        var (code, output, error) = CliRunner.Run("advise", Write("history.csv", Overfitting), "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal(["diagnosis", "best_epoch", "recommendations"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("overfitting", root.GetProperty("diagnosis").GetString());
        Assert.Equal(3, root.GetProperty("best_epoch").GetInt32());
        var recs = root.GetProperty("recommendations").EnumerateArray().ToList();
        Assert.All(recs, r => Assert.Equal(["technique", "value", "why"], r.EnumerateObject().Select(p => p.Name)));
        var early = recs.Single(r => r.GetProperty("technique").GetString() == "early_stopping");
        Assert.Equal(4, early.GetProperty("value").GetDouble());
        Assert.Contains(recs, r => r.GetProperty("technique").GetString() == "weight_decay" && r.GetProperty("value").GetDouble() > 0);
        Assert.Contains(recs, r => r.GetProperty("technique").GetString() == "dropout");
    }

    [Fact]
    public void ARunDirectoryIsSearchedForItsHistoryAndATableIsPrinted()
    {
        Write("training.log.csv", Overfitting);
        var (code, output, error) = CliRunner.Run("advise", _dir);
        Assert.True(code == 0, error);
        Assert.Contains("overfitting", output);
        Assert.Contains("early_stopping", output);
        Assert.Contains("label_smoothing", output);
    }

    [Fact]
    public void MissingValidationColumnsFailWithOneSentence()
    {
        var (code, output, error) = CliRunner.Run("advise", Write("train.csv", "epoch,loss,accuracy\n0,1.0,0.5\n1,0.8,0.6\n"));
        Assert.NotEqual(0, code);
        Assert.Equal("", output);
        Assert.Contains("val_loss", error);
        Assert.DoesNotContain("   at ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void AMissingFileOrEmptyDirectoryFails()
    {
        var (code, _, error) = CliRunner.Run("advise", Path.Combine(_dir, "nope.csv"));
        Assert.NotEqual(0, code);
        Assert.Contains("nope.csv", error);
        Assert.DoesNotContain("   at ", error);

        (code, _, error) = CliRunner.Run("advise", _dir);
        Assert.NotEqual(0, code);
        Assert.Contains("history.csv", error);
    }

    [Fact]
    public void HelpShowsAnExample()
    {
        var (code, output, _) = CliRunner.Run("advise", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Example: occam advise", output);
    }
}
