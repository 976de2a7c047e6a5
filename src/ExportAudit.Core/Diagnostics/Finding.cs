using System.Security.Cryptography;
using System.Text;
using ExportAudit.Model;

namespace ExportAudit.Diagnostics;

/// <summary>
/// The facts that decided a finding, so a reader can check it without re-running anything:
/// module → symbol → exporter → export kind and namespace → export site → the license values that decided → the patch hunk.
/// </summary>
public sealed record Evidence
{
    public string? ModulePath { get; init; }
    public Site? ModuleReadFrom { get; init; }
    /// <summary>The export involved, when there is one (its kind, namespace, owner, CRC, definition site, source row).</summary>
    public Export? Export { get; init; }
    /// <summary>The export that was there first, for clashes.</summary>
    public Export? PreviousExport { get; init; }
    /// <summary>Every license= value of the module, in order.</summary>
    public IReadOnlyList<string>? Licenses { get; init; }
    /// <summary>The license value that decided, and under which rule (modpost: all must be compatible; loader: the first).</summary>
    public string? DecidingLicense { get; init; }
    public string? LicenseRule { get; init; }
    /// <summary>The patch hunk that made the change (review): "PATCHFILE:LINE FILE @@ -a,b +c,d @@".</summary>
    public string? Hunk { get; init; }
    /// <summary>Anything else that decided, one short clause each (CRC values, imported namespaces, ...).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>A finding that is reported but does not fail the run: waived (with reason, owner, expiry) or in the baseline.</summary>
public sealed record Suppression(string Kind, string Justification, string? Owner = null, DateOnly? Expires = null, Site? Source = null);

/// <summary>
/// One result of a check. <see cref="Message"/> is the kernel's own text where the kernel prints one (without
/// modpost's "ERROR: modpost: " prefix). <see cref="Order"/> is the position in the kernel's own output order,
/// used only by the modpost writer; every other report sorts by stable keys.
/// </summary>
public sealed record Finding(
    RuleDescriptor Rule,
    Severity Severity,
    string Module,
    string? Symbol,
    string? Namespace,
    string? Exporter,
    string Message,
    Evidence Evidence)
{
    public long Order { get; init; }

    /// <summary>The input file or source line a report should point at.</summary>
    public Site? Location { get; init; }

    /// <summary>Why this finding does not count: a waiver, or the baseline. Null when it counts.</summary>
    public Suppression? Suppression { get; init; }

    /// <summary>With --baseline: "new" or "unchanged" (SARIF's baselineState); null without one.</summary>
    public string? BaselineState { get; init; }

    public string Fingerprint => ComputeFingerprint(Rule.Id, Module, Symbol, Namespace, Exporter);

    /// <summary>
    /// SHA-256 over rule ID, module, symbol, namespace and exporter (NUL-separated; no paths, lines or times),
    /// first 16 bytes in hex: stable across runs, machines and line moves.
    /// </summary>
    public static string ComputeFingerprint(string ruleId, string module, string? symbol, string? ns, string? exporter)
    {
        var text = string.Join('\0', ruleId, module, symbol ?? "", ns ?? "", exporter ?? "");
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>The stable order of every report but modpost's: module, rule, symbol, then the rest.</summary>
    public static int CompareStable(Finding a, Finding b)
    {
        var c = string.CompareOrdinal(a.Module, b.Module);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Rule.Id, b.Rule.Id);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Symbol, b.Symbol);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Namespace, b.Namespace);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Exporter, b.Exporter);
        if (c != 0) return c;
        return string.CompareOrdinal(a.Message, b.Message);
    }
}
