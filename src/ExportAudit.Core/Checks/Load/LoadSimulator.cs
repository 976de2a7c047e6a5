using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Checks.Load;

/// <summary>
/// Simulates insmod of each input module on a freshly booted kernel, in dependency order, following
/// load_module() of kernel/module/main.c (6.1) step by step: module_layout's CRC, vermagic, the out-of-tree
/// and license taints, the signature notice, the taint-by-name list, then every undefined symbol in
/// symbol-table order (lookup, GPL-only use, proprietary owner, CRC, namespace). The walk over symbols goes
/// on after a failure; the load fails with the errno of the last one. Lines printed "once per boot" depend
/// on the kernel's taint, which carries from one module to the next — so the order is part of the result.
/// </summary>
public sealed class LoadSimulator
{
    private const string ModuleLayout = "module_layout";
    private static readonly string[] TaintOrder = ["P", "F", "O", "E"];

    private readonly SymbolTable _kernel;
    private readonly KernelTraits _traits;
    private readonly HashSet<string> _kernelTaints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LoadedModule> _loadedExports = new(StringComparer.Ordinal);
    private readonly List<Finding> _findings = [];
    private long _order;

    private sealed record LoadedModule(KernelModule Module, Export Export, bool Proprietary);

    /// <param name="kernel">Exports of the kernel sources. Exports owned by modules that are also inputs are ignored:
    /// those symbols exist only once that input has loaded.</param>
    public LoadSimulator(SymbolTable kernel, KernelTraits traits)
    {
        _kernel = kernel;
        _traits = traits;
    }

    public IReadOnlyList<Finding> Findings => _findings;

    public IReadOnlyList<ModuleLoadResult> LoadAll(IReadOnlyList<KernelModule> modules)
    {
        var inputNames = modules.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var results = new List<ModuleLoadResult>();
        foreach (var module in LoadOrder.Sort(modules, _kernel))
        {
            results.Add(Load(module, inputNames));
        }
        return results;
    }

    private ModuleLoadResult Load(KernelModule module, IReadOnlySet<string> inputNames)
    {
        var state = new ModuleState(module);

        // load_module(): check_modstruct_version() comes before everything else the module is checked for.
        if (!CheckModstructVersion(state))
        {
            return Finish(state, Errnos.ENOEXEC);
        }
        // layout_and_allocate() → check_modinfo()
        if (!CheckModinfo(state))
        {
            return Finish(state, Errnos.ENOEXEC);
        }
        // CONFIG_MODULE_SIG without enforcement: pr_notice_once, taint E.
        if (_traits.EffectiveModuleSig && module.Signed != true)
        {
            Taint(state, "E", "notice", $"{module.Name}: module verification failed: signature and/or required key missing - tainting kernel",
                LoadRules.Unsigned);
        }
        CheckLicenseByName(state);

        var errno = 0;
        foreach (var import in module.Imports)
        {
            if (import.ArchRegister)
            {
                continue; // the SPARC loader turns register declarations into absolute symbols
            }
            var result = ResolveSymbol(state, import, inputNames);
            if (result != 0)
            {
                errno = result;
            }
        }
        return Finish(state, errno);
    }

    private bool CheckModstructVersion(ModuleState state)
    {
        var layout = _kernel.Find(ModuleLayout);
        if (layout is not { IsVmlinux: true, Crc: not null })
        {
            return true;
        }
        return CheckVersion(state, ModuleLayout, layout);
    }

    private bool CheckModinfo(ModuleState state)
    {
        var module = state.Module;
        if (module.Vermagic is { } modmagic && _traits.Vermagic is { } kernelMagic
            && !SameMagic(modmagic, kernelMagic, module.VersionsState == VersionsState.Present))
        {
            Log(state, "err", $"{module.Name}: version magic '{modmagic}' should be '{kernelMagic}'", LoadRules.VermagicMismatch, null, null,
                notes: [$"module: {modmagic}", $"kernel: {kernelMagic}"]);
            return false;
        }
        if (module.InTree != true)
        {
            Taint(state, "O", "warn", $"{module.Name}: loading out-of-tree module taints kernel.", LoadRules.OutOfTree);
        }
        var license = License.LoaderLicense(module.Licenses);
        if (!License.IsGplCompatible(license))
        {
            Taint(state, "P", "warn", $"{module.Name}: module license '{license}' taints kernel.", LoadRules.LicenseTaint, license);
        }
        return true;
    }

