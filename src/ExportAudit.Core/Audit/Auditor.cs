using ExportAudit.Checks;
using ExportAudit.Checks.Build;
using ExportAudit.Checks.Load;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;

namespace ExportAudit.Audit;

/// <summary>What to audit: the kernel sources (--kernel), the inputs, and how to read them.</summary>
public sealed record AuditRequest(IReadOnlyList<string> Kernels, IReadOnlyList<string> Inputs)
{
    public ReadOptions Read { get; init; } = new();

    /// <summary>Policies, waivers, baseline: applied after the checks.</summary>
    public Policy.GateSettings Gate { get; init; } = new();

    /// <summary>Rules compiled from the user's rules directory; they run with `check`.</summary>
    public CustomRules.CompiledRules CustomRules { get; init; } = ExportAudit.CustomRules.CompiledRules.None;

    /// <summary>Problems found before the audit (config, policy, rules): reported with the rest.</summary>
    public IReadOnlyList<InputError> PriorErrors { get; init; } = [];

    public Severity FailLevel { get; init; } = Severity.Error;
}

/// <summary>
/// The library's entry point: read the kernel sources and the input modules, merge the symbol table as
/// modpost does, run a command's checks. The CLI only wires options to this.
/// </summary>
public static class Auditor
{
    /// <summary>`check`: modpost's build-time checks.</summary>
    public static AuditResult Check(AuditRequest request)
    {
        var input = Read(request);
        var kernelKeys = input.Sources.Select(s => s.Path).ToHashSet(StringComparer.Ordinal);
        var findings = ModpostChecks.Run(new BuildContext(input.Table, input.Table.HasModversions), input.Modules, kernelKeys,
            request.CustomRules.ModuleRules, request.CustomRules.ImportRules).ToList();
        return Finish("check", request, input, input.Table, findings, null);
    }

    /// <summary>`simulate-load`: what the module loader would print and decide, module by module.</summary>
    public static AuditResult SimulateLoad(AuditRequest request)
    {
        var input = Read(request);
        // The loader sees the kernel's exports; the inputs' own exports appear as each one loads.
        var kernelTable = Table(input.Sources, []);
        var simulator = new LoadSimulator(kernelTable, input.Traits);
        var loads = simulator.LoadAll(input.Modules);
        return Finish("simulate-load", request, input, kernelTable, simulator.Findings.ToList(), loads);
    }

    /// <summary>
    /// `scan-source MODEL --calls`: the laundering check over a kernel model's call graph — the seed's argument:
    /// plain exports that reach GPL-only exports, or unexported core functions, directly or through helpers.
    /// </summary>
    public static AuditResult Launder(string modelPath, int depth, AuditRequest request)
    {
        var errors = new InputErrors();
        var source = new InputLoader(errors, request.Read).LoadKernel(modelPath);
        var findings = new List<Finding>();
        var sources = new List<KernelSource>();
        var table = SymbolTable.Empty;
        if (source is { Model: { } model })
        {
            sources.Add(source);
            table = Table([source], []);
            findings.AddRange(Checks.Source.LaunderingCheck.Run(model.Functions, table, depth));
        }
        else if (source is not null)
        {
            errors.Error(modelPath, null, "--calls needs a kernel model with a call graph (calls:), a source tree or modules");
        }
        var read = new ReadResult(errors, sources, [], [], table, KernelTraits.Unknown);
        return Finish("scan-source", request, read, table, findings, null);
    }

