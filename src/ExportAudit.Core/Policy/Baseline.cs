using System.Text;
using System.Text.Json;
using ExportAudit.Diagnostics;

namespace ExportAudit.Policy;

/// <summary>
/// A baseline: the fingerprints of findings accepted as they are today. With --baseline only new findings
/// fail the run. Fingerprints hold no paths or line numbers, so moving code or files does not make old
/// findings new. The file is sorted JSON: it diffs well in review.
/// </summary>
public static class Baseline
{
    public static void Write(string path, IEnumerable<Finding> findings)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("tool", "exportaudit");
            w.WriteNumber("version", 1);
            w.WriteStartArray("findings");
            foreach (var f in findings.Where(f => f.Rule.Category != "input").DistinctBy(f => f.Fingerprint).OrderBy(f => f.Fingerprint, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("fingerprint", f.Fingerprint);
                w.WriteString("rule", f.Rule.Id);
                w.WriteString("module", f.Module);
                w.WriteString("symbol", f.Symbol);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        File.WriteAllText(path, Encoding.UTF8.GetString(stream.ToArray()) + "\n");
    }

    public static IReadOnlySet<string> Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!document.RootElement.TryGetProperty("findings", out var findings) || findings.ValueKind != JsonValueKind.Array)
            {
                throw new InputException(path, null, "baseline: no 'findings' list (write one with --write-baseline)");
            }
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var finding in findings.EnumerateArray())
            {
                if (finding.ValueKind != JsonValueKind.Object || !finding.TryGetProperty("fingerprint", out var fp) || fp.ValueKind != JsonValueKind.String)
                {
                    throw new InputException(path, null, "baseline: every finding needs a 'fingerprint' string");
                }
                set.Add(fp.GetString()!);
            }
            return set;
        }
        catch (JsonException e)
        {
            throw new InputException(path, e.LineNumber is { } l ? (int)l + 1 : null, "baseline: " + e.Message);
        }
    }
}
