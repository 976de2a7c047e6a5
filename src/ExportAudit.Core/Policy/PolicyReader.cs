using System.Globalization;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Yaml;
using ExportAudit.Model;

namespace ExportAudit.Policy;

/// <summary>Reads policy and waiver files (YAML) with the same path:line errors as every other input.</summary>
public static class PolicyReader
{
    public static PolicyFile ReadPolicy(string path, InputErrors errors)
    {
        var map = YamlTree.LoadMapping(path, "policy");
        var f = new YamlFields(path, map, errors, "policy");
        var name = f.OptionalString("policy") ?? System.IO.Path.GetFileNameWithoutExtension(path);
        var severities = new Dictionary<string, Severity?>(StringComparer.Ordinal);
        if (f.Node("severity") is YMapping severityMap)
        {
            foreach (var (key, value) in severityMap.Entries)
            {
                if (Checks.Rules.Find(key.Value) is null && Checks.Rules.All.All(r => r.Name != key.Value))
                {
                    throw new InputException(path, key.Line, $"policy: severity for unknown rule '{key.Value}'");
                }
                var id = Checks.Rules.Find(key.Value)?.Id ?? Checks.Rules.All.First(r => r.Name == key.Value).Id;
                severities[id] = value is YScalar { Value: "none" } ? null
                    : value is YScalar s && Severities.TryParse(s.Value, out var level) ? level
                    : throw new InputException(path, value.Line, "policy: a severity is error, warning, note or none");
            }
        }
        else if (f.Node("severity") is { } other and not YScalar { IsNull: true })
        {
            throw new InputException(path, other.Line, "policy: 'severity' maps rule IDs to error, warning, note or none");
        }
        var deny = f.List("deny").Select(n => ReadSymbolRule(path, f.AsMapping(n, "deny"), errors, "deny")).ToArray();
        var allow = f.List("allow").Select(n => ReadSymbolRule(path, f.AsMapping(n, "allow"), errors, "allow")).ToArray();
        var discipline = f.OptionalBool("require_import_ns") ?? false;
        var licenses = new List<LicenseDeviation>();
        foreach (var node in f.List("extra_compatible_licenses"))
        {
            var e = new YamlFields(path, f.AsMapping(node, "extra_compatible_licenses"), errors, "policy license");
            var license = e.RequiredString("license");
            if (License.IsGplCompatible(license))
            {
                throw new InputException(path, node.Line, $"policy: '{license}' is already GPL-compatible for the kernel");
            }
            licenses.Add(new LicenseDeviation(license, e.RequiredString("reason"), new Site(path, node.Line)));
            e.WarnUnknown();
        }
        f.WarnUnknown();
        return new PolicyFile(name, path, severities, deny, allow, discipline, licenses);
    }

    public static IReadOnlyList<Waiver> ReadWaivers(string path, InputErrors errors)
    {
        var map = YamlTree.LoadMapping(path, "waivers");
        var f = new YamlFields(path, map, errors, "waivers");
        var waivers = new List<Waiver>();
        foreach (var node in f.List("waivers"))
        {
            var w = new YamlFields(path, f.AsMapping(node, "waivers"), errors, "waiver");
            var module = w.RequiredString("module");
            var symbol = w.OptionalString("symbol");
            var rule = w.OptionalString("rule");
            if (symbol is null && rule is null)
            {
                throw new InputException(path, node.Line, "waiver: give a symbol, a rule, or both (a whole module is not waived)");
            }
            var expiresText = w.RequiredString("expires");
            if (!DateOnly.TryParseExact(expiresText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var expires))
            {
                throw new InputException(path, w.Node("expires")!.Line, $"waiver: expires '{expiresText}' is not a date (YYYY-MM-DD)");
            }
            waivers.Add(new Waiver(new Glob(module), symbol is null ? null : new Glob(symbol), rule,
                w.RequiredString("reason"), w.RequiredString("owner"), expires, new Site(path, node.Line)));
            w.WarnUnknown();
        }
        f.WarnUnknown();
        return waivers;
    }

    private static SymbolRule ReadSymbolRule(string path, YMapping map, InputErrors errors, string what)
    {
        var f = new YamlFields(path, map, errors, "policy " + what);
        var modules = f.StringOrList("modules").Select(g => new Glob(g)).ToArray();
        var rule = new SymbolRule(
            modules.Length == 0 ? [new Glob("*")] : modules,
            f.StringOrList("symbols").Select(g => new Glob(g)).ToArray(),
            f.StringOrList("namespaces").Select(g => new Glob(g)).ToArray(),
            f.StringOrList("exporters").Select(g => new Glob(g)).ToArray(),
            f.OptionalString("reason"),
            new Site(path, map.Line));
        if (rule.Symbols.Count + rule.Namespaces.Count + rule.Exporters.Count == 0)
        {
            throw new InputException(path, map.Line, $"policy: a {what} entry names symbols, namespaces or exporters");
        }
        f.WarnUnknown();
        return rule;
    }
}
