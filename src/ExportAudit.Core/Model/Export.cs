namespace ExportAudit.Model;

/// <summary>The macro family an export came from. Only GPL-only-ness and the namespace matter to the checks.</summary>
public enum ExportKind
{
    /// <summary>EXPORT_SYMBOL</summary>
    Plain,
    /// <summary>EXPORT_SYMBOL_GPL</summary>
    GplOnly,
    /// <summary>EXPORT_SYMBOL_GPL_FUTURE (removed in 5.x): usable by any module, announced as becoming GPL-only.</summary>
    GplFuture,
    /// <summary>EXPORT_UNUSED_SYMBOL (removed in 5.x)</summary>
    Unused,
    /// <summary>EXPORT_UNUSED_SYMBOL_GPL (removed in 5.x)</summary>
    UnusedGpl,
}

public static class ExportKinds
{
    public static bool IsGplOnly(this ExportKind kind) => kind is ExportKind.GplOnly or ExportKind.UnusedGpl;

    /// <summary>The macro name as Module.symvers writes it.</summary>
    public static string MacroName(this ExportKind kind) => kind switch
    {
        ExportKind.Plain => "EXPORT_SYMBOL",
        ExportKind.GplOnly => "EXPORT_SYMBOL_GPL",
        ExportKind.GplFuture => "EXPORT_SYMBOL_GPL_FUTURE",
        ExportKind.Unused => "EXPORT_UNUSED_SYMBOL",
        ExportKind.UnusedGpl => "EXPORT_UNUSED_SYMBOL_GPL",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The two-valued type reports use: what the symbol means to a consumer today.</summary>
    public static string ReportType(this ExportKind kind) => kind.IsGplOnly() ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL";

    public static bool TryParse(string text, out ExportKind kind)
    {
        switch (text)
        {
            case "EXPORT_SYMBOL": kind = ExportKind.Plain; return true;
            case "EXPORT_SYMBOL_GPL": kind = ExportKind.GplOnly; return true;
            case "EXPORT_SYMBOL_GPL_FUTURE": kind = ExportKind.GplFuture; return true;
            case "EXPORT_UNUSED_SYMBOL": kind = ExportKind.Unused; return true;
            case "EXPORT_UNUSED_SYMBOL_GPL": kind = ExportKind.UnusedGpl; return true;
            default: kind = default; return false;
        }
    }
}

/// <summary>A place in a file: the source line of an export, or the row of the file it was read from.</summary>
public sealed record Site(string File, int? Line)
{
    public override string ToString() => Line is { } line ? $"{File}:{line}" : File;
}

/// <summary>
/// One exported symbol. <see cref="Owner"/> is "vmlinux" or a module name.
/// <see cref="Crc"/> is null when unknown; <see cref="CrcAbsent"/> says the source showed it has none
/// (modpost's "has no CRC!" case), which is not the same as not knowing.
/// </summary>
public sealed record Export(
    string Name,
    ExportKind Kind,
    string? Namespace,
    string Owner,
    uint? Crc,
    Site? Definition,
    Site ReadFrom)
{
    public bool CrcAbsent { get; init; }

    public bool IsGplOnly => Kind.IsGplOnly();

    public bool IsVmlinux => Owner == VmlinuxName;

    /// <summary>The owner as the loader names it: the module name without its directory.</summary>
    public string OwnerName => ModuleNames.BaseName(Owner);

    public const string VmlinuxName = "vmlinux";
}

public static class ModuleNames
{
    /// <summary>The module name of a modpost-style path ("drivers/gpu/drm/drm" → "drm").</summary>
    public static string BaseName(string modpostName)
    {
        if (modpostName.EndsWith(".c", StringComparison.Ordinal) || modpostName.EndsWith(".S", StringComparison.Ordinal))
        {
            return modpostName; // a source file as exporter (scan-source): its path names it, Kbuild decides the module
        }
        var slash = modpostName.LastIndexOf('/');
        return slash < 0 ? modpostName : modpostName[(slash + 1)..];
    }

    /// <summary>modpost's name for an object path: the path less ".o", ".ko" and any compression suffix.</summary>
    public static string FromObjectPath(string path)
    {
        foreach (var suffix in (string[])[".ko.xz", ".ko.zst", ".ko.gz", ".ko", ".o"])
        {
            if (path.EndsWith(suffix, StringComparison.Ordinal))
            {
                return path[..^suffix.Length];
            }
        }
        return path;
    }
}
