using ExportAudit.Checks.Build;
using ExportAudit.Checks.Load;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;

namespace ExportAudit.Diff;

/// <summary>One difference between two export tables.</summary>
public sealed record ExportChange(RuleDescriptor Kind, string Symbol, Export? Old, Export? New);

/// <summary>
/// Compares two kernels' exports symbol by symbol, and — given modules — runs modpost's checks and the load
/// simulation against both: what fails against NEW and did not against OLD is what the upgrade breaks, with
/// the exact lines the new kernel would print. The same semantics as `check` and `simulate-load`, applied twice.
/// </summary>
public static class KernelDiff
{
    public static IReadOnlyList<ExportChange> Compare(SymbolTable old, SymbolTable @new)
    {
        var changes = new List<ExportChange>();
        foreach (var o in old.All)
        {
            var n = @new.Find(o.Name);
            if (n is null)
            {
                changes.Add(new ExportChange(DiffRules.Removed, o.Name, o, null));
                continue;
            }
            if (!o.IsGplOnly && n.IsGplOnly) changes.Add(new ExportChange(DiffRules.MadeGplOnly, o.Name, o, n));
            if (o.IsGplOnly && !n.IsGplOnly) changes.Add(new ExportChange(DiffRules.MadePlain, o.Name, o, n));
            if (o.Namespace != n.Namespace) changes.Add(new ExportChange(DiffRules.NamespaceChanged, o.Name, o, n));
            if (o.Crc is { } oc && n.Crc is { } nc && oc != nc) changes.Add(new ExportChange(DiffRules.CrcChanged, o.Name, o, n));
            if (o.Owner != n.Owner) changes.Add(new ExportChange(DiffRules.OwnerChanged, o.Name, o, n));
        }
        foreach (var n in @new.All)
        {
            if (old.Find(n.Name) is null)
            {
                changes.Add(new ExportChange(DiffRules.Added, n.Name, null, n));
            }
        }
        return changes.OrderBy(c => c.Symbol, StringComparer.Ordinal).ThenBy(c => c.Kind.Id, StringComparer.Ordinal).ToArray();
    }

    public static Finding ToFinding(ExportChange change)
    {
        var export = change.New ?? change.Old!;
        string Describe(Export? e) => e is null ? "not exported"
            : $"{e.Kind.MacroName()}{(e.Namespace is { } ns ? $" in {ns}" : "")} by {e.OwnerName}{(e.Crc is { } crc ? $", CRC 0x{crc:x8}" : "")}";
        return new Finding(change.Kind, change.Kind.DefaultSeverity, export.OwnerName, change.Symbol, export.Namespace, export.OwnerName,
            $"{change.Symbol}: {Describe(change.Old)} -> {Describe(change.New)}",
            new Evidence { Export = change.New, PreviousExport = change.Old })
        { Location = export.Definition ?? export.ReadFrom };
    }

    /// <summary>modpost's findings against NEW that it did not have against OLD, by fingerprint (module, rule, symbol, namespace, exporter).</summary>
    public static IEnumerable<Finding> NewlyBroken(IReadOnlyList<KernelModule> modules, SymbolTable oldTable, SymbolTable newTable,
        IReadOnlyList<ExportChange> changes, IReadOnlySet<string> oldKeys, IReadOnlySet<string> newKeys)
    {
        var before = ModpostChecks.Run(new BuildContext(oldTable, oldTable.HasModversions), modules, oldKeys)
            .Select(f => (f.Rule.Id, f.Module, f.Symbol, f.Namespace)).ToHashSet();
        foreach (var f in ModpostChecks.Run(new BuildContext(newTable, newTable.HasModversions), modules, newKeys))
        {
            if (f.Severity == Severity.Error && !before.Contains((f.Rule.Id, f.Module, f.Symbol, f.Namespace)))
            {
                yield return Wrap(DiffRules.StopsBuilding, f, changes);
            }
        }
    }

    /// <summary>Modules that load on OLD and are refused on NEW, with the new kernel's lines.</summary>
    public static IEnumerable<Finding> NewlyRefused(IReadOnlyList<KernelModule> modules, SymbolTable oldKernel, SymbolTable newKernel,
        KernelTraits oldTraits, KernelTraits newTraits, IReadOnlyList<ExportChange> changes)
    {
        var before = new LoadSimulator(oldKernel, oldTraits).LoadAll(modules).ToDictionary(l => l.Module.Name, l => l.Loaded);
        var simulator = new LoadSimulator(newKernel, newTraits);
        var after = simulator.LoadAll(modules);
        foreach (var load in after.Where(l => !l.Loaded && before.GetValueOrDefault(l.Module.Name)))
        {
            foreach (var f in simulator.Findings.Where(f => f.Module == load.Module.Name && f.Severity == Severity.Error))
            {
                yield return Wrap(DiffRules.StopsLoading, f, changes) with { Message = f.Message };
            }
        }
    }

    private static Finding Wrap(RuleDescriptor rule, Finding f, IReadOnlyList<ExportChange> changes)
    {
        var cause = changes.Where(c => c.Symbol == f.Symbol).Select(c => $"because {c.Symbol}: {c.Kind.Name}").ToArray();
        return f with
        {
            Rule = rule,
            Severity = rule.DefaultSeverity,
            Evidence = f.Evidence with { Notes = [.. f.Evidence.Notes, $"{f.Rule.Id} against the new kernel only", .. cause] },
        };
    }
}
