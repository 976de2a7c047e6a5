using ExportAudit.Diagnostics;

namespace ExportAudit.Checks.Load;

/// <summary>The loader's checks (kernel/module/main.c and version.c, 6.1): one descriptor each, stable IDs.</summary>
public static class LoadRules
{
    public static readonly RuleDescriptor LicenseTaint = new(
        "EA2001", "license-taints-kernel", Severity.Warning,
        "Module license taints the kernel",
        "The loader looks only at the first license= entry (none means 'unspecified'). An incompatible one marks the module proprietary (taint P): from then on it cannot see GPL-only exports, and the kernel is tainted.");

    public static readonly RuleDescriptor GplOnlyHidden = new(
        "EA2002", "gpl-only-symbol-hidden", Severity.Error,
        "GPL-only symbol not visible to a proprietary module",
        "A module tainted P (by its license or by inheriting taint) does not see EXPORT_SYMBOL_GPL symbols: the lookup fails and the loader prints 'Unknown symbol ... (err -2)'.");

    public static readonly RuleDescriptor GplShimRefused = new(
        "EA2003", "gpl-shim-refused", Severity.Error,
        "Module using GPL-only symbols uses symbols from a proprietary module",
        "A module that already resolved GPL-only symbols may not also use symbols of a proprietary module: that is the shape of a GPL shim passing GPL-only functionality on. The loader refuses the symbol (-ENOENT).");

    public static readonly RuleDescriptor TaintInherited = new(
        "EA2004", "proprietary-taint-inherited", Severity.Warning,
        "Module inherits proprietary taint",
        "Using a symbol of a proprietary module makes this module proprietary too (since 5.9): its later GPL-only imports are no longer visible.");

    public static readonly RuleDescriptor NamespaceRefused = new(
        "EA2005", "namespace-import-refused", Severity.Error,
        "Loader refuses a symbol from a namespace the module does not import",
        "The module's import_ns= entries do not name the export's namespace. Without CONFIG_MODULE_ALLOW_MISSING_NAMESPACE_IMPORTS the symbol fails with -EINVAL.");

    public static readonly RuleDescriptor VersionMismatch = new(
        "EA2006", "symbol-version-mismatch", Severity.Error,
        "Module disagrees about the version of a symbol",
        "The CRC in the module's __versions differs from the exporter's: the module was built against another kernel (or the entry was edited). For module_layout this refuses the whole module: the classic DKMS symptom.");

    public static readonly RuleDescriptor NoSymbolVersion = new(
        "EA2007", "no-symbol-version", Severity.Error,
        "Module has no version for a symbol",
        "The module has a __versions section but no entry for this symbol while the exporter has a CRC: the loader refuses the symbol (module_layout: the module).");

    public static readonly RuleDescriptor UnknownSymbol = new(
        "EA2008", "unknown-symbol", Severity.Error,
        "Symbol not exported by the kernel or any loaded module",
        "Nothing loaded exports this symbol (a dependency failed to load, or the kernel does not export it): 'Unknown symbol ... (err -2)'.");

    public static readonly RuleDescriptor KnownProprietaryName = new(
        "EA2009", "known-proprietary-module-name", Severity.Warning,
        "Module name the kernel taints by name",
        "The loader taints by name: ndiswrapper taints the kernel (it loads proprietary Windows drivers), driverloader and lve taint themselves as proprietary whatever their license says.");

    public static readonly RuleDescriptor ForcedLoad = new(
        "EA2010", "forced-load", Severity.Warning,
        "Module without __versions is force-loaded",
        "The kernel has CONFIG_MODVERSIONS but the module has no __versions section: with CONFIG_MODULE_FORCE_LOAD it loads unchecked and taints the kernel (F); without it, it is refused.");

    public static readonly RuleDescriptor VermagicMismatch = new(
        "EA2011", "vermagic-mismatch", Severity.Error,
        "Module version magic does not match the kernel",
        "vermagic= differs from the kernel's (the release part is ignored when the module has __versions): the module is refused with -ENOEXEC.");

    public static readonly RuleDescriptor OutOfTree = new(
        "EA2012", "out-of-tree-taint", Severity.Note,
        "Out-of-tree module taints the kernel",
        "A module without intree=Y taints the kernel (O) on load; printed once per boot.");

    public static readonly RuleDescriptor Unsigned = new(
        "EA2013", "unsigned-module", Severity.Note,
        "Unsigned module on a kernel with module signing",
        "With CONFIG_MODULE_SIG and no enforcement, an unsigned module loads but taints the kernel (E); printed once per boot.");

    public static IReadOnlyList<RuleDescriptor> All { get; } =
    [
        LicenseTaint, GplOnlyHidden, GplShimRefused, TaintInherited, NamespaceRefused, VersionMismatch,
        NoSymbolVersion, UnknownSymbol, KnownProprietaryName, ForcedLoad, VermagicMismatch, OutOfTree, Unsigned,
    ];
}