    /// <summary>
    /// add_taint_module() behind a "print while the kernel lacks this taint" test: the line appears once per
    /// boot, but every module that takes the taint gets the finding (with a note when the line stayed silent).
    /// </summary>
    private void Taint(ModuleState state, string taint, string level, string text, RuleDescriptor rule, string? decidingLicense = null)
    {
        var printed = TaintKernelOnce(taint);
        state.Taints.Add(taint);
        if (printed)
        {
            state.Log.Add(new KernelLogLine(level, text));
        }
        AddFinding(state, rule, text, null, null, decidingLicense,
            printed ? null : [$"not printed on this boot: the kernel was already tainted {taint} by an earlier module"]);
    }

    // check_module_license_and_versions(): the loader's list of names it does not believe.
    private void CheckLicenseByName(ModuleState state)
    {
        var name = state.Module.Name;
        var hadP = _kernelTaints.Contains("P");
        switch (name)
        {
            case "ndiswrapper":
                _kernelTaints.Add("P"); // the kernel, not the module: ndiswrapper itself may still use GPL-only symbols
                break;
            case "driverloader":
            case "lve":
                _kernelTaints.Add("P");
                state.Taints.Add("P");
                break;
            default:
                return;
        }
        var text = $"{name}: module license taints kernel.";
        if (!hadP)
        {
            state.Log.Add(new KernelLogLine("warn", text));
        }
        AddFinding(state, LoadRules.KnownProprietaryName, text, null, null);
    }

    /// <summary>resolve_symbol() plus simplify_symbols()' handling of its result. Returns 0 or the errno.</summary>
    private int ResolveSymbol(ModuleState state, Import import, IReadOnlySet<string> inputNames)
    {
        var module = state.Module;
        var proprietary = state.Taints.Contains("P");
        var (export, owner) = Lookup(import.Name, inputNames);

        if (export is null || export.IsGplOnly && proprietary)
        {
            if (import.Weak)
            {
                return 0;
            }
            var rule = export is null ? LoadRules.UnknownSymbol : LoadRules.GplOnlyHidden;
            UnknownSymbol(state, import.Name, Errnos.ENOENT, rule, export,
                export is null ? [] : ["the module is tainted P, and GPL-only exports are invisible to it"]);
            return Errnos.ENOENT;
        }
        if (export.IsGplOnly)
        {
            state.UsingGplOnlySymbols = true;
        }
        // inherit_taint()
        if (owner is { Proprietary: true })
        {
            if (state.UsingGplOnlySymbols)
            {
                Log(state, "err", $"{module.Name}: module using GPL-only symbols uses symbols {import.Name} from proprietary module {owner.Module.Name}.",
                    LoadRules.GplShimRefused, export, null, notes: [$"GPL-only symbols used before it: {string.Join(", ", state.GplOnlyUsed)}"]);
                if (import.Weak)
                {
                    return 0;
                }
                UnknownSymbol(state, import.Name, Errnos.ENOENT, null, export, []);
                return Errnos.ENOENT;
            }
            if (!state.Taints.Contains("P"))
            {
                Log(state, "warn", $"{module.Name}: module uses symbols {import.Name} from proprietary module {owner.Module.Name}, inheriting taint.",
                    LoadRules.TaintInherited, export, null);
                state.Taints.Add("P");
            }
        }
        if (export.IsGplOnly)
        {
            state.GplOnlyUsed.Add(import.Name);
        }
        if (!CheckVersion(state, import.Name, export))
        {
            UnknownSymbol(state, import.Name, Errnos.EINVAL, null, export, []);
            return Errnos.EINVAL;
        }
        // verify_namespace_is_imported()
        if (export.Namespace is { Length: > 0 } ns && !module.ImportNamespaces.Contains(ns, StringComparer.Ordinal))
        {
            var allow = _traits.EffectiveAllowMissingNamespaceImports;
            Log(state, allow ? "warn" : "err", $"{module.Name}: module uses symbol ({import.Name}) from namespace {ns}, but does not import it.",
                LoadRules.NamespaceRefused, export, null,
                notes: [$"imported namespaces: {(module.ImportNamespaces.Count == 0 ? "none" : string.Join(", ", module.ImportNamespaces))}"],
                severity: allow ? Severity.Warning : null);
            if (!allow)
            {
                UnknownSymbol(state, import.Name, Errnos.EINVAL, null, export, []);
                return Errnos.EINVAL;
            }
        }
        return 0;
    }

