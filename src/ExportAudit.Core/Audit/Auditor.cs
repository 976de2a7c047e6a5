using ExportAudit.Checks;
using ExportAudit.Checks.Build;
using ExportAudit.Checks.Load;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;

namespace ExportAudit.Audit;

/// <summary>
/// The library's entry point: read the kernel sources and the input modules, merge the symbol table as
/// modpost does, run a command's checks. The CLI only wires options to this.
/// </summary>
public static class Auditor
{
    /// <summary>`check`: modpost's build-time checks.</summary>
    public static AuditResult Check(IReadOnlyList<string> kernels, IReadOnlyList<string> inputs)
    {
        var (errors, sources, modules, table, _) = Read(kernels, inputs);
        var kernelKeys = sources.Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        var findings = ModpostChecks.Run(new BuildContext(table, table.HasModversions), modules, kernelKeys).ToList();
        return Finish("check", errors, sources, table, modules, findings, null);
    }

    /// <summary>`simulate-load`: what the module loader would print and decide, module by module.</summary>
    public static AuditResult SimulateLoad(IReadOnlyList<string> kernels, IReadOnlyList<string> inputs)
    {
        var (errors, sources, modules, _, traits) = Read(kernels, inputs);
        // The loader sees the kernel's exports; the inputs' own exports appear as each one loads.
        var kernelOnly = new SymbolTableBuilder();
        foreach (var source in sources)
        {
            kernelOnly.AddRange(source.Exports, source.Path);
        }
        var kernelTable = kernelOnly.Build();
        var simulator = new LoadSimulator(kernelTable, traits);
        var loads = simulator.LoadAll(modules);
        return Finish("simulate-load", errors, sources, kernelTable, modules, simulator.Findings.ToList(), loads);
    }

    private static (InputErrors, List<KernelSource>, IReadOnlyList<KernelModule>, SymbolTable, KernelTraits) Read(
        IReadOnlyList<string> kernels, IReadOnlyList<string> inputs)
    {
        var errors = new InputErrors();
        var loader = new InputLoader(errors);
        var sources = new List<KernelSource>();
        foreach (var path in kernels)
        {
            if (loader.LoadKernel(path) is { } source)
            {
                sources.Add(source);
            }
        }
        var modules = loader.LoadModules(inputs);
        // modpost's reading order: the dumps (vmlinux, Module.symvers, KBUILD_EXTRA_SYMBOLS), then the objects.
        var builder = new SymbolTableBuilder(externalBuild: true);
        var traits = KernelTraits.Unknown;
        foreach (var source in sources)
        {
            builder.AddRange(source.Exports, source.Path);
            traits = traits.Merge(source.Traits);
        }
        foreach (var module in modules)
        {
            builder.AddRange(module.Exports, ModpostChecks.SourceKey(module));
        }
        return (errors, sources, modules, builder.Build(), traits);
    }

    private static AuditResult Finish(string command, InputErrors errors, List<KernelSource> sources, SymbolTable table,
        IReadOnlyList<KernelModule> modules, List<Finding> findings, IReadOnlyList<ModuleLoadResult>? loads)
    {
        var inputErrors = errors.Snapshot();
        foreach (var error in inputErrors.Where(e => e.Severity == Severity.Error))
        {
            findings.Add(new Finding(InputRules.Unreadable, Severity.Error, error.Path, null, null, null, error.Message,
                new Evidence { ModulePath = error.Path })
            { Location = new Site(error.Path, error.Line), Order = long.MaxValue });
        }
        return new AuditResult(command, sources, table, modules, findings, inputErrors, loads);
    }
}
