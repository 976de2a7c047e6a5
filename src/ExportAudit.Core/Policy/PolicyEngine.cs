using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Policy;

/// <summary>
/// Applies the gate to a run's findings, in this order: license deviations (set aside the findings a
/// declared license decided), deny and allow lists, namespace discipline, severity overrides, then waivers
/// (an expired one is itself a finding) and the baseline. Nothing is dropped silently: waived and baselined
/// findings stay in the report, marked, and do not fail the run.
/// </summary>
public static class PolicyEngine
{
    public static List<Finding> Apply(IReadOnlyList<Finding> findings, IReadOnlyList<KernelModule> modules, SymbolTable symbols, GateSettings gate)
    {
        var result = new List<Finding>();
        var deviations = gate.Policies.SelectMany(p => p.ExtraCompatibleLicenses.Select(l => (Policy: p, Deviation: l))).ToArray();
        var deviationFindings = new Dictionary<(string Module, string License), Finding>();
        foreach (var finding in findings)
        {
            var deviation = deviations.FirstOrDefault(d => finding.Evidence.DecidingLicense == d.Deviation.License);
            if (deviation.Deviation is not null && finding.Rule.Category is "build" or "load")
            {
                var key = (finding.Module, deviation.Deviation.License);
                if (!deviationFindings.ContainsKey(key))
                {
                    deviationFindings[key] = new Finding(PolicyRules.LicenseDeviation, PolicyRules.LicenseDeviation.DefaultSeverity, finding.Module, null, null, null,
                        $"license '{deviation.Deviation.License}' accepted by policy {deviation.Policy.Name} although the kernel does not accept it; modpost and the loader will still refuse ({deviation.Deviation.Reason})",
                        finding.Evidence with { Notes = [.. finding.Evidence.Notes, $"set aside: {finding.Rule.Id} {finding.Message}"] })
                    { Location = deviation.Deviation.Source, Order = finding.Order };
                }
                else
                {
                    var existing = deviationFindings[key];
                    deviationFindings[key] = existing with { Evidence = existing.Evidence with { Notes = [.. existing.Evidence.Notes, $"set aside: {finding.Rule.Id} {finding.Message}"] } };
                }
                continue;
            }
            result.Add(finding);
        }
        result.AddRange(deviationFindings.Values);

        foreach (var policy in gate.Policies)
        {
            result.AddRange(SymbolRules(policy, modules, symbols));
        }

        // Severity overrides: the last policy that says something about a rule wins; none drops the rule.
        var severities = new Dictionary<string, Severity?>(StringComparer.Ordinal);
        foreach (var policy in gate.Policies)
        {
            foreach (var (rule, severity) in policy.Severities)
            {
                severities[rule] = severity;
            }
        }
        result = result
            .Where(f => !severities.TryGetValue(f.Rule.Id, out var s) || s is not null)
            .Select(f => severities.TryGetValue(f.Rule.Id, out var s) ? f with { Severity = s!.Value } : f)
            .ToList();

        // Waivers, then the baseline.
        var used = new HashSet<Waiver>();
        for (var i = 0; i < result.Count; i++)
        {
            var finding = result[i];
            var waiver = gate.Waivers.FirstOrDefault(w => w.Matches(finding));
            if (waiver is null)
            {
                continue;
            }
            used.Add(waiver);
            if (waiver.Expires >= gate.Today)
            {
                result[i] = finding with { Suppression = new Suppression("waiver", waiver.Reason, waiver.Owner, waiver.Expires, waiver.Source) };
            }
        }
        foreach (var waiver in gate.Waivers)
        {
            if (waiver.Expires < gate.Today)
            {
                result.Add(new Finding(PolicyRules.WaiverExpired, PolicyRules.WaiverExpired.DefaultSeverity, ModuleOf(waiver), waiver.Symbol?.Pattern, null, null,
                    $"waiver for {waiver.Describe()} expired on {waiver.Expires:yyyy-MM-dd} (owner {waiver.Owner}: {waiver.Reason})",
                    new Evidence { Notes = [used.Contains(waiver) ? "its findings count again" : "it matched no finding either"] })
                { Location = waiver.Source });
            }
            else if (!used.Contains(waiver))
            {
                result.Add(new Finding(PolicyRules.WaiverUnused, PolicyRules.WaiverUnused.DefaultSeverity, ModuleOf(waiver), waiver.Symbol?.Pattern, null, null,
                    $"waiver for {waiver.Describe()} matches no finding: it can be removed", new Evidence())
                { Location = waiver.Source });
            }
        }
        if (gate.Baseline is { } baseline)
        {
            for (var i = 0; i < result.Count; i++)
            {
                var finding = result[i];
                var known = baseline.Contains(finding.Fingerprint);
                result[i] = finding with
                {
                    BaselineState = known ? "unchanged" : "new",
                    Suppression = finding.Suppression ?? (known ? new Suppression("baseline", "in the baseline") : null),
                };
            }
        }
        return result;
    }

    private static string ModuleOf(Waiver waiver) => waiver.Module.Pattern;

    private static IEnumerable<Finding> SymbolRules(PolicyFile policy, IReadOnlyList<KernelModule> modules, SymbolTable symbols)
    {
        foreach (var module in modules)
        {
            var denies = policy.Deny.Where(r => Glob.Any(r.Modules, module.Name)).ToArray();
            var allows = policy.Allow.Where(r => Glob.Any(r.Modules, module.Name)).ToArray();
            var usedNamespaces = new HashSet<string>(StringComparer.Ordinal);
            foreach (var import in module.Imports)
            {
                if (symbols.Find(import.Name) is not { } export || export.Owner == module.ModpostName)
                {
                    continue;
                }
                if (export.Namespace is { } ns)
                {
                    usedNamespaces.Add(ns);
                }
                foreach (var deny in denies.Where(d => d.Matches(export)))
                {
                    yield return Finding(PolicyRules.Denied, module, export, deny,
                        $"policy {policy.Name} denies {export.Name} ({export.Kind.MacroName()} by {export.OwnerName}) to {module.Name}{(deny.Reason is { } r ? ": " + r : "")}");
                }
                if (allows.Length > 0 && !allows.Any(a => a.Matches(export)))
                {
                    yield return Finding(PolicyRules.NotAllowed, module, export, allows[0],
                        $"policy {policy.Name} does not allow {export.Name} ({export.Kind.MacroName()} by {export.OwnerName}) to {module.Name}");
                }
            }
            if (policy.RequireImportNsDiscipline)
            {
                foreach (var ns in module.ImportNamespaces.Where(ns => !usedNamespaces.Contains(ns)))
                {
                    yield return new Finding(PolicyRules.UnusedNamespaceImport, PolicyRules.UnusedNamespaceImport.DefaultSeverity, module.Name, null, ns, null,
                        $"module {module.Name} imports namespace {ns} but uses no symbol from it",
                        new Evidence { ModulePath = module.Path, ModuleReadFrom = module.ReadFrom, Notes = [$"namespaces used: {(usedNamespaces.Count == 0 ? "none" : string.Join(", ", usedNamespaces.Order(StringComparer.Ordinal)))}"] })
                    { Location = module.ReadFrom };
                }
            }
        }
    }

    private static Finding Finding(Diagnostics.RuleDescriptor rule, KernelModule module, Export export, SymbolRule entry, string message) =>
        new(rule, rule.DefaultSeverity, module.Name, export.Name, export.Namespace, export.OwnerName, message,
            new Evidence { ModulePath = module.Path, ModuleReadFrom = module.ReadFrom, Export = export, Notes = [$"policy entry at {entry.Source}"] })
        { Location = module.ReadFrom };
}
