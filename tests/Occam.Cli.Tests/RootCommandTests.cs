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
    }

    [Fact]
    public void UnknownOptionFailsWithAMessage()
    {
        var (code, _, error) = CliRunner.Run("study", "--no-such-option");
        Assert.NotEqual(0, code);
        Assert.Contains("--no-such-option", error);
    }
}
