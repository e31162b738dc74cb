using System.Text.Json;

namespace Occam.Cli.Tests;

public sealed class AuditCommandTests
{
    [Fact]
    public void TheTableListsEveryParameterWithItsDecay()
    {
        var (code, output, error) = CliRunner.Run("audit", "--model", "mlp", "--optimizer", "adamw", "--weight-decay", "0.05");
        Assert.True(code == 0, error);
        Assert.Contains("1.weight", output);
        Assert.Contains("no_decay", output);
        Assert.Contains("decoupled", output);
        Assert.Contains("AdamW:", output);
    }

    [Fact]
    public void JsonShowsBiasesAndNormsExemptUnderTheDefaultPolicy()
    {
        var (code, output, error) = CliRunner.Run("audit", "--model", "cnn", "--optimizer", "sgd", "--weight-decay", "0.001", "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("SGD", root.GetProperty("optimizer").GetString());
        var rows = root.GetProperty("parameters").EnumerateArray().ToList();
        var conv = rows.Single(r => r.GetProperty("name").GetString() == "0.weight");
        Assert.Equal(0.001, conv.GetProperty("decay").GetDouble());
        Assert.Equal("coupled", conv.GetProperty("coupling").GetString());
        Assert.Equal([32, 1, 3, 3], conv.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.All(rows.Where(r => r.GetProperty("name").GetString()!.EndsWith(".bias", StringComparison.Ordinal)),
            r => Assert.Equal(0, r.GetProperty("decay").GetDouble()));
        Assert.Equal(0, rows.Single(r => r.GetProperty("name").GetString() == "1.weight").GetProperty("decay").GetDouble()); // BatchNorm2d
        Assert.True(root.GetProperty("decayed_elements").GetInt64() < root.GetProperty("total_elements").GetInt64());
    }

    [Theory]
    [InlineData("nadam", "NAdam")]
    [InlineData("radam", "RAdam")]
    [InlineData("adamax", "Adamax")]
    [InlineData("adagrad", "Adagrad")]
    [InlineData("rmsprop", "RMSprop")]
    public void EveryOptimizerButAdamWCouplesItsDecay(string name, string type)
    {
        var (code, output, error) = CliRunner.Run("audit", "--optimizer", name, "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(type, doc.RootElement.GetProperty("optimizer").GetString());
        var weight = doc.RootElement.GetProperty("parameters").EnumerateArray().First(r => r.GetProperty("name").GetString()!.EndsWith(".weight", StringComparison.Ordinal));
        Assert.Equal("coupled", weight.GetProperty("coupling").GetString());
    }

    [Fact]
    public void PolicyAllDecaysEverything()
    {
        var (code, output, error) = CliRunner.Run("audit", "--policy", "all", "--optimizer", "adam", "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(doc.RootElement.GetProperty("total_elements").GetInt64(), doc.RootElement.GetProperty("decayed_elements").GetInt64());
    }

    [Fact]
    public void ProximalL1AndMaxNormShowWhichParametersTheyTouch()
    {
        var (code, output, error) = CliRunner.Run("audit", "--l1-proximal", "0.1", "--max-norm", "3", "--json");
        Assert.True(code == 0, error);
        foreach (var p in JsonDocument.Parse(output).RootElement.GetProperty("parameters").EnumerateArray())
        {
            bool kernel = p.GetProperty("group").GetString() == "decay";
            Assert.Equal(kernel ? 0.1 : 0, p.GetProperty("l1_proximal").GetDouble());
            Assert.Equal(kernel, p.GetProperty("constraint").ValueKind == JsonValueKind.String);
        }
        (code, output, error) = CliRunner.Run("audit", "--l1-proximal", "0.1");
        Assert.True(code == 0, error);
        Assert.Contains("proximal L1", output);
        (code, _, error) = CliRunner.Run("audit", "--max-norm", "-2");
        Assert.Equal(2, code);
        Assert.Contains("--max-norm must be a non-negative number, got -2", error);
    }

    [Fact]
    public void BadInputFailsWithOneSentence()
    {
        var (code, _, error) = CliRunner.Run("audit", "--weight-decay", "-1");
        Assert.NotEqual(0, code);
        Assert.Contains("--weight-decay", error);
        Assert.DoesNotContain("   at ", error);

        (code, _, error) = CliRunner.Run("audit", "--optimizer", "lion");
        Assert.NotEqual(0, code);
        Assert.Contains("lion", error);
    }

    [Fact]
    public void HelpShowsAnExample()
    {
        var (code, output, _) = CliRunner.Run("audit", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Example: occam audit", output);
    }
}
