namespace ExportAudit.Model;

/// <summary>
/// The kernel's license table (include/linux/license.h): exact, case-sensitive string comparison.
/// modpost requires every <c>license=</c> entry of a module to be compatible; the loader reads only the first.
/// </summary>
public static class License
{
    /// <summary>The six strings license_is_gpl_compatible() accepts, in the kernel's order.</summary>
    public static readonly IReadOnlyList<string> GplCompatible =
    [
        "GPL",
        "GPL v2",
        "GPL and additional rights",
        "Dual BSD/GPL",
        "Dual MIT/GPL",
        "Dual MPL/GPL",
    ];

    /// <summary>What the loader assumes when a module has no license= at all.</summary>
    public const string Unspecified = "unspecified";

    /// <summary>Ordinal comparison on purpose: "GPL-2.0", "GPLv2", "gpl" and "GPL " are not compatible.</summary>
    public static bool IsGplCompatible(string license)
    {
        foreach (var compatible in GplCompatible)
        {
            if (string.Equals(license, compatible, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// modpost's rule: the module is GPL-compatible unless some license= entry is not.
    /// A module without any license= counts as compatible here (modpost reports the missing license instead).
    /// Returns the first incompatible entry, or null.
    /// </summary>
    public static string? FirstIncompatible(IReadOnlyList<string> licenses)
    {
        foreach (var license in licenses)
        {
            if (!IsGplCompatible(license))
            {
                return license;
            }
        }
        return null;
    }

    /// <summary>The loader's rule: only the first license= decides; none means "unspecified".</summary>
    public static string LoaderLicense(IReadOnlyList<string> licenses) =>
        licenses.Count > 0 ? licenses[0] : Unspecified;
}
