using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Occam.Cli.Tests;

public class SweepCommandTests
{
    static string[] Tiny(string dir, params string[] extra) => TinyAt("2", dir, extra);

    static string[] TinyAt(string threads, string dir, params string[] extra) =>
    [
        "sweep", "--param", "dropout=0,0.3", "--repeats", "2", "--epochs", "1", "--train-size", "100", "--validation-size", "50",
        "--storage", Path.Combine(dir, "sweep.db"), "--out", Path.Combine(dir, "out"), "--threads", threads, .. extra,
    ];

    [Fact]
    public void TinySweepWritesTheReportAndResumesWithoutExtraWork()
    {
        var dir = CliRunner.TempDir();
        try
        {
            var (code, output, error) = CliRunner.Run(Tiny(dir, "--json"));
            Assert.True(code == 0, error);
            using var json = JsonDocument.Parse(output);
            var root = json.RootElement;
            Assert.Equal(4, root.GetProperty("trials_run").GetInt32());
            Assert.Equal("val_accuracy", root.GetProperty("metric").GetString());
            var trials = root.GetProperty("trials").EnumerateArray().ToList();
            Assert.Equal(4, trials.Count);
            Assert.All(trials, t => Assert.Equal("done", t.GetProperty("status").GetString()));
            Assert.All(trials, t => Assert.Equal(1, t.GetProperty("curve").GetArrayLength()));
            foreach (var key in new[] { "best", "one_se" })
            {
                var c = root.GetProperty(key);
                Assert.InRange(c.GetProperty("mean").GetDouble(), 0, 1);
                Assert.True(c.GetProperty("se").GetDouble() >= 0);
                Assert.True(c.GetProperty("params").TryGetProperty("dropout", out _));
            }
            Assert.Equal(2, root.GetProperty("configurations").GetArrayLength());
            Assert.True(root.GetProperty("regions").TryGetProperty("dropout", out _));
            Assert.True(File.Exists(Path.Combine(dir, "out", "sweep.json")));
            Assert.True(new FileInfo(Path.Combine(dir, "out", "dropout.png")).Length > 1000);

            // The same sweep again: everything is done, nothing runs, the same best comes back.
            var (code2, output2, error2) = CliRunner.Run(Tiny(dir, "--json"));
            Assert.True(code2 == 0, error2);
            using var again = JsonDocument.Parse(output2);
            Assert.Equal(0, again.RootElement.GetProperty("trials_run").GetInt32());
            Assert.Equal(root.GetProperty("best").GetProperty("mean").GetDouble(), again.RootElement.GetProperty("best").GetProperty("mean").GetDouble());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TrialsSideBySideGiveWhatTheyGiveOneAtATime()
    {
        // At 2 threads two workers claim and run trials side by side (one store connection each); at 1, one worker runs them all.
        var (one, two) = (CliRunner.TempDir(), CliRunner.TempDir());
        try
        {
            var pair = CliRunner.Run(Tiny(two, "--json"));
            var single = CliRunner.Run(TinyAt("1", one, "--json"));
            Assert.True(single.ExitCode == 0, single.Error);
            Assert.True(pair.ExitCode == 0, pair.Error);
            static List<string> Curves(string output)
            {
                using var json = JsonDocument.Parse(output);
                return [.. json.RootElement.GetProperty("trials").EnumerateArray()
                    .Select(t => $"{t.GetProperty("config")} {t.GetProperty("repeat")} {t.GetProperty("curve")}").Order()];
            }
            Assert.Equal(Curves(single.Out), Curves(pair.Out));
        }
        finally
        {
            Directory.Delete(one, recursive: true);
            Directory.Delete(two, recursive: true);
        }
    }

    [Fact]
    public void ResumeRerunsTrialsLeftRunningByADeadWorker()
    {
        var dir = CliRunner.TempDir();
        try
        {
            Assert.Equal(0, CliRunner.Run(Tiny(dir)).ExitCode);
            // Pretend one trial was being run by a process that died, another never started.
            using (var db = new SqliteConnection($"Data Source={Path.Combine(dir, "sweep.db")};Pooling=False"))
            {
                db.Open();
                using var cmd = db.CreateCommand();
                cmd.CommandText = $"""
                    UPDATE trials SET status = 'running', metric = NULL, worker = '{Environment.MachineName}:999999999:dead', heartbeat = 1e12 WHERE id = 1;
                    UPDATE trials SET status = 'pending', metric = NULL WHERE id = 2;
                    """;
                cmd.ExecuteNonQuery();
            }
            var (code, output, error) = CliRunner.Run(Tiny(dir, "--json"));
            Assert.True(code == 0, error);
            using var json = JsonDocument.Parse(output);
            Assert.Equal(2, json.RootElement.GetProperty("trials_run").GetInt32());
            Assert.All(json.RootElement.GetProperty("trials").EnumerateArray(), t => Assert.Equal("done", t.GetProperty("status").GetString()));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ADatabaseFromADifferentSweepIsRefused()
    {
        var dir = CliRunner.TempDir();
        try
        {
            Assert.Equal(0, CliRunner.Run(Tiny(dir)).ExitCode);
            var (code, _, error) = CliRunner.Run(Tiny(dir, "--seed", "2"));
            Assert.NotEqual(0, code);
            Assert.Contains("holds a different sweep", error);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void HalvingRunsRungsWithGrowingEpochs()
    {
        var dir = CliRunner.TempDir();
        try
        {
            var (code, output, error) = CliRunner.Run(["sweep", "--param", "l2=1e-5..1e-1:log", "--method", "halving", "--trials", "3", "--repeats", "1",
                "--epochs", "3", "--train-size", "100", "--validation-size", "50", "--storage", Path.Combine(dir, "h.db"), "--out", Path.Combine(dir, "out"), "--json"]);
            Assert.True(code == 0, error);
            using var json = JsonDocument.Parse(output);
            var trials = json.RootElement.GetProperty("trials").EnumerateArray().ToList();
            Assert.Equal(4, trials.Count);   // 3 configurations for 1 epoch, then the best for 3
            Assert.Equal([1, 1, 1, 3], trials.Select(t => t.GetProperty("epochs").GetInt32()));
            Assert.Equal(1, json.RootElement.GetProperty("best").GetProperty("rung").GetInt32());
            // one repeat gives no standard error, hence no one-SE choice
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("best").GetProperty("se").ValueKind);
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("one_se").ValueKind);
            Assert.Equal(1, json.RootElement.GetProperty("finalists").GetInt32());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void HalvingDownToOneConfigurationSaysThereIsNoOneSeChoice()
    {
        // Two repeats give a standard error, but only the best trains the full 3 epochs: the 1-epoch rung's scores are
        // no one-SE choice for it.
        var dir = CliRunner.TempDir();
        try
        {
            string[] args = ["sweep", "--param", "l2=1e-5..1e-1:log", "--method", "halving", "--trials", "3", "--repeats", "2",
                "--epochs", "3", "--train-size", "100", "--validation-size", "50", "--storage", Path.Combine(dir, "h.db"), "--out", Path.Combine(dir, "out")];
            var (code, output, error) = CliRunner.Run(args);
            Assert.True(code == 0, error);
            Assert.Contains("One-SE choice: none beyond the best; halving left only it to train the full 3 epochs", output);
            Assert.DoesNotContain(" one-SE", output);
            var (again, json, error2) = CliRunner.Run([.. args, "--json"]);
            Assert.True(again == 0, error2);
            using var doc = JsonDocument.Parse(json);
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("one_se").ValueKind);
            Assert.Equal(1, doc.RootElement.GetProperty("finalists").GetInt32());
            Assert.Equal(3, doc.RootElement.GetProperty("best").GetProperty("epochs").GetInt32());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("dropout=0.5..0.1", "must exceed")]
    [InlineData("momentum=0..1", "unknown parameter")]
    [InlineData("l2=1e-5..1e-1:logx", "unknown scale")]
    public void MalformedParamFailsWithOneSentence(string param, string reason)
    {
        var dir = CliRunner.TempDir();
        try
        {
            var (code, _, error) = CliRunner.Run("sweep", "--param", param, "--storage", Path.Combine(dir, "s.db"), "--out", Path.Combine(dir, "out"));
            Assert.Equal(2, code);
            Assert.Contains(param, error);
            Assert.Contains(reason, error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(File.Exists(Path.Combine(dir, "s.db")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void HelpShowsAnExample()
    {
        var (code, output, _) = CliRunner.Run("sweep", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Example: occam sweep", output);
        Assert.Contains("--storage", output);
    }
}
