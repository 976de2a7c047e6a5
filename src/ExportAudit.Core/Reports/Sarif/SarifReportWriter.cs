using System.Text;
using System.Text.Json;
using ExportAudit.Audit;
using ExportAudit.Checks;
using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Reports.Sarif;

/// <summary>
/// SARIF 2.1.0, written with System.Text.Json: one rule descriptor per check (from the same descriptors as
/// --help and the text report), results in the stable order with the module (or source line) as location and
/// the export site as a related location, partialFingerprints from the finding's fingerprint, waivers as
/// suppressions, the baseline as baselineState, and unreadable inputs as tool execution notifications.
/// </summary>
public sealed class SarifReportWriter : IReportWriter
{
    public const string FingerprintKey = "exportAudit/v1";

    public string Format => "sarif";

    public bool Supports(string command) => true;

    public void Write(AuditResult result, TextWriter output)
    {
        var rules = Rules.All.Concat(result.CustomRules).Concat(result.Findings.Select(f => f.Rule)).DistinctBy(r => r.Id).OrderBy(r => r.Id, StringComparer.Ordinal).ToArray();
        var ruleIndex = rules.Select((r, i) => (r.Id, i)).ToDictionary(x => x.Id, x => x.i);
        JsonOutput.Write(output, relaxed: false, w =>
        {
            w.WriteStartObject();
            w.WriteString("$schema", "https://json.schemastore.org/sarif-2.1.0.json");
            w.WriteString("version", "2.1.0");
            w.WriteStartArray("runs");
            w.WriteStartObject();

            w.WriteStartObject("tool");
            w.WriteStartObject("driver");
            w.WriteString("name", "ExportAudit");
            w.WriteString("semanticVersion", ToolVersion);
            w.WriteStartArray("rules");
            foreach (var rule in rules)
            {
                w.WriteStartObject();
                w.WriteString("id", rule.Id);
                w.WriteString("name", PascalCase(rule.Name));
                Text(w, "shortDescription", Sentence(rule.Title));
                Text(w, "fullDescription", rule.Help);
                Text(w, "help", rule.Help);
                w.WriteStartObject("defaultConfiguration");
                w.WriteString("level", rule.DefaultSeverity.Name());
                w.WriteEndObject();
                w.WriteStartObject("properties");
                w.WriteString("category", rule.Category);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartArray("invocations");
            w.WriteStartObject();
            w.WriteBoolean("executionSuccessful", !result.HasInputErrors);
            w.WriteStartArray("toolExecutionNotifications");
            foreach (var error in result.InputErrors)
            {
                w.WriteStartObject();
                w.WriteString("level", error.Severity.Name());
                Text(w, "message", Sentence(error.Message));
                w.WriteStartArray("locations");
                Location(w, new Site(error.Path, error.Line), null);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();

            w.WriteStartArray("results");
            foreach (var f in result.SortedFindings)
            {
                w.WriteStartObject();
                w.WriteString("ruleId", f.Rule.Id);
                w.WriteNumber("ruleIndex", ruleIndex[f.Rule.Id]);
                w.WriteString("level", f.Severity.Name());
                Text(w, "message", Sentence(f.Message));
                w.WriteStartArray("locations");
                Location(w, f.Location ?? new Site(f.Evidence.ModulePath ?? f.Module, null), null);
                w.WriteEndArray();
                if (f.Evidence.Export is { } export)
                {
                    w.WriteStartArray("relatedLocations");
                    var site = export.Definition ?? export.ReadFrom;
                    Location(w, site, (1, $"{export.Kind.MacroName()}({export.Name}) by {export.Owner}{(export.Namespace is { } ns ? $" in namespace {ns}" : "")}."));
                    w.WriteEndArray();
                }
                w.WriteStartObject("partialFingerprints");
                w.WriteString(FingerprintKey, f.Fingerprint);
                w.WriteEndObject();
                if (f.BaselineState is { } state)
                {
                    w.WriteString("baselineState", state);
                }
                if (f.Suppression is { Kind: "waiver" } waiver)
                {
                    w.WriteStartArray("suppressions");
                    w.WriteStartObject();
                    w.WriteString("kind", "external");
                    w.WriteString("status", "accepted");
                    w.WriteString("justification", waiver.Justification);
                    if (waiver.Source is { } source)
                    {
                        w.WritePropertyName("location");
                        w.WriteStartObject();
                        PhysicalLocation(w, source);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                w.WriteStartObject("properties");
                w.WriteString("module", f.Module);
                w.WriteString("symbol", f.Symbol);
                w.WriteString("namespace", f.Namespace);
                w.WriteString("exporter", f.Exporter);
                if (f.Evidence.Licenses is { } licenses)
                {
                    JsonOutput.Strings(w, "licenses", licenses);
                }
                w.WriteString("decidingLicense", f.Evidence.DecidingLicense);
                w.WriteEndObject();
                w.WriteEndObject();
                JsonOutput.FlushSome(w);
            }
            w.WriteEndArray();

            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    public static string ToolVersion { get; } =
        typeof(SarifReportWriter).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";

    private static void Location(Utf8JsonWriter w, Site site, (int Id, string Text)? related)
    {
        w.WriteStartObject();
        if (related is { } r)
        {
            w.WriteNumber("id", r.Id);
            Text(w, "message", r.Text);
        }
        PhysicalLocation(w, site);
        w.WriteEndObject();
    }

    private static void PhysicalLocation(Utf8JsonWriter w, Site site)
    {
        w.WriteStartObject("physicalLocation");
        w.WriteStartObject("artifactLocation");
        w.WriteString("uri", Uri(site.File));
        w.WriteEndObject();
        if (site.Line is { } line and > 0)
        {
            w.WriteStartObject("region");
            w.WriteNumber("startLine", line);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>A URI reference for a path as the user gave it: relative stays relative, absolute becomes file://.</summary>
    internal static string Uri(string path)
    {
        var escaped = string.Join('/', path.Replace('\\', '/').Split('/').Select(System.Uri.EscapeDataString));
        return path.StartsWith('/') ? "file://" + escaped : escaped;
    }

    private static void Text(Utf8JsonWriter w, string name, string text)
    {
        w.WriteStartObject(name);
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    // SARIF's guidance: messages are sentences.
    private static string Sentence(string text) => text.EndsWith('.') || text.EndsWith('!') || text.EndsWith(')') ? text : text + ".";

    private static string PascalCase(string kebab) => string.Concat(kebab.Split('-').Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
}
