using System.CommandLine;

namespace Occam.Cli.Commands;

/// <summary>`occam audit`: PLACEHOLDER, being written.</summary>
internal static class AuditCommand
{
    public static Command Create() => new("audit", "(not yet available)");
}
