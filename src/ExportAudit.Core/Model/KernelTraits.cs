namespace ExportAudit.Model;

/// <summary>
/// The kernel configuration the loader's behaviour depends on, as far as the sources tell it. Read from a
/// kernel's .config (the headers package has one beside Module.symvers) or a kernel model; null = not said.
/// </summary>
public sealed record KernelTraits
{
    /// <summary>CONFIG_MODULE_SIG: unsigned modules print the verification notice and get taint E.</summary>
    public bool? ModuleSig { get; init; }
    /// <summary>CONFIG_MODULE_FORCE_LOAD: a module without __versions loads with a forced-load taint.</summary>
    public bool? ForceLoad { get; init; }
    /// <summary>CONFIG_MODULE_ALLOW_MISSING_NAMESPACE_IMPORTS: a missing import is a warning, not a refusal.</summary>
    public bool? AllowMissingNamespaceImports { get; init; }
    /// <summary>The kernel's vermagic string, when known.</summary>
    public string? Vermagic { get; init; }

    public static KernelTraits Unknown { get; } = new();

    // Defaults when no source says: no signing notice (it would only be a guess), force-load as on
    // distribution kernels, namespace imports enforced as upstream.
    public bool EffectiveModuleSig => ModuleSig ?? false;
    public bool EffectiveForceLoad => ForceLoad ?? true;
    public bool EffectiveAllowMissingNamespaceImports => AllowMissingNamespaceImports ?? false;

    /// <summary>The first source that says something wins, as the first --kernel is the kernel itself.</summary>
    public KernelTraits Merge(KernelTraits later) => new()
    {
        ModuleSig = ModuleSig ?? later.ModuleSig,
        ForceLoad = ForceLoad ?? later.ForceLoad,
        AllowMissingNamespaceImports = AllowMissingNamespaceImports ?? later.AllowMissingNamespaceImports,
        Vermagic = Vermagic ?? later.Vermagic,
    };
}