    /// <summary>check_version() of kernel/module/version.c. False refuses the symbol.</summary>
    private bool CheckVersion(ModuleState state, string symbol, Export export)
    {
        var module = state.Module;
        if (export.Crc is not { } crc || module.VersionsState == VersionsState.Unknown)
        {
            return true; // the exporter has no CRC (the kernel tainted already), or the input did not say
        }
        if (module.VersionsState == VersionsState.NoSection)
        {
            // try_to_force_load(): prints once, while the kernel has no F taint yet.
            if (!_traits.EffectiveForceLoad)
            {
                AddFinding(state, LoadRules.ForcedLoad, $"{module.Name}: no __versions and the kernel lacks CONFIG_MODULE_FORCE_LOAD: refused",
                    symbol, export, severity: Severity.Error);
                return false;
            }
            var text = $"{module.Name}: {symbol}: kernel tainted.";
            if (TaintKernelOnce("F"))
            {
                Log(state, "warn", text, LoadRules.ForcedLoad, export, symbol);
            }
            state.Taints.Add("F");
            return true;
        }
        if (!module.TryGetVersion(symbol, out var built))
        {
            Log(state, "warn", $"{module.Name}: no symbol version for {symbol}", LoadRules.NoSymbolVersion, export, symbol,
                notes: [$"exporter's CRC 0x{crc:x8}"]);
            return false;
        }
        if (built != crc)
        {
            Log(state, "warn", $"{module.Name}: disagrees about version of symbol {symbol}", LoadRules.VersionMismatch, export, symbol,
                notes: [$"module built against 0x{built:x8}, exporter has 0x{crc:x8}"]);
            return false;
        }
        return true;
    }

    private void UnknownSymbol(ModuleState state, string symbol, int errno, RuleDescriptor? rule, Export? export, IReadOnlyList<string> notes)
    {
        var text = $"{state.Module.Name}: Unknown symbol {symbol} (err {errno})";
        if (rule is null)
        {
            state.Log.Add(new KernelLogLine("warn", text));
            return;
        }
        Log(state, "warn", text, rule, export, symbol, notes);
    }

    private (Export? Export, LoadedModule? Owner) Lookup(string name, IReadOnlySet<string> inputNames)
    {
        // find_symbol(): vmlinux and the kernel's own modules first, then the modules loaded so far.
        if (_kernel.Find(name) is { } export && (export.IsVmlinux || !inputNames.Contains(export.OwnerName)))
        {
            return (export, null);
        }
        return _loadedExports.TryGetValue(name, out var loaded) ? (loaded.Export, loaded) : (null, null);
    }

    private ModuleLoadResult Finish(ModuleState state, int errno)
    {
        if (errno == 0)
        {
            foreach (var export in state.Module.Exports)
            {
                _loadedExports.TryAdd(export.Name, new LoadedModule(state.Module, export, state.Taints.Contains("P")));
            }
        }
        return new ModuleLoadResult(state.Module, state.Log, errno, Letters(state.Taints), Letters(_kernelTaints));
    }

    private bool TaintKernelOnce(string taint)
    {
        var first = !_kernelTaints.Contains(taint);
        _kernelTaints.Add(taint);
        return first;
    }

    private void Log(ModuleState state, string level, string text, RuleDescriptor rule, Export? export, string? symbol,
        IReadOnlyList<string>? notes = null, Severity? severity = null)
    {
        state.Log.Add(new KernelLogLine(level, text));
        AddFinding(state, rule, text, symbol ?? export?.Name, export, notes: notes, severity: severity);
    }

    private void AddFinding(ModuleState state, RuleDescriptor rule, string text, string? symbol, Export? export,
        string? decidingLicense = null, IReadOnlyList<string>? notes = null, Severity? severity = null)
    {
        var module = state.Module;
        _findings.Add(new Finding(rule, severity ?? rule.DefaultSeverity, module.Name, symbol, export?.Namespace, export?.OwnerName, text,
            new Evidence
            {
                ModulePath = module.Path, ModuleReadFrom = module.ReadFrom, Export = export, Licenses = module.Licenses,
                DecidingLicense = decidingLicense, LicenseRule = decidingLicense is null ? null : "loader: the first license= decides",
                Notes = notes ?? [],
            })
        { Order = _order++, Location = module.ReadFrom });
    }

    /// <summary>same_magic(): with __versions, the kernel release (up to the first space) is not compared.</summary>
    internal static bool SameMagic(string moduleMagic, string kernelMagic, bool hasCrcs)
    {
        if (hasCrcs)
        {
            moduleMagic = AfterRelease(moduleMagic);
            kernelMagic = AfterRelease(kernelMagic);
        }
        return string.Equals(moduleMagic, kernelMagic, StringComparison.Ordinal);

        static string AfterRelease(string magic)
        {
            var space = magic.IndexOf(' ');
            return space < 0 ? "" : magic[space..];
        }
    }

    private static string Letters(HashSet<string> taints) => string.Concat(TaintOrder.Where(taints.Contains));

    private sealed class ModuleState(KernelModule module)
    {
        public KernelModule Module { get; } = module;
        public List<KernelLogLine> Log { get; } = [];
        public HashSet<string> Taints { get; } = new(StringComparer.Ordinal);
        public bool UsingGplOnlySymbols { get; set; }
        public List<string> GplOnlyUsed { get; } = [];
    }
}
