using System.Diagnostics;

namespace ExportAudit.Tests.Support;

public sealed record ProcResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the kernel's own tools (make, nm, objdump, modinfo) as oracles.</summary>
public static class Proc
{
    public static ProcResult Run(string file, IEnumerable<string> args, string? workingDirectory = null, int timeoutSeconds = 600,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["LC_ALL"] = "C";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} took more than {timeoutSeconds} s");
        }
        return new ProcResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static string Output(string file, params string[] args)
    {
        var r = Run(file, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({r.ExitCode}): {r.Stderr}");
        }
        return r.Stdout;
    }
}
