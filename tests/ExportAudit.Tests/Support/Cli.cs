using ExportAudit.Cli;

namespace ExportAudit.Tests.Support;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the exportaudit command line in-process, as a user would call it.</summary>
public static class Cli
{
    // Config discovery starts here unless a test says otherwise: a directory with no exportaudit.yaml above it.
    private static readonly string NeutralDirectory = Directory.CreateTempSubdirectory("exportaudit-cwd-").FullName;

    public static CliResult Run(params string[] args) => RunIn(NeutralDirectory, args);

    /// <summary>Runs as if started in <paramref name="workingDirectory"/> (where exportaudit.yaml discovery begins).</summary>
    public static CliResult RunIn(string workingDirectory, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var exit = ExportAuditCommand.Run(args, stdout, stderr, stderrIsTerminal: false, workingDirectory: workingDirectory);
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>A temporary directory for generated fixtures, removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("exportaudit-test-").FullName;

    public string Write(string name, string content)
    {
        var file = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
