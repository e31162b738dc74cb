namespace Occam.Cli.Tests;

/// <summary>--out never costs the user a file: a folder with files occam did not write is refused before any work, and
/// only occam's own earlier report is replaced.</summary>
public class OutputFolderTests
{
    public static TheoryData<string[]> Commands() => new()
    {
        { new[] { "train", "--epochs", "1", "--train-size", "200" } },
        { new[] { "study", "--only", "none", "--epochs", "1", "--train-size", "200" } },
        { new[] { "double-descent", "--sizes", "10,20" } },
        { new[] { "sweep", "--param", "l2=0,1e-3", "--repeats", "1", "--epochs", "1", "--train-size", "100", "--validation-size", "100" } },
        { new[] { "path", "--lambdas", "3", "--train-size", "200" } },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void AFolderOfOtherFilesOrAFileIsRefusedBeforeAnyWork(string[] command)
    {
        CliRunner.InTempDir(dir =>
        {
            string precious = Path.Combine(dir, "precious");
            Directory.CreateDirectory(precious);
            File.WriteAllText(Path.Combine(precious, "thesis.txt"), "years of work");
            var extra = command[0] == "sweep" ? new[] { "--storage", Path.Combine(dir, "trials.db") } : [];
            var (code, _, error) = CliRunner.Run([.. command, .. extra, "--out", precious]);
            Assert.Equal(2, code);
            Assert.Contains($"{command[0]}: --out '{precious}' is a folder with files that occam did not write", error);
            Assert.Equal(["thesis.txt"], Directory.GetFileSystemEntries(precious).Select(Path.GetFileName));
            Assert.Equal("years of work", File.ReadAllText(Path.Combine(precious, "thesis.txt")));

            string file = Path.Combine(dir, "afile");
            File.WriteAllText(file, "x");
            (code, _, error) = CliRunner.Run([.. command, .. extra, "--out", file]);
            Assert.Equal(2, code);
            Assert.Contains($"--out '{file}' is a file", error);
            Assert.Equal("x", File.ReadAllText(file));
            (code, _, error) = CliRunner.Run([.. command, .. extra, "--out", Path.Combine(file, "sub")]);
            Assert.Equal(2, code);
            Assert.Contains($"{command[0]}: --out '{Path.Combine(file, "sub")}': '{file}' is a file, so no folder can be made inside it", error);
            Assert.Equal("x", File.ReadAllText(file));
        });
    }

    [Fact]
    public void AnEarlierReportIsReplacedAndOtherFilesAreLeftAlone()
    {
        CliRunner.InTempDir(dir =>
        {
            string output = Path.Combine(dir, "report");
            Directory.CreateDirectory(output);
            var (code, _, error) = CliRunner.Run("path", "--lambdas", "3", "--train-size", "200", "--out", output);
            Assert.True(code == 0, error);
            Assert.True(File.Exists(Path.Combine(output, "path.csv")));
            File.WriteAllText(Path.Combine(output, "notes.txt"), "mine");
            // another report into the same folder: the earlier report's files go, the user's note stays
            (code, _, error) = CliRunner.Run("double-descent", "--sizes", "10,30", "--out", output);
            Assert.True(code == 0, error);
            Assert.False(File.Exists(Path.Combine(output, "path.csv")));
            Assert.Contains("30", File.ReadAllText(Path.Combine(output, "metrics.json")));
            Assert.Equal("mine", File.ReadAllText(Path.Combine(output, "notes.txt")));
            Assert.Equal(["report"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName)); // no temporary folders left
        });
    }

    [Fact]
    public void TheCurrentFolderCanHoldTheReport()
    {
        CliRunner.InTempDir(dir =>
        {
            string before = Environment.CurrentDirectory;
            try
            {
                Environment.CurrentDirectory = dir;
                var (code, _, error) = CliRunner.Run("double-descent", "--sizes", "10,20", "--out", ".");
                Assert.True(code == 0, error);
                (code, _, error) = CliRunner.Run("double-descent", "--sizes", "10,30", "--out", ".");
                Assert.True(code == 0, error);
                Assert.True(File.Exists(Path.Combine(dir, "metrics.json")));
                Assert.True(Directory.Exists(dir));
            }
            finally { Environment.CurrentDirectory = before; }
        });
    }

    [Fact]
    public void AResumedRunWritesIntoItsFolderEvenWithoutAMarker()
    {
        CliRunner.InTempDir(dir =>
        {
            string run = Path.Combine(dir, "run");
            var (code, _, error) = CliRunner.Run("train", "--epochs", "1", "--train-size", "300", "--out", run);
            Assert.True(code == 0, error);
            File.Delete(Path.Combine(run, ".occam-report")); // as a folder written before reports carried a marker
            (code, _, error) = CliRunner.Run("train", "--resume", Path.Combine(run, "checkpoint.safetensors"), "--epochs", "2");
            Assert.True(code == 0, error);
            Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "history.csv")).Length);
        });
    }

    [Fact]
    public void WhatTheRunKeepsMustLieOutsideTheReport()
    {
        CliRunner.InTempDir(dir =>
        {
            string sweep = Path.Combine(dir, "sw");
            var (code, _, error) = CliRunner.Run("sweep", "--param", "l2=0,1e-3", "--repeats", "1", "--epochs", "1", "--train-size", "100",
                "--validation-size", "100", "--storage", Path.Combine(sweep, "trials.db"), "--out", sweep);
            Assert.Equal(2, code);
            Assert.Contains("--storage", error);
            Assert.Contains("overlap", error);

            string path = Path.Combine(dir, "pe");
            (code, _, error) = CliRunner.Run("path", "--lambdas", "3", "--train-size", "200", "--out", path, "--export-data", path);
            Assert.Equal(2, code);
            Assert.Contains("--export-data", error);
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        });
    }
}

