using ExportAudit.Ingest.Config;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Source;

/// <summary>An export found in source: the macro that made it, where, and under which #if branch (null: unconditional).</summary>
public sealed record SourceExport(string Symbol, ExportKind Kind, string? Namespace, string File, int Line, string Macro, string? Condition)
{
    /// <summary>Where Kbuild builds the file under the --kconfig: "vmlinux" or a modpost module name; null without a config or when unknown.</summary>
    public string? Owner { get; init; }

    /// <summary>The X-macro header whose invocations made the export, where the file includes it (kernel/cgroup/cgroup.c's
    /// SUBSYS keys, from include/linux/cgroup_subsys.h); null for an export the file's own text makes.</summary>
    public string? XMacroHeader { get; init; }

    public Export ToExport(string owner) => new(Symbol, Kind, Namespace, owner, null, new Site(File, Line), new Site(File, Line));
}

/// <summary>What a source file declares of its module: MODULE_LICENSE values and MODULE_IMPORT_NS namespaces.</summary>
public sealed record SourceLicense(string File, int Line, IReadOnlyList<string> Licenses, IReadOnlyList<string> ImportNamespaces);

public sealed record SourceScanOptions
{
    /// <summary>A kernel .config: #if over CONFIG_ symbols is evaluated; without one every branch but #if 0 counts.</summary>
    public KernelConfig? Config { get; init; }
    /// <summary>Keep arch/NAME and drop the other architectures.</summary>
    public string? Arch { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public Action<int, int>? Progress { get; init; }
}

/// <summary>Something that wants each file's bytes during a scan (<see cref="SourceScanner.Scan(string, ISourceFileVisitor?)"/>), from the scan's workers.</summary>
public interface ISourceFileVisitor
{
    /// <summary>The files, relative to the root, before any is read; Visit's index is into this list.</summary>
    void Begin(IReadOnlyList<string> files);

    /// <summary>A file's bytes (not binary, not too large); called from several threads at once, each file once.</summary>
    /// <param name="exports">What the file's invocations say it may export, before the tree's wrappers are known.</param>
    void Visit(int index, ReadOnlySpan<byte> data, SourceFileExports exports);
}

/// <summary>What a file may export, as the scan sees it when it reads the file (wrappers defined elsewhere unresolved).</summary>
public enum SourceFileExports
{
    /// <summary>Surely nothing: it invokes no export macro nor anything that may be a wrapper.</summary>
    None,
    /// <summary>Only through export.h's GPL-only macros (EXPORT_SYMBOL_GPL, EXPORT_SYMBOL_NS_GPL, ...).</summary>
    GplOnly,
    /// <summary>Anything else: a plain export macro, or a name that may be a wrapper of one.</summary>
    Any,
}

public sealed record SourceScan(string Root, IReadOnlyList<SourceExport> Exports, IReadOnlyList<SourceLicense> Licenses, int FilesRead, int FilesTokenized)
{
    /// <summary>Every .c, .h and .S file the scan looked at, relative to the root, in ordinal order.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>With a --kconfig: Kbuild's placement of the tree's files (null without one).</summary>
    public KbuildOwners? Owners { get; init; }

    /// <summary>
    /// The scan as a kernel's export table: one export per symbol — #if and architecture variants are alternatives,
    /// not a symbol exported twice: one the --kconfig builds stands for them, then an unconditional one (with a .config,
    /// mm/vmalloc.c's vmalloc, built into vmlinux, and not mm/nommu.c's, which only !MMU kernels build) — owned as
    /// <paramref name="owner"/> says; an export whose owner is null (a file that is not built) is left out.
    /// </summary>
    public IReadOnlyList<Export> KernelExports(Func<SourceExport, string?> owner) =>
        Exports.OrderBy(e => e.Owner is null ? 1 : 0).ThenBy(e => e.Condition is null ? 0 : 1)
            .Select(e => owner(e) is { } o ? e.ToExport(o) : null)
            .OfType<Export>()
            .DistinctBy(e => e.Name)
            .ToArray();
}
