// An example custom rule: run it with `exportaudit check --rules rules/examples ...`.
// Out-of-tree modules that export symbols outside a namespace put their internal API into the kernel's
// global symbol table, where any module may bind to it; reviewers ask for EXPORT_SYMBOL_NS_GPL instead.
// Custom rules implement the same interfaces the built-in checks use: IModuleRule or IImportRule.

namespace Acme.ExportAuditRules;

public sealed class ExportsOutsideNamespaceRule : IModuleRule
{
    // Custom IDs must not start with "EA" (those are ExportAudit's) and must be unique.
    public RuleDescriptor Descriptor { get; } = new(
        "X1001", "export-outside-namespace", Severity.Warning,
        "Out-of-tree module exports a symbol outside a namespace",
        "Exports of out-of-tree modules should live in a symbol namespace (EXPORT_SYMBOL_NS_GPL), so only modules that import it can bind to them.");

    public IEnumerable<Finding> Check(RuleContext context, KernelModule module)
    {
        if (module.InTree == true)
        {
            yield break;
        }
        foreach (var export in module.Exports.Where(e => e.Namespace is null))
        {
            yield return new Finding(Descriptor, Descriptor.DefaultSeverity, module.Name, export.Name, null, export.OwnerName,
                $"{module.Name} exports {export.Name} outside a namespace",
                new Evidence { ModulePath = module.Path, Export = export })
            { Location = module.ReadFrom };
        }
    }
}
