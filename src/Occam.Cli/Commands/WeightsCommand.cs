using System.CommandLine;

namespace Occam.Cli.Commands;

/// <summary>`occam weights`: PLACEHOLDER, being written.</summary>
internal static class WeightsCommand
{
    public static Command Create() => new("weights", "(not yet available)");
}
