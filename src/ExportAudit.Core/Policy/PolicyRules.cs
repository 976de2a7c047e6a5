using ExportAudit.Diagnostics;

namespace ExportAudit.Policy;

/// <summary>The policy layer's own findings (EA5xxx).</summary>
public static class PolicyRules
{
    public static readonly RuleDescriptor Denied = new(
        "EA5001", "policy-denied-symbol", Severity.Error,
        "Policy denies this symbol, namespace or exporter to the module",
        "A deny entry of the policy matches the module and the symbol it imports (or the symbol's namespace or exporter). The entry's reason says why.");

    public static readonly RuleDescriptor NotAllowed = new(
        "EA5002", "policy-symbol-not-allowed", Severity.Error,
        "Symbol outside the module's allow list",
        "An allow entry of the policy lists what the matching modules may import; this import matches none of its symbols, namespaces or exporters.");

    public static readonly RuleDescriptor UnusedNamespaceImport = new(
        "EA5003", "unused-namespace-import", Severity.Warning,
        "MODULE_IMPORT_NS() of a namespace the module uses no symbol from",
        "The policy requires namespace discipline: a module imports exactly the namespaces it uses (what `make nsdeps` would write). An unused import widens what the module may bind to without need.");

    public static readonly RuleDescriptor LicenseDeviation = new(
        "EA5004", "license-deviation", Severity.Warning,
        "Policy accepts a license string the kernel does not",
        "The policy declares a license string compatible although the kernel's table (include/linux/license.h) does not: the findings it decided are set aside, and this warning says so, because modpost and the loader will still refuse.");

    public static readonly RuleDescriptor WaiverExpired = new(
        "EA5005", "waiver-expired", Severity.Error,
        "A waiver has expired",
        "The waiver's expiry date has passed: the findings it covered count again, and this finding asks its owner to renew or remove it.");

    public static readonly RuleDescriptor WaiverUnused = new(
        "EA5006", "waiver-unused", Severity.Note,
        "A waiver matches no finding",
        "Nothing the waiver describes was found: the problem it covered is gone, and the waiver can be removed.");

    public static IReadOnlyList<RuleDescriptor> All { get; } =
        [Denied, NotAllowed, UnusedNamespaceImport, LicenseDeviation, WaiverExpired, WaiverUnused, Checks.CustomRuleRunner.RuleFailed];
}