/// <summary>Bad flags are named as the user typed them, with the bad value, before any work.</summary>
public class FlagErrorTests
{
    [Theory]
    [InlineData("train: --lr must be a finite number, got NaN", "train", "--lr", "NaN")]
    [InlineData("train: --dropout must be a finite number, got Infinity", "train", "--dropout", "Infinity")]
    [InlineData("train: --train-size 100000 is more than the 6,000 training examples of --data embedded", "train", "--train-size", "100000")]
    [InlineData("path: --lambda-min-ratio must be in (0, 1), got 0", "path", "--lambda-min-ratio", "0")]
    [InlineData("path: --lambdas must be at least 2, got 1", "path", "--lambdas", "1")]
    [InlineData("path: --lambda-grid gives the λ values itself", "path", "--lambda-grid", "0.01", "--lambdas", "50")]
    [InlineData("sweep: --points must be at least 1, got 0", "sweep", "--points", "0")]
    [InlineData("sweep: --eta must be at least 2, got 1", "sweep", "--eta", "1")]
    [InlineData("double-descent: --label-noise applies to --mode mlp only", "double-descent", "--label-noise", "0.5")]
    [InlineData("double-descent: --epochs applies to --mode mlp only", "double-descent", "--epochs", "3")]
    [InlineData("double-descent: --sizes '100,10' must increase", "double-descent", "--sizes", "100,10")]
    [InlineData("train: --data-root '/nowhere' applies to --data fashion-mnist only", "train", "--data-root", "/nowhere")]
    public void AreNamedAsTyped(string message, params string[] args)
    {
        CliRunner.InTempDir(dir =>
        {
            var (code, _, error) = CliRunner.Run([.. args, "--out", Path.Combine(dir, "out")]);
            Assert.Equal(2, code);
            Assert.Contains(message, error);
            Assert.Empty(Directory.GetFileSystemEntries(dir));
        });
    }

    [Theory]
    [InlineData("run.yaml", "preset: fmnist-mlp\nlr: .nan\nepochs: 2\n", "'lr' must be a finite number, got \"NaN\"")]
    [InlineData("run.yaml", "epochs: abc\n", "'epochs' must be a whole number, got \"abc\"")]
    [InlineData("run.json", "{\"hidden\": [\"wide\"]}", "'hidden[0]' must be a whole number, got \"wide\"")]
    public void AConfigFileValueIsNamedByItsKey(string file, string text, string message)
    {
        CliRunner.InTempDir(dir =>
        {
            string config = Path.Combine(dir, file);
            File.WriteAllText(config, text);
            var (code, _, error) = CliRunner.Run("train", "--config", config, "--out", Path.Combine(dir, "out"));
            Assert.Equal(2, code);
            Assert.Contains($"train: {config}: {message}", error);
            Assert.DoesNotContain("LineNumber", error);
        });
    }

    [Fact]
    public void ASweepStorageThatIsNotADatabaseIsNamed()
    {
        CliRunner.InTempDir(dir =>
        {
            string storage = Path.Combine(dir, "notes.txt");
            File.WriteAllText(storage, "not a database, and not to be lost");
            var (code, _, error) = CliRunner.Run("sweep", "--param", "l2=0,1e-3", "--repeats", "1", "--epochs", "1", "--train-size", "100",
                "--validation-size", "100", "--storage", storage, "--out", Path.Combine(dir, "out"));
            Assert.NotEqual(0, code);
            Assert.Contains($"--storage '{storage}' is not a sweep database occam can use", error);
            Assert.Equal("not a database, and not to be lost", File.ReadAllText(storage));
        });
    }
}
