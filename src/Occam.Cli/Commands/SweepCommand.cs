using System.CommandLine;

namespace Occam.Cli.Commands;

/// <summary>`occam sweep`: PLACEHOLDER, being written.</summary>
internal static class SweepCommand
{
    public static Command Create() => new("sweep", "(not yet available)");
}
