using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Checks.Build;

/// <summary>
/// Runs modpost's checks in modpost's order, which the modpost report keeps:
/// 1. reading: the kernel sources' clashes, then per module its missing license and its own clashes;
/// 2. per module (input order), per undefined symbol (symbol-table order): unresolved, or exported without
///    definition, or namespace then GPL-only; then that module's "has no CRC!" warnings.
/// With CONFIG_MODVERSIONS modpost adds module_layout to every module's undefined symbols, last.
/// </summary>
public static class ModpostChecks
{
    public const string ModuleLayout = "module_layout";

    public static IReadOnlyList<Finding> Run(BuildContext context, IReadOnlyList<KernelModule> modules, IReadOnlySet<string> kernelSources,
        IReadOnlyList<IModuleRule>? customModuleRules = null, IReadOnlyList<IImportRule>? customImportRules = null)
    {
        var findings = new List<Finding>();
        long order = 0;
        void Add(Finding? f)
        {
            if (f is not null)
            {
                findings.Add(f with { Order = order++ });
            }
        }

        foreach (var clash in context.Symbols.Clashes.Where(c => kernelSources.Contains(c.Source)))
        {
            Add(ExportedTwiceRule.Check(clash));
        }
        foreach (var module in modules)
        {
            Add(MissingLicenseRule.Check(module));
            foreach (var clash in context.Symbols.Clashes.Where(c => c.Source == SourceKey(module)))
            {
                Add(ExportedTwiceRule.Check(clash));
            }
        }

        foreach (var module in modules)
        {
            var resolved = new List<(Import, Export)>();
            foreach (var import in UndefinedSymbols(context, module))
            {
                var export = context.Symbols.Find(import.Name);
                if (export is null)
                {
                    Add(UnresolvedSymbolRule.Check(module, import, export));
                    continue;
                }
                if (ExportedWithoutDefinitionRule.Check(module, import, export) is { } selfExport)
                {
                    Add(selfExport);
                    continue;
                }
                Add(NamespaceNotImportedRule.Check(module, import, export));
                Add(GplOnlySymbolRule.Check(module, import, export));
                resolved.Add((import, export));
            }
            if (context.Modversions)
            {
                foreach (var (import, export) in resolved)
                {
                    Add(NoCrcRule.Check(module, import, export));
                }
            }
            // Rules the user wrote run on the same walk, after modpost's own, in a fixed order.
            var ruleContext = new RuleContext(context.Symbols, context.Modversions);
            foreach (var rule in customModuleRules ?? [])
            {
                foreach (var finding in CustomRuleRunner.Guard(rule.Descriptor, module, () => rule.Check(ruleContext, module).ToArray()))
                {
                    Add(finding);
                }
            }
            foreach (var rule in customImportRules ?? [])
            {
                foreach (var (import, export) in resolved)
                {
                    foreach (var finding in CustomRuleRunner.Guard(rule.Descriptor, module, () => rule.Check(ruleContext, module, import, export) is { } f ? [f] : []))
                    {
                        Add(finding);
                    }
                }
            }
        }
        return findings;
    }

    /// <summary>modpost's ignore_undef_symbol(): names the final link or the architecture resolves.</summary>
    public static bool IgnoredUndefined(ushort machine, string name)
    {
        if (name is "__this_module" or "_GLOBAL_OFFSET_TABLE_")
        {
            return true;
        }
        return machine switch
        {
            Ingest.Elf.ElfView.EM_PPC => name.StartsWith("_restgpr_", StringComparison.Ordinal) || name.StartsWith("_savegpr_", StringComparison.Ordinal)
                || name.StartsWith("_rest32gpr_", StringComparison.Ordinal) || name.StartsWith("_save32gpr_", StringComparison.Ordinal)
                || name.StartsWith("_restvr_", StringComparison.Ordinal) || name.StartsWith("_savevr_", StringComparison.Ordinal),
            Ingest.Elf.ElfView.EM_PPC64 => name.StartsWith("_restgpr0_", StringComparison.Ordinal) || name.StartsWith("_savegpr0_", StringComparison.Ordinal)
                || name.StartsWith("_restgpr1_", StringComparison.Ordinal) || name.StartsWith("_savegpr1_", StringComparison.Ordinal)
                || name.StartsWith("_restfpr_", StringComparison.Ordinal) || name.StartsWith("_savefpr_", StringComparison.Ordinal)
                || name.StartsWith("_restvr_", StringComparison.Ordinal) || name.StartsWith("_savevr_", StringComparison.Ordinal)
                || name == ".TOC.",
            Ingest.Elf.ElfView.EM_S390 => name.StartsWith("__s390_indirect_jump_r", StringComparison.Ordinal),
            _ => false,
        };
    }

    /// <summary>The symbol-table key the input module's own exports were added under.</summary>
    public static string SourceKey(KernelModule module) => "input:" + module.ReadFrom;

    /// <summary>modpost's reading order: the dumps (vmlinux, Module.symvers, KBUILD_EXTRA_SYMBOLS), then the objects.</summary>
    public static SymbolTable Table(IEnumerable<(IEnumerable<Export> Exports, string Source)> dumps, IReadOnlyList<KernelModule> modules)
    {
        var builder = new SymbolTableBuilder(externalBuild: true);
        foreach (var (exports, source) in dumps)
        {
            builder.AddRange(exports, source);
        }
        foreach (var module in modules)
        {
            builder.AddRange(module.Exports, SourceKey(module));
        }
        return builder.Build();
    }

    /// <summary>
    /// The undefined symbols modpost checks, in symbol-table order. ignore_undef_symbol(): __this_module is
    /// resolved by the final link and the GOT is the linker's (the per-architecture names of PPC and s390 are
    /// left to the ELF reader, which knows the machine).
    /// </summary>
    private static IEnumerable<Import> UndefinedSymbols(BuildContext context, KernelModule module)
    {
        foreach (var import in module.Imports)
        {
            if (import.ArchRegister || IgnoredUndefined(module.Machine, import.Name))
            {
                continue;
            }
            yield return import;
        }
        if (context.Modversions && !module.Imports.Any(i => i.Name == ModuleLayout))
        {
            yield return new Import(ModuleLayout);
        }
    }
}
