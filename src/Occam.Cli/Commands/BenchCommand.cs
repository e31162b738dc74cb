using System.CommandLine;

namespace Occam.Cli.Commands;

/// <summary>`occam bench ...`: engine benchmarks. PLACEHOLDER.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks of the engine; the last line printed is JSON.");
        return command;
    }
}
