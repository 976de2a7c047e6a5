using ExportAudit.Checks.Load;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;

namespace ExportAudit.Audit;

/// <summary>Everything a report writer needs; writers only format it.</summary>
public sealed record AuditResult(
    string Command,
    IReadOnlyList<KernelSource> Kernels,
    SymbolTable Symbols,
    IReadOnlyList<KernelModule> Modules,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<InputError> InputErrors,
    IReadOnlyList<ModuleLoadResult>? Loads = null)
{
    /// <summary>Findings in the stable report order (module, rule, symbol, ...).</summary>
    public IReadOnlyList<Finding> SortedFindings { get; } = Findings.Order(Comparer<Finding>.Create(Finding.CompareStable)).ToArray();

    /// <summary>Findings in the kernel's own output order (modpost's).</summary>
    public IReadOnlyList<Finding> KernelOrderFindings { get; } = Findings.OrderBy(f => f.Order).ToArray();

    /// <summary>Modules built into vmlinux, from a tree's modules.builtin(.modinfo).</summary>
    public IReadOnlyList<BuiltinModule> Builtins { get; init; } = [];

    public bool HasInputErrors => InputErrors.Any(e => e.Severity == Severity.Error);

    public int Count(Severity severity) => Findings.Count(f => f.Severity == severity);
}
