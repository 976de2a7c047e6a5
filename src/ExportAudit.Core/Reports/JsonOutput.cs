using System.Text;
using System.Text.Json;

namespace ExportAudit.Reports;

/// <summary>What every JSON-based writer shares: an indented writer into a text output, and string arrays.</summary>
public static class JsonOutput
{
    /// <param name="relaxed">Leave non-ASCII and HTML-sensitive characters unescaped (our own JSON); SARIF keeps the default.</param>
    public static void Write(TextWriter output, bool relaxed, Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions
               {
                   Indented = true,
                   Encoder = relaxed ? System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping : null,
               }))
        {
            write(w);
        }
        output.Write(Encoding.UTF8.GetString(stream.ToArray()));
        output.Write('\n');
    }

    public static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }
        w.WriteEndArray();
    }
}
