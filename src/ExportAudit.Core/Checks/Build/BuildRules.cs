using ExportAudit.Diagnostics;
using ExportAudit.Model;
using ExportAudit.Checks;

namespace ExportAudit.Checks.Build;

// modpost's checks (scripts/mod/modpost.c, 6.1), one class each. Messages are modpost's, verbatim,
// without the "ERROR: modpost: " prefix the modpost writer adds. Each Check returns null when the rule
// does not apply; ModpostChecks decides the order.

/// <summary>read_symbols(): a module without MODULE_LICENSE(). modpost then treats it as GPL-compatible.</summary>
public sealed class MissingLicenseRule : IModuleRule
{
    public static readonly MissingLicenseRule Instance = new();

    RuleDescriptor IModuleRule.Descriptor => Descriptor;

    IEnumerable<Finding> IModuleRule.Check(RuleContext context, KernelModule module) => Check(module) is { } f ? [f] : [];

    public static readonly RuleDescriptor Descriptor = new(
        "EA1005", "missing-module-license", Severity.Error,
        "Module has no MODULE_LICENSE()",
        "modpost refuses to link a module without a license= entry. At load time the kernel would treat it as 'unspecified', which is not GPL-compatible, and taint itself.");

    public static Finding? Check(KernelModule module)
    {
        if (module.Licenses.Count > 0)
        {
            return null;
        }
        return new Finding(Descriptor, Descriptor.DefaultSeverity, module.Name, null, null, null,
            $"missing MODULE_LICENSE() in {module.ModpostName}.o",
            new Evidence { ModulePath = module.Path, ModuleReadFrom = module.ReadFrom, Licenses = module.Licenses })
        { Location = module.ReadFrom };
    }
}

/// <summary>sym_add_exported(): a symbol exported where it already was (vmlinux, or the same module; any module outside an M= build).</summary>
public static class ExportedTwiceRule
{
    public static readonly RuleDescriptor Descriptor = new(
        "EA1006", "exported-twice", Severity.Error,
        "Symbol exported twice",
        "Two exports of one name: the later one replaces the earlier, so which code a consumer binds to depends on link order. modpost reports a clash with vmlinux or within one module; in an external (M=) build it silently takes a module's re-export of another module's symbol.");

    public static Finding Check(ExportClash clash)
    {
        var previous = clash.Previous;
        var current = clash.Current;
        var where = previous.IsVmlinux ? previous.Owner : previous.Owner + ".ko";
        return new Finding(Descriptor, Descriptor.DefaultSeverity, current.OwnerName, current.Name, current.Namespace, previous.OwnerName,
            $"{current.Owner}: '{current.Name}' exported twice. Previous export was in {where}",
            new Evidence { Export = current, PreviousExport = previous })
        { Location = current.Definition ?? current.ReadFrom };
    }
}

/// <summary>check_exports(): an undefined symbol nobody exports. Weak ones are allowed to stay unresolved.</summary>
public static class UnresolvedSymbolRule
{
    public static readonly RuleDescriptor Descriptor = new(
        "EA1003", "unresolved-symbol", Severity.Error,
        "Symbol not exported by the kernel or any module",
        "The module calls a symbol that no --kernel source and no other input exports: the kernel does not export it to modules (or not in this version or flavour). The build fails; an insmod would print 'Unknown symbol'.");

    public static Finding? Check(KernelModule module, Import import, Export? export)
    {
        if (export is not null || import.Weak)
        {
            return null;
        }
        return new Finding(Descriptor, Descriptor.DefaultSeverity, module.Name, import.Name, null, null,
            $"\"{import.Name}\" [{module.ModpostName}.ko] undefined!",
            new Evidence { ModulePath = module.Path, ModuleReadFrom = module.ReadFrom })
        { Location = import.ReferencedAt ?? module.ReadFrom };
    }
}

/// <summary>check_exports(): a module imports a symbol it exports itself.</summary>
public static class ExportedWithoutDefinitionRule
{
    public static readonly RuleDescriptor Descriptor = new(
        "EA1004", "exported-without-definition", Severity.Error,
        "Symbol exported without a definition",
        "The module exports a symbol it does not define (it is also in its undefined list): an EXPORT_SYMBOL of a declaration only.");

    public static Finding? Check(KernelModule module, Import import, Export export)
    {
        if (export.Owner != module.ModpostName)
        {
            return null;
        }
        return new Finding(Descriptor, Descriptor.DefaultSeverity, module.Name, import.Name, export.Namespace, export.OwnerName,
            $"\"{import.Name}\" [{module.ModpostName}.ko] was exported without definition",
            new Evidence { ModulePath = module.Path, ModuleReadFrom = module.ReadFrom, Export = export })
        { Location = export.Definition ?? module.ReadFrom };
    }
}

/// <summary>check_exports(): a symbol from a namespace the module does not MODULE_IMPORT_NS().</summary>
public sealed class NamespaceNotImportedRule : IImportRule
{
    public static readonly NamespaceNotImportedRule Instance = new();