    /// <summary>
    /// `scan-source DIR --calls`: the laundering check over a source tree's call graph (EA3001/EA3002, from each plain
    /// export through its file's helpers), and exports no other file of the tree uses (EA3003). The exporter of a
    /// source export is its file: which module it ends up in is Kbuild's business. With request.Kernels (an out-of-tree
    /// driver's source against the kernel it is for), the kernel's exports say which of the calls are GPL-only; the
    /// tree's own exports come after them, as modpost reads Module.symvers before the module's objects, and its headers'
    /// macros and inline functions are helpers of the files that call them.
    /// </summary>
    public static AuditResult LaunderTree(string root, int depth, ExportAudit.Ingest.Source.SourceScanOptions options, AuditRequest request)
    {
        var errors = new InputErrors();
        // The call graph is taken from each file's bytes as the scan reads them: the tree is read once (Build reads again
        // the few swept files where a walk turns out to start).
        using var sweep = new ExportAudit.Ingest.Source.SourceCallGraph.Sweeper();
        // The objects files are part of, from the Makefiles with every option as m (built or not under a .config): an
        // object's calls into its own files are not EA3002 (linux-source-6.1: zstd_compress's, ACPICA's, scsi_mod's).
        // Read beside the scan: it needs only the Makefiles, and took 170-300 ms of one thread on 6.1.
        var arch = options.Arch ?? (options.Config is { } config ? ExportAudit.Ingest.Source.KbuildOwners.ArchOf(config) : "x86");
        var objectsRead = Task.Run(() =>
        {
            try
            {
                return ExportAudit.Ingest.Source.KbuildOwners.Read(root.TrimEnd('/'), null, arch);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null; // a Makefile the scan cannot read either (it reports it): no objects known
            }
        });
        var scan = new ExportAudit.Ingest.Source.SourceScanner(errors, options).Scan(root.TrimEnd('/'), sweep);
        var loader = new InputLoader(errors, request.Read);
        var kernels = request.Kernels.Select(loader.LoadKernel).OfType<KernelSource>().ToList();
        // Owned by the module Kbuild builds it into, else by its file.
        static string TreeOwner(ExportAudit.Ingest.Source.SourceExport e) => e.Owner ?? e.File;
        var treeExports = scan.KernelExports(TreeOwner);
        var source = new KernelSource(scan.Root, "source tree", treeExports, KernelTraits.Unknown, null);
        var table = Table([.. kernels, source], []);
        var graph = ExportAudit.Ingest.Source.SourceCallGraph.Build(scan, sweep, options.Jobs, e => e.ToExport(TreeOwner(e)), errors, objectsRead.Result);
        // Against its kernel, the tree's calls into that kernel's header macros and inlines are followed too (under the
        // tree's .config, else the kernel's).
        var kernelConfig = options.Config ?? SourceConfig(request.Kernels).Value;
        if (HeadersOf(kernels, kernelConfig) is { } headers)
        {
            graph.FollowHeaders(headers, scan.Root, errors);
        }
        var findings = Checks.Source.LaunderingCheck.Run(graph, table, depth, options.Jobs).ToList();
        // Tracepoints, static calls and per-cpu variables are used through macros (trace_foo(), static_call(),
        // this_cpu_read()) that never spell the exported name: no in-tree-user finding for them. Nor for an X-macro
        // header's exports: each item's name is pasted, and so are its users' (cgroup_subsys_enabled(memory_cgrp_subsys)
        // pastes _enabled_key), or the compiler emits the calls (retpoline's __x86_indirect_thunk_rax).
        var generated = scan.Exports.Where(e => e.Macro.Contains("TRACEPOINT", StringComparison.Ordinal) || e.Macro.Contains("STATIC_CALL", StringComparison.Ordinal)
            || e.Macro.Contains("PER_CPU", StringComparison.Ordinal) || e.XMacroHeader is not null).Select(e => e.Symbol).ToHashSet(StringComparer.Ordinal);
        foreach (var export in treeExports.Select(e => table.Find(e.Name)!).Distinct().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (graph.Users.TryGetValue(export.Name, out var users) && users.Count == 0 && !generated.Contains(export.Name))
            {
                findings.Add(new Finding(Checks.Source.InTreeUseRules.NoInTreeUser, Checks.Source.InTreeUseRules.NoInTreeUser.DefaultSeverity, export.Owner, export.Name, export.Namespace, export.Owner,
                    $"{export.Kind.MacroName()}({export.Name}) has no user in the tree outside {export.Definition?.File}",
                    new Evidence { Export = export, Notes = ["in-tree users: 0"] })
                { Location = export.Definition });
            }
        }
        var read = new ReadResult(errors, [.. kernels, source], [], [], table, kernels.Aggregate(KernelTraits.Unknown, (merged, k) => merged.Merge(k.Traits)));
        return Finish("scan-source", request, read, table, findings, null);
    }

    /// <summary>
    /// `scan-source MODULE... --calls`: the laundering check on binaries — from each plain export of a module,
    /// its relocations to GPL-only imports (request.Kernels says which imports are GPL-only), directly or through
    /// the module's own functions.
    /// </summary>
    public static AuditResult LaunderBinaries(IReadOnlyList<string> paths, int depth, AuditRequest request)
    {
        var input = Read(request with { Inputs = paths });
        var loader = new InputLoader(input.Errors, request.Read);
        var findings = new List<Finding>();
        foreach (var module in input.Modules.Where(m => m.Exports.Any(e => !e.IsGplOnly)))
        {
            if (module.Machine == 0)
            {
                continue; // a manifest: no code to follow
            }
            try
            {
                using var bytes = loader.OpenModuleBytes(module.Path);
                var graph = ExportAudit.Ingest.Elf.ElfCallGraph.Read(module.Path, bytes.Span, module.Exports.Select(e => e.Name).ToHashSet(StringComparer.Ordinal));
                findings.AddRange(Checks.Source.LaunderingCheck.Run(graph, input.Table, depth)
                    .Where(f => input.Table.Find(f.Symbol!)?.Owner == module.ModpostName)
                    .Select(f => f with { Module = module.Name, Evidence = f.Evidence with { ModulePath = module.Path } }));
            }
            catch (InputException e)
            {
                input.Errors.Add(e.Error);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                input.Errors.Error(module.Path, null, e.Message);
            }
        }
        return Finish("scan-source", request, input, input.Table, findings, null);
    }

