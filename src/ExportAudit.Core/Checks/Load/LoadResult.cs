using ExportAudit.Model;

namespace ExportAudit.Checks.Load;

/// <summary>One line the kernel would print: its printk level (err, warn, notice) and the exact text.</summary>
public sealed record KernelLogLine(string Level, string Text);

/// <summary>The outcome of one simulated insmod.</summary>
public sealed record ModuleLoadResult(
    KernelModule Module,
    IReadOnlyList<KernelLogLine> Log,
    int Errno,
    string ModuleTaints,
    string KernelTaintsAfter)
{
    public bool Loaded => Errno == 0;

    public string Outcome => Loaded ? "loaded" : $"refused ({Errno} {Errnos.Name(Errno)})";
}

public static class Errnos
{
    public const int ENOENT = -2;
    public const int ENOEXEC = -8;
    public const int EINVAL = -22;

    public static string Name(int errno) => errno switch
    {
        0 => "",
        ENOENT => "ENOENT",
        ENOEXEC => "ENOEXEC",
        EINVAL => "EINVAL",
        _ => "E?",
    };
}
