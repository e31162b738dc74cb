[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Occam.Cli.Tests;

/// <summary>Runs `occam` in-process and captures what it prints (tests run one at a time: the console is shared).</summary>
public static class CliRunner
{
    public static (int ExitCode, string Out, string Error) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            int code = OccamCli.Run(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    /// <summary>A fresh temporary directory, deleted by the caller.</summary>
    public static string TempDir() => Directory.CreateTempSubdirectory("occam-cli-test").FullName;

    /// <summary>Runs <paramref name="test"/> in a fresh temporary directory, deleted afterwards.</summary>
    public static void InTempDir(Action<string> test)
    {
        string dir = TempDir();
        try { test(dir); }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