    /// <summary>`diff OLD NEW`: export changes between two kernels and, with modules, what stops building or loading.</summary>
    public static AuditResult Diff(string oldKernel, string newKernel, AuditRequest request)
    {
        var errors = new InputErrors();
        var loader = new InputLoader(errors, request.Read);
        var old = loader.LoadKernel(oldKernel);
        var @new = loader.LoadKernel(newKernel);
        var config = SourceConfig([newKernel, oldKernel]);
        var modules = ResolveSources(loader.LoadModules(request.Inputs, () => config.Value).Modules, new[] { old, @new }.OfType<KernelSource>(), config, errors);
        var findings = new List<Finding>();
        var sources = new List<KernelSource>();
        var newTable = SymbolTable.Empty;
        if (old is not null && @new is not null)
        {
            sources.AddRange([old, @new]);
            var oldKernelTable = Table([old], []);
            var newKernelTable = Table([@new], []);
            newTable = newKernelTable;
            var changes = ExportAudit.Diff.KernelDiff.Compare(oldKernelTable, newKernelTable);
            findings.AddRange(changes.Select(ExportAudit.Diff.KernelDiff.ToFinding));
            if (modules.Count > 0)
            {
                findings.AddRange(ExportAudit.Diff.KernelDiff.NewlyBroken(modules, Table([old], modules), Table([@new], modules), changes,
                    new HashSet<string> { old.Path }, new HashSet<string> { @new.Path }));
                findings.AddRange(ExportAudit.Diff.KernelDiff.NewlyRefused(modules, oldKernelTable, newKernelTable, old.Traits, @new.Traits, changes));
            }
        }
        var read = new ReadResult(errors, sources, modules, [], newTable, @new?.Traits ?? KernelTraits.Unknown);
        return Finish("diff", request, read, newTable, findings, null);
    }

    /// <summary>
    /// `review PATCH...`: what a patch series does to the export table and whom it breaks. request.Kernels is the
    /// kernel before the series (optional), request.Inputs the consumer modules (--modules).
    /// </summary>
    /// <param name="readStandardInput">Supplies the bytes of the patch named "-".</param>
    public static AuditResult Review(IReadOnlyList<string> patchPaths, string? tree, int depth, AuditRequest request, Func<byte[]>? readStandardInput = null)
    {
        var errors = new InputErrors();
        foreach (var prior in request.PriorErrors)
        {
            errors.Add(prior);
        }
        var patches = new List<ExportAudit.Ingest.Patch.Patch>();
        foreach (var path in patchPaths)
        {
            patches.AddRange(path == "-" && readStandardInput is not null
                ? ExportAudit.Ingest.Patch.PatchReader.Read("-", readStandardInput(), errors)
                : ExportAudit.Ingest.Patch.PatchReader.ReadFile(path, errors));
        }
        ExportAudit.Review.PatchedTree? patchedTree = null;
        if (tree is not null)
        {
            if (Directory.Exists(tree)) patchedTree = new ExportAudit.Review.PatchedTree(tree.TrimEnd('/'));
            else errors.Error(tree, null, "--tree: not a directory");
        }
        var loader = new InputLoader(errors, request.Read);
        var sources = request.Kernels.Select(loader.LoadKernel).OfType<KernelSource>().ToList();
        var config = SourceConfig(request.Kernels);
        var modules = ResolveSources(loader.LoadModules(request.Inputs, () => config.Value).Modules, sources, config, errors);
        var kernelTable = Table(sources, []);
        var traits = sources.Aggregate(KernelTraits.Unknown, (merged, source) => merged.Merge(source.Traits));
        var (report, findings) = ExportAudit.Review.PatchReviewer.Review(patches, new ExportAudit.Review.ReviewInputs
        {
            Tree = patchedTree,
            Kernel = kernelTable,
            Model = sources.Select(s => s.Model).FirstOrDefault(m => m is not null),
            Traits = traits,
            Modules = modules,
            Depth = depth,
            Jobs = request.Read.Jobs,
            Progress = request.Read.Progress,
        }, errors);
        var read = new ReadResult(errors, sources, modules, [], kernelTable, traits);
        return Finish("review", request, read, kernelTable, findings, null) with { Review = report };
    }

