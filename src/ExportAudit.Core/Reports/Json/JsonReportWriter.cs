using System.Text;
using System.Text.Json;
using ExportAudit.Audit;
using ExportAudit.Checks.Load;
using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Reports.Json;

/// <summary>
/// One JSON object: summary, findings (stable order, with evidence and fingerprint), modules (by name),
/// load results (simulate-load, in load order), the kernel sources and the inputs that could not be read.
/// </summary>
public sealed class JsonReportWriter : IReportWriter
{
    public string Format => "json";

    public bool Supports(string command) => true;

    public void Write(AuditResult result, TextWriter output)
    {
        JsonOutput.Write(output, relaxed: true, w =>
        {
            w.WriteStartObject();
            w.WriteString("tool", "exportaudit");
            w.WriteString("command", result.Command);
            w.WriteStartObject("summary");
            w.WriteNumber("errors", result.Count(Severity.Error));
            w.WriteNumber("warnings", result.Count(Severity.Warning));
            w.WriteNumber("notes", result.Count(Severity.Note));
            w.WriteNumber("modules", result.Modules.Count);
            w.WriteNumber("exports", result.Symbols.Count);
            w.WriteNumber("inputs_unreadable", result.InputErrors.Count(e => e.Severity == Severity.Error));
            w.WriteNumber("suppressed", result.Findings.Count(f => f.Suppression is not null));
            w.WriteNumber("failing", result.Failing.Count());
            w.WriteEndObject();

            w.WriteStartArray("kernels");
            foreach (var kernel in result.Kernels)
            {
                w.WriteStartObject();
                w.WriteString("path", kernel.Path);
                w.WriteString("kind", kernel.Kind);
                w.WriteString("name", kernel.Model?.Name);
                w.WriteNumber("exports", kernel.Exports.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartArray("findings");
            foreach (var finding in result.SortedFindings)
            {
                WriteFinding(w, finding);
                JsonOutput.FlushSome(w);
            }
            w.WriteEndArray();

            w.WriteStartArray("modules");
            foreach (var module in result.Modules.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Path, StringComparer.Ordinal))
            {
                WriteModule(w, module);
                JsonOutput.FlushSome(w);
            }
            w.WriteEndArray();

            if (result.Builtins.Count > 0)
            {
                w.WriteStartArray("builtin_modules");
                foreach (var builtin in result.Builtins)
                {
                    w.WriteStartObject();
                    w.WriteString("name", builtin.Name);
                    WriteStrings(w, "licenses", builtin.Licenses);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }

            if (result.Loads is { } loads)
            {
                w.WriteStartArray("loads");
                foreach (var load in loads)
                {
                    WriteLoad(w, load);
                    JsonOutput.FlushSome(w);
                }
                w.WriteEndArray();
            }

            if (result.Review is { } review)
            {
                WriteReview(w, review);
            }

            w.WriteStartArray("input_errors");
            foreach (var error in result.InputErrors)
            {
                w.WriteStartObject();
                w.WriteString("path", error.Path);
                WriteNullableNumber(w, "line", error.Line);
                WriteNullableNumber(w, "offset", error.Offset);
                w.WriteString("severity", error.Severity.Name());
                w.WriteString("message", error.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    public static void WriteExport(Utf8JsonWriter w, Export export)
    {
        w.WriteStartObject();
        w.WriteString("symbol", export.Name);
        w.WriteString("type", export.Kind.ReportType());
        w.WriteString("namespace", export.Namespace);
        w.WriteString("owner", export.OwnerName);
        w.WriteString("crc", export.Crc is { } crc ? $"0x{crc:x8}" : null);
        w.WriteString("file", export.Definition?.File);
        WriteNullableNumber(w, "line", export.Definition?.Line);
        w.WriteString("read_from", export.ReadFrom.ToString());
        w.WriteEndObject();
    }

    private static void WriteFinding(Utf8JsonWriter w, Finding f)
    {
        w.WriteStartObject();
        w.WriteString("rule", f.Rule.Id);
        w.WriteString("name", f.Rule.Name);
        w.WriteString("severity", f.Severity.Name());
        w.WriteString("module", f.Module);
        w.WriteString("symbol", f.Symbol);
        w.WriteString("namespace", f.Namespace);
        w.WriteString("exporter", f.Exporter);
        w.WriteString("message", f.Message);
        w.WriteString("fingerprint", f.Fingerprint);
        if (f.Suppression is { } suppression)
        {
            w.WriteStartObject("suppression");
            w.WriteString("kind", suppression.Kind);
            w.WriteString("justification", suppression.Justification);
            w.WriteString("owner", suppression.Owner);
            w.WriteString("expires", suppression.Expires?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("source", suppression.Source?.ToString());
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("suppression");
        }
        w.WriteString("baseline_state", f.BaselineState);
        if (f.Location is { } location)
        {
            w.WriteStartObject("location");
            w.WriteString("file", location.File);
            WriteNullableNumber(w, "line", location.Line);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("location");
        }
        var e = f.Evidence;
        w.WriteStartObject("evidence");
        w.WriteString("module_path", e.ModulePath);
        if (e.Export is { } export)
        {
            w.WritePropertyName("export");
            WriteExport(w, export);
            w.WriteString("export_kind", export.Kind.MacroName());
        }
        else
        {
            w.WriteNull("export");
        }
        if (e.PreviousExport is { } previous)
        {
            w.WritePropertyName("previous_export");
            WriteExport(w, previous);
        }
        if (e.Licenses is { } licenses)
        {
            WriteStrings(w, "licenses", licenses);
        }
        w.WriteString("deciding_license", e.DecidingLicense);
        w.WriteString("license_rule", e.LicenseRule);
        if (e.Hunk is { } hunk)
        {
            w.WriteString("hunk", hunk);
        }
        WriteStrings(w, "notes", e.Notes);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    // review: the series' net changes, then each patch's own, then the consumers.
    private static void WriteReview(Utf8JsonWriter w, ExportAudit.Review.ReviewReport review)
    {
        w.WriteStartObject("review");
        w.WriteString("tree", review.Tree);
        w.WriteStartArray("series");
        foreach (var change in review.Series)
        {
            WriteChange(w, change);
        }
        w.WriteEndArray();
        w.WriteStartArray("patches");
        foreach (var patch in review.Patches)
        {
            w.WriteStartObject();
            w.WriteString("name", patch.Patch.Name);
            w.WriteString("path", patch.Patch.Source);
            w.WriteNumber("index", patch.Patch.Index);
            w.WriteString("subject", patch.Patch.Subject);
            w.WriteString("from", patch.Patch.From);
            w.WriteString("message_id", patch.Patch.MessageId);
            WriteStrings(w, "files", patch.FilesChanged);
            WriteStrings(w, "not_applied", patch.NotApplied);
            w.WriteStartArray("changes");
            foreach (var change in patch.Changes)
            {
                WriteChange(w, change);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("consumers");
        foreach (var consumer in review.Consumers)
        {
            w.WriteStartObject();
            w.WriteString("module", consumer.Module);
            WriteStrings(w, "licenses", consumer.Licenses);
            WriteStrings(w, "uses_changed", consumer.UsesChanged);
            w.WriteBoolean("broken", consumer.Broken);
            WriteStrings(w, "lines", consumer.Lines);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("laundering_resolved");
        foreach (var finding in review.LaunderingResolved)
        {
            WriteFinding(w, finding);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteChange(Utf8JsonWriter w, ExportAudit.Review.ExportChangeReview change)
    {
        w.WriteStartObject();
        w.WriteString("symbol", change.Symbol);
        w.WriteString("rule", change.Kind.Id);
        w.WriteString("change", change.Kind.Name);
        WriteState(w, "before", change.Before);
        WriteState(w, "after", change.After);
        w.WriteString("hunk", change.Site?.ToString());
        if (change.InTreeUsers is { } users)
        {
            WriteStrings(w, "in_tree_users", users);
        }
        else
        {
            w.WriteNull("in_tree_users");
        }
        w.WriteString("function", change.Function);
        w.WriteEndObject();
    }

    private static void WriteState(Utf8JsonWriter w, string name, ExportAudit.Review.ExportState? state)
    {
        if (state is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        w.WriteString("symbol", state.Symbol);
        w.WriteString("type", state.Kind.ReportType());
        w.WriteString("namespace", state.Namespace);
        w.WriteString("file", state.File);
        w.WriteNumber("line", state.Line);
        w.WriteEndObject();
    }

    private static void WriteModule(Utf8JsonWriter w, KernelModule m)
    {
        w.WriteStartObject();
        w.WriteString("name", m.Name);
        w.WriteString("path", m.Path);
        WriteStrings(w, "licenses", m.Licenses);
        WriteStrings(w, "imports", m.Imports.Select(i => i.Name));
        WriteStrings(w, "weak_imports", m.Imports.Where(i => i.Weak).Select(i => i.Name));
        WriteStrings(w, "import_ns", m.ImportNamespaces);
        w.WriteStartArray("exports");
        foreach (var export in m.Exports)
        {
            WriteExport(w, export);
        }
        w.WriteEndArray();
        WriteStrings(w, "depends", m.Depends);
        switch (m.VersionsState)
        {
            case VersionsState.Unknown:
                w.WriteNull("versions");
                break;
            case VersionsState.NoSection:
                w.WriteBoolean("versions", false);
                break;
            default:
                w.WriteStartObject("versions");
                foreach (var (symbol, crc) in m.Versions)
                {
                    w.WriteString(symbol, $"0x{crc:x8}");
                }
                w.WriteEndObject();
                break;
        }
        w.WriteEndObject();
    }

    private static void WriteLoad(Utf8JsonWriter w, ModuleLoadResult load)
    {
        w.WriteStartObject();
        w.WriteString("module", load.Module.Name);
        w.WriteString("outcome", load.Loaded ? "loaded" : "refused");
        w.WriteNumber("errno", load.Errno);
        w.WriteString("module_taints", load.ModuleTaints);
        w.WriteString("kernel_taints_after", load.KernelTaintsAfter);
        w.WriteStartArray("log");
        foreach (var line in load.Log)
        {
            w.WriteStartObject();
            w.WriteString("level", line.Level);
            w.WriteString("text", line.Text);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values) => JsonOutput.Strings(w, name, values);

    private static void WriteNullableNumber(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