    RuleDescriptor IImportRule.Descriptor => Descriptor;

    Finding? IImportRule.Check(RuleContext context, KernelModule module, Import import, Export export) => Check(module, import, export);

    public static readonly RuleDescriptor Descriptor = new(
        "EA1002", "namespace-not-imported", Severity.Error,
        "Symbol from a namespace the module does not import",
        "The export lives in a symbol namespace; the module must say MODULE_IMPORT_NS(NS). modpost fails the build (unless KBUILD_MODPOST_WARN/allow-missing-ns), and the loader refuses the symbol with -EINVAL.");

    public static Finding? Check(KernelModule module, Import import, Export export)
    {
        if (export.Namespace is not { } ns || module.ImportNamespaces.Contains(ns, StringComparer.Ordinal))
        {
            return null;
        }
        var imported = module.ImportNamespaces.Count == 0 ? "none" : string.Join(", ", module.ImportNamespaces);
        return new Finding(Descriptor, Descriptor.DefaultSeverity, module.Name, export.Name, ns, export.OwnerName,
            $"module {module.ModpostBaseName} uses symbol {export.Name} from namespace {ns}, but does not import it.",
            new Evidence { ModulePath = module.Path, ModuleReadFrom = module.ReadFrom, Export = export, Notes = [$"imported namespaces: {imported}", .. SourceImportNotes.For(import)] })
        { Location = import.ReferencedAt ?? module.ReadFrom };
    }
}

/// <summary>For a module given as source: where its code names the symbol, and the header macros and inline functions
/// in between (the compiler may fold some of those branches away; the built module is the final word).</summary>
internal static class SourceImportNotes
{
    public static IReadOnlyList<string> For(Import import) => import.ReferencedAt is not { } at ? []
        : import.Via is { } via ? [$"used at {at} through the kernel headers: {string.Join(" -> ", via)}"]
        : [$"used at {at}"];
}

/// <summary>check_exports(): a GPL-only export used by a module one of whose license= entries is not GPL-compatible.</summary>
public sealed class GplOnlySymbolRule : IImportRule
{
    public static readonly GplOnlySymbolRule Instance = new();

    RuleDescriptor IImportRule.Descriptor => Descriptor;

    Finding? IImportRule.Check(RuleContext context, KernelModule module, Import import, Export export) => Check(module, import, export);

    public static readonly RuleDescriptor Descriptor = new(
        "EA1001", "gpl-only-symbol", Severity.Error,
        "GPL-only symbol used by a GPL-incompatible module",
        "EXPORT_SYMBOL_GPL marks an interface only GPL-compatible modules may use. modpost requires every license= of the module to be one of the six compatible strings, compared exactly: 'GPL-2.0', 'GPLv2' and 'GPL ' are not among them.");

    public static Finding? Check(KernelModule module, Import import, Export export)
    {
        if (!export.IsGplOnly || License.FirstIncompatible(module.Licenses) is not { } deciding)
        {
            return null;
        }
        return new Finding(Descriptor, Descriptor.DefaultSeverity, module.Name, export.Name, export.Namespace, export.OwnerName,
            $"GPL-incompatible module {module.ModpostBaseName}.ko uses GPL-only symbol '{export.Name}'",
            new Evidence
            {
                ModulePath = module.Path, ModuleReadFrom = module.ReadFrom, Export = export,
                Licenses = module.Licenses, DecidingLicense = deciding,
                LicenseRule = "modpost: every license= must be GPL-compatible",
                Notes = SourceImportNotes.For(import),
            })
        { Location = import.ReferencedAt ?? module.ReadFrom };
    }
}

/// <summary>add_versions(): with CONFIG_MODVERSIONS, a resolved symbol whose exporter has no CRC.</summary>
public sealed class NoCrcRule : IImportRule
{
    public static readonly NoCrcRule Instance = new();

    RuleDescriptor IImportRule.Descriptor => Descriptor;

    Finding? IImportRule.Check(RuleContext context, KernelModule module, Import import, Export export) => Check(module, import, export);

    public static readonly RuleDescriptor Descriptor = new(
        "EA1007", "symbol-has-no-crc", Severity.Warning,
        "Resolved symbol has no CRC",
        "The kernel uses CONFIG_MODVERSIONS but the exporter of this symbol has no CRC for it, so the module cannot record the version it was built against and the loader cannot check it.");

    public static Finding? Check(KernelModule module, Import import, Export export)
    {
        if (!export.CrcAbsent)
        {
            return null;
        }
        return new Finding(Descriptor, Descriptor.DefaultSeverity, module.Name, import.Name, export.Namespace, export.OwnerName,
            $"\"{import.Name}\" [{module.ModpostName}.ko] has no CRC!",
            new Evidence { ModulePath = module.Path, ModuleReadFrom = module.ReadFrom, Export = export })
        { Location = module.ReadFrom };
    }
}
