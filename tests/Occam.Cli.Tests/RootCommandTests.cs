namespace Occam.Cli.Tests;

public class RootCommandTests
{
    [Fact]
    public void HelpListsTheCommands()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        foreach (var name in new[] { "study", "train", "sweep", "double-descent", "path", "advise", "weights", "audit", "bench" })
            Assert.Contains(name, output);
        Assert.Contains("occam [command] [options]", output);
    }

    [Fact]
    public void HelpNamesTheToolNotTheAssembly()
    {
        var (code, output, _) = CliRunner.Run("bench", "mlp", "--help");
        Assert.Equal(0, code);
        Assert.Contains("occam bench mlp [options]", output);
        Assert.DoesNotContain("Occam.Cli", output);
        (code, output, _) = CliRunner.Run("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Fact]
    public void UnknownOptionFailsWithAMessage()
    {
        var (code, _, error) = CliRunner.Run("study", "--no-such-option");
        Assert.Equal(2, code);
        Assert.Contains("study: Unrecognized command or argument '--no-such-option'", error);
        Assert.Contains("See `occam study --help`.", error);
    }

    [Fact]
    public void AValueThatDoesNotParseIsNamedInWords()
    {
        var (code, _, error) = CliRunner.Run("train", "--epochs", "abc");
        Assert.Equal(2, code);
        Assert.Contains("train: Cannot parse argument 'abc' for option '--epochs' as a whole number.", error);
        Assert.DoesNotContain("System.", error);
        (code, _, error) = CliRunner.Run("bench", "gemm", "--n", "x");
        Assert.Equal(2, code);
        Assert.Contains("bench gemm: Cannot parse argument 'x' for option '--n' as a whole number.", error);
    }
}