    /// <summary>modpost's reading order: the dumps (vmlinux, Module.symvers, KBUILD_EXTRA_SYMBOLS), then the objects.</summary>
    private static SymbolTable Table(IEnumerable<KernelSource> sources, IReadOnlyList<KernelModule> modules) =>
        ModpostChecks.Table(sources.Select(s => ((IEnumerable<Export>)s.Exports, s.Path)), modules);

    private sealed record ReadResult(
        InputErrors Errors, List<KernelSource> Sources, IReadOnlyList<KernelModule> Modules,
        IReadOnlyList<BuiltinModule> Builtins, SymbolTable Table, KernelTraits Traits);

    private static ReadResult Read(AuditRequest request)
    {
        var errors = new InputErrors();
        foreach (var prior in request.PriorErrors)
        {
            errors.Add(prior);
        }
        var loader = new InputLoader(errors, request.Read);
        var sources = new List<KernelSource>();
        foreach (var path in request.Kernels)
        {
            if (loader.LoadKernel(path) is { } source)
            {
                sources.Add(source);
            }
        }
        var config = SourceConfig(request.Kernels);
        var inputs = loader.LoadModules(request.Inputs, () => config.Value);
        // A /lib/modules tree given as INPUT brings its build/Module.symvers: the kernel it was built for,
        // used when no --kernel was given.
        if (request.Kernels.Count == 0)
        {
            foreach (var symvers in inputs.ImpliedSymvers.Distinct(StringComparer.Ordinal))
            {
                if (loader.LoadKernel(symvers) is { } source)
                {
                    sources.Add(source);
                }
            }
        }
        var traits = sources.Aggregate(KernelTraits.Unknown, (merged, source) => merged.Merge(source.Traits));
        var modules = ResolveSources(inputs.Modules, sources, config, errors);
        return new ReadResult(errors, sources, modules, inputs.Builtins, Table(sources, modules), traits);
    }

    // The first kernel's .config: the #if of modules given as source and of the headers they include is evaluated
    // under it. Read once, and only when a module is given as source.
    private static Lazy<Ingest.Config.KernelConfig?> SourceConfig(IReadOnlyList<string> kernels) =>
        new(() => kernels.Select(InputLoader.ConfigBeside).FirstOrDefault(c => c is not null));

    /// <summary>Modules given as source: the names their code uses become imports once the exports are known (the
    /// kernels' and the other inputs'), in first-use order, followed through the first kernel's headers that are there.</summary>
    private static IReadOnlyList<KernelModule> ResolveSources(IReadOnlyList<KernelModule> modules, IEnumerable<KernelSource> sources,
        Lazy<Ingest.Config.KernelConfig?> config, InputErrors errors)
    {
        if (modules.All(m => m.SourceReferences is null))
        {
            return modules;
        }
        var kernels = sources.ToList();
        var exported = kernels.SelectMany(s => s.Exports).Concat(modules.SelectMany(m => m.Exports)).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        var headers = HeadersOf(kernels, config.Value);
        return modules.Select(m => ExportAudit.Ingest.Source.ModuleSourceReader.Resolve(m, exported.Contains, headers, errors)).ToArray();
    }

    // The headers of the first kernel that has them beside it (a build tree, Debian's split headers, a source tree).
    private static ExportAudit.Ingest.Source.KernelHeaders? HeadersOf(IEnumerable<KernelSource> kernels, Ingest.Config.KernelConfig? config) =>
        kernels.Select(k => ExportAudit.Ingest.Source.KernelHeaders.Locate(k.Path, config)).FirstOrDefault(h => h is not null);

    private static AuditResult Finish(string command, AuditRequest request, ReadResult input, SymbolTable table, List<Finding> findings, IReadOnlyList<ModuleLoadResult>? loads)
    {
        findings = Policy.PolicyEngine.Apply(findings, input.Modules, input.Table, request.Gate);
        var inputErrors = input.Errors.Snapshot();
        foreach (var error in inputErrors.Where(e => e.Severity == Severity.Error))
        {
            findings.Add(new Finding(InputRules.Unreadable, Severity.Error, error.Path, null, null, null, error.Message,
                new Evidence { ModulePath = error.Path })
            { Location = new Site(error.Path, error.Line), Order = long.MaxValue });
        }
        return new AuditResult(command, input.Sources, table, input.Modules, findings, inputErrors, loads)
        {
            Builtins = input.Builtins,
            FailLevel = request.FailLevel,
            CustomRules = request.CustomRules.Descriptors.ToArray(),
        };
    }
}
