using ExportAudit.Checks.Build;
using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Tests.Support;

/// <summary>Small in-memory modules and exports for rule tests.</summary>
public static class Make
{
    public static Export Export(string name, ExportKind kind = ExportKind.Plain, string? ns = null, string owner = "vmlinux", uint? crc = null) =>
        new(name, kind, ns, owner, crc, null, new Site("test.symvers", 1));

    public static KernelModule Module(string name, string[]? licenses = null, string[]? imports = null, string[]? importNs = null,
        Export[]? exports = null, string? path = null, int index = 0) => new()
        {
            Name = name,
            Path = path ?? name + ".ko",
            ModpostName = path is null ? name : ModuleNames.FromObjectPath(path),
            Licenses = licenses ?? ["GPL"],
            Imports = (imports ?? []).Select(i => new Import(i)).ToArray(),
            ImportNamespaces = importNs ?? [],
            Exports = exports ?? [],
            ReadFrom = new Site(name + ".yaml", 1),
            InputIndex = index,
        };

    public static SymbolTable Table(params Export[] exports)
    {
        var builder = new SymbolTableBuilder();
        builder.AddRange(exports, "kernel");
        return builder.Build();
    }

    /// <summary>modpost over kernel exports and modules, the modules' own exports joining the table as in Auditor.</summary>
    public static IReadOnlyList<Finding> Modpost(Export[] kernel, params KernelModule[] modules)
    {
        var builder = new SymbolTableBuilder();
        builder.AddRange(kernel, "kernel");
        foreach (var module in modules)
        {
            builder.AddRange(module.Exports, ModpostChecks.SourceKey(module));
        }
        var table = builder.Build();
        return ModpostChecks.Run(new BuildContext(table, table.HasModversions), modules, new HashSet<string> { "kernel" });
    }
}
