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

    /// <summary>`review`: the per-patch and series view of the export changes, for the markdown and JSON writers.</summary>
    public Review.ReviewReport? Review { get; init; }

    /// <summary>Descriptors of the custom rules that ran, for SARIF's rule table.</summary>
    public IReadOnlyList<RuleDescriptor> CustomRules { get; init; } = [];

    /// <summary>The lowest severity that fails the run (--fail-on); reports that speak of failures use it.</summary>
    public Severity FailLevel { get; init; } = Severity.Error;

    /// <summary>Findings that fail the run: at or above <see cref="FailLevel"/>, neither waived nor in the baseline.</summary>
    public IEnumerable<Finding> Failing => Findings.Where(f => f.Suppression is null && f.Severity.AtLeast(FailLevel));

    public bool HasInputErrors => InputErrors.Any(e => e.Severity == Severity.Error);

    public int Count(Severity severity) => Findings.Count(f => f.Severity == severity);
}
