using ExportAudit.Model;

namespace ExportAudit.Checks.Build;

/// <summary>What modpost knows when it checks a module: the merged symbol table and whether the kernel has CONFIG_MODVERSIONS.</summary>
public sealed record BuildContext(SymbolTable Symbols, bool Modversions);
