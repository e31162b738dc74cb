using System.CommandLine;

namespace Occam.Cli.Commands;

/// <summary>`occam double-descent`: PLACEHOLDER, being written.</summary>
internal static class DoubleDescentCommand
{
    public static Command Create() => new("double-descent", "(not yet available)");
}
