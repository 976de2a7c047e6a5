using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Checks;

/// <summary>What a rule can see: the merged symbol table and whether the kernel has CONFIG_MODVERSIONS.</summary>
public sealed record RuleContext(SymbolTable Symbols, bool Modversions);

/// <summary>A rule that looks at a whole module (its licenses, imports, exports, modinfo). Built-in and custom rules alike.</summary>
public interface IModuleRule
{
    RuleDescriptor Descriptor { get; }

    IEnumerable<Finding> Check(RuleContext context, KernelModule module);
}

/// <summary>A rule that looks at one resolved import of a module: the module, the undefined symbol and the export it binds to.</summary>
public interface IImportRule
{
    RuleDescriptor Descriptor { get; }

    Finding? Check(RuleContext context, KernelModule module, Import import, Export export);
}
