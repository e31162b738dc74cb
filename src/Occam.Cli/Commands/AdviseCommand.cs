using System.CommandLine;

namespace Occam.Cli.Commands;

/// <summary>`occam advise`: PLACEHOLDER, being written.</summary>
internal static class AdviseCommand
{
    public static Command Create() => new("advise", "(not yet available)");
}
