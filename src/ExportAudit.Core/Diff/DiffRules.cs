using ExportAudit.Diagnostics;

namespace ExportAudit.Diff;

/// <summary>What changes between two kernels' export tables (EA40xx), and what it breaks (EA41xx).</summary>
public static class DiffRules
{
    public static readonly RuleDescriptor MadeGplOnly = new("EA4001", "export-made-gpl-only", Severity.Warning,
        "Export became GPL-only",
        "The symbol was a plain export and is EXPORT_SYMBOL_GPL in the new kernel: GPL-incompatible modules using it stop building, and stop loading.");
    public static readonly RuleDescriptor MadePlain = new("EA4002", "export-made-plain", Severity.Note,
        "Export is no longer GPL-only", "The symbol was EXPORT_SYMBOL_GPL and is a plain export in the new kernel.");
    public static readonly RuleDescriptor Removed = new("EA4003", "export-removed", Severity.Warning,
        "Export removed", "The new kernel does not export the symbol: modules using it stop building (undefined) and loading (Unknown symbol).");
    public static readonly RuleDescriptor Added = new("EA4004", "export-added", Severity.Note,
        "Export added", "The new kernel exports a symbol the old one did not.");
    public static readonly RuleDescriptor NamespaceChanged = new("EA4005", "export-namespace-changed", Severity.Warning,
        "Export moved to another namespace", "The symbol's namespace differs: modules must import the new one (MODULE_IMPORT_NS) or stop building and loading.");
    public static readonly RuleDescriptor CrcChanged = new("EA4006", "export-crc-changed", Severity.Note,
        "Export's CRC changed", "The symbol's version CRC differs: a module built against the old kernel is refused by the new one (disagrees about version of symbol) and must be rebuilt.");
    public static readonly RuleDescriptor OwnerChanged = new("EA4007", "export-owner-changed", Severity.Note,
        "Export moved to another module", "The symbol is exported by another module (or moved between vmlinux and a module) in the new kernel.");
    public static readonly RuleDescriptor StopsBuilding = new("EA4101", "module-stops-building", Severity.Error,
        "Module builds against the old kernel, not against the new one", "modpost reports against the new kernel what it did not report against the old one; the message is modpost's line.");
    public static readonly RuleDescriptor StopsLoading = new("EA4102", "module-stops-loading", Severity.Error,
        "Module loads on the old kernel, not on the new one", "The loader refuses on the new kernel what it accepted on the old one; the message is the kernel's line.");

    public static IReadOnlyList<RuleDescriptor> All { get; } =
        [MadeGplOnly, MadePlain, Removed, Added, NamespaceChanged, CrcChanged, OwnerChanged, StopsBuilding, StopsLoading];
}
